// The blocked product of sgemm.hpp: packing, the register-tiled micro-kernel, and the choice of code path.
//
// The micro-kernel and the loops around it are written once, with GCC vector types (8 floats) rather than
// intrinsics, and inlined into two entry points: one compiled for AVX2 + FMA through a target attribute, one for
// the baseline ISA. A target attribute, unlike -mavx2 on the file, keeps every other function of the library
// (inline library code included) on the baseline ISA, so nothing but macro_avx2 needs the newer CPU.
#include "common/sgemm.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kiln::cpu_fast {
namespace {

typedef float Vec8 __attribute__((vector_size(32)));  // an AVX register
typedef float Vec4 __attribute__((vector_size(16)));  // an SSE register (the baseline x86-64 ISA)

#define KILN_ALWAYS_INLINE inline __attribute__((always_inline))

// Unaligned loads and stores (vectors are passed by reference: by value they would change the ABI with the ISA).
template <class V> KILN_ALWAYS_INLINE void load(V& v, const float* p) { std::memcpy(&v, p, sizeof v); }
template <class V> KILN_ALWAYS_INLINE void store(float* p, const V& v) { std::memcpy(p, &v, sizeof v); }

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packs rows [i0, i0 + mc) x depth [p0, p0 + kc) of A into kMR-row panels: out[ir * kc + p * kMR + r].
void pack_left(const Matrix& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int64_t rows = std::min(kMR, mc - ir);
    float* panel = out + ir * kc;
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t r = 0; r < rows; ++r) panel[p * kMR + r] = a.at(i0 + ir + r, p0 + p);
      for (int64_t r = rows; r < kMR; ++r) panel[p * kMR + r] = 0.f;
    }
  }
}

// Packs depth [p0, p0 + kc) x columns [j0, j0 + nc) of B into kNR-column panels: out[jr * kc + p * kNR + j].
void pack_right(const Matrix& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    const int64_t cols = std::min(kNR, nc - jr);
    float* panel = out + jr * kc;
    for (int64_t p = 0; p < kc; ++p) {
      float* dst = panel + p * kNR;
      if (!b.trans) {
        std::memcpy(dst, b.data + (p0 + p) * b.ld + j0 + jr, static_cast<size_t>(cols) * sizeof(float));
      } else {
        for (int64_t j = 0; j < cols; ++j) dst[j] = b.data[(j0 + jr + j) * b.ld + p0 + p];
      }
      std::fill(dst + cols, dst + kNR, 0.f);
    }
  }
}

// C[R, cols] (+)= panel A[R, kc] * panel B[kc, kNR] (columns past `cols` computed and dropped). R is a template
// argument so that edge rows cost nothing. V is the register: the tile is computed in chunks of two registers'
// width of columns (one chunk of 16 with AVX, two of 8 with SSE), so that its 2R accumulators stay in registers
// (12 + 3 of the 16 either ISA has).
template <int R, class V>
KILN_ALWAYS_INLINE void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t cols,
                              bool accumulate) {
  constexpr int64_t kWidth = sizeof(V) / sizeof(float);
  float tile[R][kNR];
  for (int64_t j0 = 0; j0 < kNR; j0 += 2 * kWidth) {
    V acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = V{};
    const float* ap = a;
    const float* bp = b + j0;
    for (int64_t p = 0; p < kc; ++p, ap += kMR, bp += kNR) {
      V b0, b1;
      load(b0, bp);
      load(b1, bp + kWidth);
      for (int r = 0; r < R; ++r) {
        acc[r][0] += ap[r] * b0;
        acc[r][1] += ap[r] * b1;
      }
    }
    for (int r = 0; r < R; ++r)
      for (int half = 0; half < 2; ++half) {
        V sum = acc[r][half];
        float* at = cols == kNR ? c + r * ldc + j0 + half * kWidth : &tile[r][j0 + half * kWidth];
        if (accumulate && cols == kNR) {
          V old;
          load(old, at);
          sum += old;
        }
        store(at, sum);
      }
  }
  if (cols == kNR) return;
  for (int r = 0; r < R; ++r)
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r][j] : tile[r][j];
}

// One block: C[mc, nc] (+)= packed A block [mc, kc] * packed B block [kc, nc].
template <class V>
KILN_ALWAYS_INLINE void macro(int64_t mc, int64_t nc, int64_t kc, const float* a, const float* b, float* c,
                              int64_t ldc, bool accumulate) {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    const int64_t cols = std::min(kNR, nc - jr);
    for (int64_t ir = 0; ir < mc; ir += kMR) {
      const float* ap = a + ir * kc;
      const float* bp = b + jr * kc;
      float* cp = c + ir * ldc + jr;
      switch (std::min(kMR, mc - ir)) {
        case 6: micro<6, V>(kc, ap, bp, cp, ldc, cols, accumulate); break;
        case 5: micro<5, V>(kc, ap, bp, cp, ldc, cols, accumulate); break;
        case 4: micro<4, V>(kc, ap, bp, cp, ldc, cols, accumulate); break;
        case 3: micro<3, V>(kc, ap, bp, cp, ldc, cols, accumulate); break;
        case 2: micro<2, V>(kc, ap, bp, cp, ldc, cols, accumulate); break;
        default: micro<1, V>(kc, ap, bp, cp, ldc, cols, accumulate); break;
      }
    }
  }
}

__attribute__((target("avx2,fma"))) void macro_avx2(int64_t mc, int64_t nc, int64_t kc, const float* a,
                                                    const float* b, float* c, int64_t ldc, bool accumulate) {
  macro<Vec8>(mc, nc, kc, a, b, c, ldc, accumulate);
}

void macro_generic(int64_t mc, int64_t nc, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                   bool accumulate) {
  macro<Vec4>(mc, nc, kc, a, b, c, ldc, accumulate);
}

bool use_avx2() {
  const char* forced = std::getenv("KILN_CPU_FAST_ISA");
  if (forced && std::string(forced) == "generic") return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace

int64_t PackedMatrix::size(Side side, int64_t rows, int64_t cols) {
  return side == Side::kLeft ? round_up(rows, kMR) * cols : rows * round_up(cols, kNR);
}

// Block p0 of depth starts at p0 * (padded width); within it the layout is pack_left's or pack_right's.
PackedMatrix::PackedMatrix(Side s, const Matrix& m, int64_t r, int64_t c)
    : side(s), rows(r), cols(c), data(static_cast<size_t>(size(s, r, c))) {
  if (side == Side::kLeft) {
    for (int64_t p0 = 0; p0 < cols; p0 += kKC) pack_left(m, 0, rows, p0, std::min(kKC, cols - p0), data.data() + p0 * round_up(rows, kMR));
  } else {
    for (int64_t p0 = 0; p0 < rows; p0 += kKC) pack_right(m, p0, std::min(kKC, rows - p0), 0, cols, data.data() + p0 * round_up(cols, kNR));
  }
}

int64_t sgemm_scratch_floats(int64_t m, int64_t n, int64_t k, const Operand& a, const Operand& b) {
  const int64_t depth = std::min(kKC, k);
  return (a.packed ? 0 : round_up(std::min(kMC, m), kMR) * depth) + (b.packed ? 0 : depth * round_up(std::min(kNC, n), kNR));
}

void sgemm(int64_t m, int64_t n, int64_t k, const Operand& a, const Operand& b, float* c, int64_t ldc, float* scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.f);
    return;
  }
  const auto block = use_avx2() ? &macro_avx2 : &macro_generic;
  float* a_scratch = scratch;
  float* b_scratch = scratch + (a.packed ? 0 : round_up(std::min(kMC, m), kMR) * std::min(kKC, k));
  const int64_t a_width = round_up(m, kMR), b_width = round_up(n, kNR);
  for (int64_t j0 = 0; j0 < n; j0 += kNC) {
    const int64_t nc = std::min(kNC, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKC) {
      const int64_t kc = std::min(kKC, k - p0);
      const float* bp = b_scratch;
      if (b.packed) bp = b.packed->data.data() + p0 * b_width + j0 * kc;
      else pack_right(b.matrix, p0, kc, j0, nc, b_scratch);
      for (int64_t i0 = 0; i0 < m; i0 += kMC) {
        const int64_t mc = std::min(kMC, m - i0);
        const float* ap = a_scratch;
        if (a.packed) ap = a.packed->data.data() + p0 * a_width + i0 * kc;
        else pack_left(a.matrix, i0, mc, p0, kc, a_scratch);
        block(mc, nc, kc, ap, bp, c + i0 * ldc + j0, ldc, p0 > 0);
      }
    }
  }
}

const char* sgemm_isa() { return use_avx2() ? "avx2" : "generic"; }

}  // namespace kiln::cpu_fast
