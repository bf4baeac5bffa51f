// kiln's own INT8 convolution kernel (plugins/cuda/common/conv_int8_imma.cu), called directly on random integers
// over every tile shape, against two host references: the same float arithmetic in the same order (so every
// output byte must match, which pins any indexing error to its element), and float64 (within one integer step,
// the independent check). Shapes cover 1x1 and larger windows, strides, padding, dilation, pixel and channel
// tails of every tile, reductions that are not a multiple of the 64-byte stage, with and without a residual and
// a clamp. Skips, saying so, without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/conv_int8_imma.hpp"

namespace kiln::cuda {
namespace {

struct Case {
  std::string name;
  ConvInt8ImmaShape shape;
  bool residual = false;
  bool relu = false;
};

ConvInt8ImmaShape conv(int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, int64_t r, int64_t s, int64_t stride_h,
                       int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dilation = 1) {
  ConvInt8ImmaShape p;
  p.n = n, p.h = h, p.w = w, p.c = c, p.k = k, p.r = r, p.s = s;
  p.stride[0] = stride_h, p.stride[1] = stride_w, p.pad[0] = pad_h, p.pad[1] = pad_w;
  p.dilation[0] = p.dilation[1] = dilation;
  p.oh = (h + 2 * pad_h - dilation * (r - 1) - 1) / stride_h + 1;
  p.ow = (w + 2 * pad_w - dilation * (s - 1) - 1) / stride_w + 1;
  return p;
}

std::vector<Case> cases() {
  return {
      {"1x1_c64_k128_residual_relu", conv(2, 14, 14, 64, 128, 1, 1, 1, 1, 0, 0), true, true},
      {"1x1_c64_k256_residual", conv(1, 9, 11, 64, 256, 1, 1, 1, 1, 0, 0), true, false},
      {"3x3_p1_c32_k72_relu", conv(2, 10, 10, 32, 72, 3, 3, 1, 1, 1, 1), false, true},
      {"3x3_s2_p1_c128_k256", conv(1, 15, 15, 128, 256, 3, 3, 2, 2, 1, 1), false, false},
      {"1x1_s2_c256_k128_residual_relu", conv(1, 9, 9, 256, 128, 1, 1, 2, 2, 0, 0), true, true},
      {"7x7_s2_p3_c16_k64_relu", conv(1, 33, 31, 16, 64, 7, 7, 2, 2, 3, 3), false, true},
      {"3x3_d2_p2_c48_k24_residual", conv(2, 12, 9, 48, 24, 3, 3, 1, 1, 2, 2, 2), true, false},
      {"1x1_c16_k8", conv(3, 5, 7, 16, 8, 1, 1, 1, 1, 0, 0), false, false},
      {"3x3_p1_c512_k64_relu", conv(1, 7, 7, 512, 64, 3, 3, 1, 1, 1, 1), false, true},
      {"3x1_s2x1_p1x0_c80_k40", conv(2, 11, 6, 80, 40, 3, 1, 2, 1, 1, 0), false, false},
      {"1x1_c64_k256_n8_residual_relu", conv(8, 28, 28, 64, 256, 1, 1, 1, 1, 0, 0), true, true},
  };
}

template <class T>
struct Device {
  T* p = nullptr;
  explicit Device(const std::vector<T>& host) {
    if (cudaMalloc(&p, std::max<size_t>(host.size(), 1) * sizeof(T)) != cudaSuccess) throw std::runtime_error("cudaMalloc");
    cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice);
  }
  ~Device() { cudaFree(p); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
};

int8_t saturate_round(float v) {
  if (v != v) return 0;
  const float r = std::rint(v);
  return static_cast<int8_t>(r < -128.f ? -128 : r > 127.f ? 127 : static_cast<int>(r));
}

struct Data {
  std::vector<int8_t> x, w, z;
  std::vector<float> scale, bias;
  float z_alpha = 0.7f, lo = -INFINITY, hi = INFINITY;
};

Data draw(const Case& c, std::mt19937& rng) {
  const ConvInt8ImmaShape& s = c.shape;
  Data d;
  std::uniform_int_distribution<int> byte(-128, 127), weight(-127, 127);
  d.x.resize(static_cast<size_t>(s.n * s.h * s.w * s.c));
  d.w.resize(static_cast<size_t>(s.k * s.r * s.s * s.c));
  for (int8_t& v : d.x) v = static_cast<int8_t>(byte(rng));
  for (int8_t& v : d.w) v = static_cast<int8_t>(weight(rng));
  // Sums of r*s*c products of about 73 x 73 each: scaled so that Y spans the grid and saturates at its ends.
  const double spread = std::sqrt(static_cast<double>(s.r * s.s * s.c)) * 73.0 * 73.0;
  std::uniform_real_distribution<float> scale(0.5f, 2.0f), bias(-20.f, 20.f);
  for (int64_t k = 0; k < s.k; ++k) {
    d.scale.push_back(static_cast<float>(scale(rng) * 60.0 / spread));
    d.bias.push_back(bias(rng));
  }
  if (c.residual) {
    d.z.resize(static_cast<size_t>(s.n * s.oh * s.ow * s.k));
    for (int8_t& v : d.z) v = static_cast<int8_t>(byte(rng));
  }
  if (c.relu) d.lo = 0;
  return d;
}

// The exact int32 sums, Y's layout [N, OH, OW, K].
std::vector<int64_t> sums(const ConvInt8ImmaShape& s, const Data& d) {
  std::vector<int64_t> out(static_cast<size_t>(s.n * s.oh * s.ow * s.k), 0);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow)
        for (int64_t k = 0; k < s.k; ++k) {
          int64_t acc = 0;
          for (int64_t r = 0; r < s.r; ++r)
            for (int64_t q = 0; q < s.s; ++q) {
              const int64_t ih = oh * s.stride[0] - s.pad[0] + r * s.dilation[0];
              const int64_t iw = ow * s.stride[1] - s.pad[1] + q * s.dilation[1];
              if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
              const int8_t* xp = &d.x[static_cast<size_t>(((n * s.h + ih) * s.w + iw) * s.c)];
              const int8_t* wp = &d.w[static_cast<size_t>(((k * s.r + r) * s.s + q) * s.c)];
              for (int64_t c = 0; c < s.c; ++c) acc += static_cast<int64_t>(xp[c]) * wp[c];
            }
          out[static_cast<size_t>(((n * s.oh + oh) * s.ow + ow) * s.k + k)] = acc;
        }
  return out;
}

bool have_gpu(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status);
  else if (count == 0) *why = "no CUDA device";
  return status == cudaSuccess && count > 0;
}

class ConvInt8Imma : public ::testing::TestWithParam<Case> {};

TEST_P(ConvInt8Imma, EveryTileMatchesTheHostArithmeticExactlyAndFloat64WithinOneStep) {
  std::string why;
  if (!have_gpu(&why)) GTEST_SKIP() << "no GPU: " << why;
  const Case& c = GetParam();
  const ConvInt8ImmaShape& s = c.shape;
  ASSERT_EQ(s.unsupported(), "") << s.text();
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>()(c.name)));
  const Data d = draw(c, rng);
  const std::vector<int64_t> exact = sums(s, d);
  std::vector<int8_t> mirror(exact.size()), wide(exact.size());
  int saturated = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    const size_t k = i % static_cast<size_t>(s.k);
    float v = std::fmaf(static_cast<float>(exact[i]), d.scale[k], d.bias[k]);
    double w = static_cast<double>(exact[i]) * d.scale[k] + d.bias[k];
    if (c.residual) v = std::fmaf(d.z_alpha, static_cast<float>(d.z[i]), v), w += static_cast<double>(d.z_alpha) * d.z[i];
    mirror[i] = saturate_round(std::fmin(std::fmax(v, d.lo), d.hi));
    w = std::min<double>(std::max<double>(w, d.lo), d.hi);
    wide[i] = static_cast<int8_t>(std::max(-128.0, std::min(127.0, std::nearbyint(w))));
    saturated += mirror[i] == 127 || mirror[i] == -128;
  }
  // The data must exercise the grid, not sit at one end of it.
  EXPECT_LT(saturated, static_cast<int>(exact.size() / 4)) << c.name << ": most outputs saturate";

  Device<int8_t> x(d.x), w(d.w), z(c.residual ? d.z : std::vector<int8_t>{});
  Device<float> scale(d.scale), bias(d.bias);
  Device<int8_t> y(std::vector<int8_t>(exact.size(), 0));
  for (int tile = 0; tile < conv_int8_imma_tiles(); ++tile) {
    SCOPED_TRACE(c.name + ", tile " + conv_int8_imma_tile_name(tile) + ", " + s.text());
    ASSERT_EQ(cudaMemset(y.p, 0x5B, exact.size()), cudaSuccess);  // poison: 91 is a value the kernel must overwrite
    ConvInt8ImmaArgs a;
    a.shape = s;
    a.x = x.p, a.w = w.p, a.scale = scale.p, a.bias = bias.p, a.z = c.residual ? z.p : nullptr, a.y = y.p;
    a.z_alpha = d.z_alpha, a.lo = d.lo, a.hi = d.hi;
    ASSERT_TRUE(conv_int8_imma_aligned(a));
    launch_conv_int8_imma(a, tile, nullptr);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    std::vector<int8_t> got(exact.size());
    ASSERT_EQ(cudaMemcpy(got.data(), y.p, got.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    int mismatches = 0, off_by_more = 0;
    std::ostringstream first;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] != mirror[i] && mismatches++ == 0)
        first << "first at pixel " << i / s.k << " channel " << i % s.k << ": got " << int(got[i]) << ", expected "
              << int(mirror[i]) << " (sum " << exact[i] << ")";
      off_by_more += std::abs(int(got[i]) - int(wide[i])) > 1;
    }
    EXPECT_EQ(mismatches, 0) << mismatches << " of " << got.size() << " differ from the host's float arithmetic; " << first.str();
    EXPECT_EQ(off_by_more, 0) << off_by_more << " outputs are more than one step from the float64 result";
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvInt8Imma, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(ConvInt8ImmaShapeTest, SaysWhyItDeclines) {
  EXPECT_NE(conv(1, 8, 8, 20, 16, 1, 1, 1, 1, 0, 0).unsupported().find("20 channels, not a multiple of 16"), std::string::npos);
  EXPECT_NE(conv(1, 8, 8, 32, 12, 1, 1, 1, 1, 0, 0).unsupported().find("12 channels, not a multiple of 8"), std::string::npos);
  EXPECT_EQ(conv(1, 8, 8, 32, 16, 3, 3, 1, 1, 1, 1).unsupported(), "");
}

}  // namespace
}  // namespace kiln::cuda
