// The fast pack's float32 matrix product: C[m, n] = A[m, k] * B[k, n], cache-blocked as in BLIS/GotoBLAS.
//
// B is cut into blocks of kKC rows and kNC columns and A into blocks of kMC rows and kKC columns; each block is
// copied ("packed") into panels that a register-tiled micro-kernel reads contiguously: kMR rows of A and kNR
// columns of B per panel, depth-major, zero-filled past the matrix edge. The micro-kernel keeps a kMR x kNR tile
// of C in registers (12 AVX2 registers of 8 floats) and adds kKC rank-1 updates to it.
//
// An operand that does not change between calls (Conv and Gemm weights) is packed once, whole, in the same panel
// layout (PackedMatrix), and the product reads its panels in place; any other operand is packed block by block
// into the caller's scratch memory (sgemm_scratch_floats).
//
// Two code paths, chosen at run time: AVX2 + FMA where the CPU has both, else portable code (the same source,
// compiled for the baseline ISA). KILN_CPU_FAST_ISA=generic forces the portable path (tests run both). Results
// depend only on the path and the shapes, never on timing: the summation order is fixed.
#ifndef KILN_CPU_FAST_SGEMM_HPP
#define KILN_CPU_FAST_SGEMM_HPP

#include <cstdint>
#include <vector>

namespace kiln::cpu_fast {

constexpr int64_t kMR = 6;     // rows of A per panel, rows of the register tile
constexpr int64_t kNR = 16;    // columns of B per panel, columns of the register tile
constexpr int64_t kKC = 256;   // depth of a block: a kMR x kKC panel of A and a kKC x kNR panel of B fit in L1
constexpr int64_t kMC = 144;   // rows of A per block (a kMC x kKC block of A fits in L2)
constexpr int64_t kNC = 2048;  // columns of B per block (a kKC x kNC block of B fits in L3)

// A row-major matrix as stored: element (i, j) at data[i * ld + j], or at data[j * ld + i] when transposed.
struct Matrix {
  const float* data = nullptr;
  int64_t ld = 0;
  bool trans = false;
  float at(int64_t i, int64_t j) const { return trans ? data[j * ld + i] : data[i * ld + j]; }
};

// Which side of the product a packed operand is: A's panels hold kMR rows, B's kNR columns.
enum class Side { kLeft, kRight };

// An operand packed once, whole: `rows` x `cols`, in the panel layout of `side` for every kKC block of depth.
struct PackedMatrix {
  Side side = Side::kLeft;
  int64_t rows = 0, cols = 0;
  std::vector<float> data;

  PackedMatrix() = default;
  PackedMatrix(Side side, const Matrix& m, int64_t rows, int64_t cols);
  // The floats a packed rows x cols operand of `side` holds (the panels are padded to kMR or kNR).
  static int64_t size(Side side, int64_t rows, int64_t cols);
};

// An operand of the product: packed ahead (`packed` set), or a Matrix packed block by block as the product runs.
struct Operand {
  const PackedMatrix* packed = nullptr;
  Matrix matrix;
};

// The scratch floats sgemm needs for these sizes and operands.
int64_t sgemm_scratch_floats(int64_t m, int64_t n, int64_t k, const Operand& a, const Operand& b);

// C[m, n] = A[m, k] * B[k, n], C row-major with leading dim ldc. A packed A must be m x k, a packed B k x n.
// `scratch` holds sgemm_scratch_floats(m, n, k, a, b) floats.
void sgemm(int64_t m, int64_t n, int64_t k, const Operand& a, const Operand& b, float* c, int64_t ldc, float* scratch);

// "avx2" or "generic": the path sgemm takes on this machine (KILN_CPU_FAST_ISA=generic forces the latter).
const char* sgemm_isa();

}  // namespace kiln::cpu_fast

#endif  // KILN_CPU_FAST_SGEMM_HPP
