// What every GPU test needs: the two packs loaded once (and whether a GPU is there at all), the configs of the
// GPU engine and of the CPU reference oracle, the check that a layer really ran on a CUDA kernel, and the
// comparison of outputs with a report that names the seed, the inputs and the worst elements.
#ifndef KILN_TESTS_CUDA_GPU_TEST_SUPPORT_HPP
#define KILN_TESTS_CUDA_GPU_TEST_SUPPORT_HPP

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/float16.hpp"
#include "runtime/engine.hpp"
#include "util/error.hpp"

namespace kiln::cuda_test {

inline std::string cuda_pack() { return std::string(KILN_PLUGIN_DIR) + "/libkiln_cuda.so"; }
inline std::string reference_pack() { return std::string(KILN_PLUGIN_DIR) + "/libkiln_cpu_reference.so"; }

// The packs, loaded once for the whole process and never unloaded (CUDA must not be torn down by a static
// destructor while the runtime itself is shutting down).
struct GpuSetup {
  PluginRegistry gpu;        // the CUDA pack and the reference pack: what the GPU engine selects from
  PluginRegistry reference;  // the reference pack alone: the oracle
  std::string skip_reason;   // non-empty: no usable GPU here (the tests skip, saying this)
  std::string error;         // non-empty: the packs are broken (the tests fail, saying this)
};

inline void load_setup(GpuSetup& s) {
  try {
    s.reference.load(reference_pack());
    s.gpu.load(reference_pack());
  } catch (const std::exception& e) {
    s.error = std::string("the CPU reference pack does not load: ") + e.what();
    return;
  }
  if (!std::filesystem::exists(cuda_pack())) {
    s.error = cuda_pack() + " does not exist (kiln_cuda_tests depends on kiln_cuda: was it built?)";
    return;
  }
  try {
    s.gpu.load(cuda_pack());
  } catch (const std::exception& e) {
    // A missing driver or CUDA library is this machine's lack; anything else is a broken pack.
    const std::string what = e.what();
    if (what.find("cannot open shared object file") != std::string::npos)
      s.skip_reason = "the CUDA pack cannot load its libraries: " + what;
    else
      s.error = "the CUDA pack does not load: " + what;
    return;
  }
  const kiln_device_api* api = s.gpu.device_api(KILN_DEVICE_CUDA);
  if (!api) s.skip_reason = cuda_pack() + " brings no CUDA device API";
  else if (api->device_count() == 0) s.skip_reason = "device_count() is 0 (no NVIDIA driver or no GPU on this machine)";
}

inline GpuSetup& setup() {
  static GpuSetup* s = [] {
    auto* loaded = new GpuSetup;
    load_setup(*loaded);
    return loaded;
  }();
  return *s;
}

// At the top of every GPU test: fails when the packs are broken, skips (never passes) without a GPU.
#define KILN_REQUIRE_GPU()                                                                               \
  do {                                                                                                   \
    const ::kiln::cuda_test::GpuSetup& gpu_setup = ::kiln::cuda_test::setup();                           \
    if (!gpu_setup.error.empty()) FAIL() << gpu_setup.error;                                             \
    if (!gpu_setup.skip_reason.empty()) GTEST_SKIP() << "no CUDA device: " << gpu_setup.skip_reason;     \
  } while (0)

// The GPU engine's config: device cuda, CUDA kernels first and reference kernels as the fallback.
inline BuildConfig gpu_config(const std::string& precision) {
  BuildConfig config;
  config.device = "cuda";
  config.precision = precision;
  for (const std::string& path : {cuda_pack(), reference_pack()})
    config.plugins.push_back(PluginEntry{path, true, path, SourceLocation{}});
  config.kernels.push_back(KernelPreference{"*", {"kiln.cuda.*", "kiln.cpu_ref.*"}, {SourceLocation{}, SourceLocation{}},
                                            SourceLocation{}});
  return config;
}

// The oracle's config: the reference kernels on the CPU in float32, every node on its own (no fusion), so a
// fused GPU kernel is checked against the plain chain it stands for.
inline BuildConfig oracle_config() {
  BuildConfig config;
  config.device = "cpu";
  config.plugins.push_back(PluginEntry{reference_pack(), true, reference_pack(), SourceLocation{}});
  config.optimize.fusion = false;
  return config;
}

// A stable seed per case name (FNV-1a), so a failure reproduces by name alone.
inline uint64_t seed_of(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

// ---- which kernel ran each layer --------------------------------------------------------------------------------

inline std::string kernel_name(const Layer& layer) {
  return layer.selection.chosen ? layer.selection.chosen->desc->name : "(none)";
}

inline bool is_cuda_kernel(const Layer& layer) { return kernel_name(layer).rfind("kiln.cuda.", 0) == 0; }

// Every layer: its node, the kernel chosen, and why each other candidate was declined.
inline std::string describe_selection(const Engine& engine) {
  std::ostringstream out;
  for (const Layer& layer : engine.layers()) {
    out << "  " << layer.node->label() << " -> " << kernel_name(layer);
    if (!layer.node->pattern.empty()) out << " (fused chain of " << layer.node->pattern.size() << " nodes)";
    out << "\n";
    for (const Decline& d : layer.selection.declined) out << "      declined " << d.kernel << ": " << d.reason << "\n";
  }
  return out.str();
}

// Asserts that every layer running one of `ops` (the op types of the hand-built graph), or a fused chain of
// them, runs a kiln.cuda.* kernel; and, where `fused_kernel` is named, that one layer runs it over the whole
// chain of `chain_length` nodes.
inline void expect_cuda_kernels(const Engine& engine, const std::set<std::string>& ops, const std::string& fused_kernel,
                                size_t chain_length) {
  size_t covered = 0;
  bool fused_found = false;
  for (const Layer& layer : engine.layers()) {
    const bool fused = !layer.node->pattern.empty();
    if (!fused && !ops.count(layer.node->op_type)) continue;  // a layer the core added (a copy, a layout change)
    ++covered;
    EXPECT_TRUE(is_cuda_kernel(layer)) << layer.node->label() << " runs " << kernel_name(layer)
                                       << ", not a kiln.cuda kernel. Every layer:\n" << describe_selection(engine);
    if (fused && kernel_name(layer) == fused_kernel) {
      fused_found = true;
      EXPECT_EQ(layer.node->pattern.size(), chain_length)
          << fused_kernel << " took only part of the chain. Every layer:\n" << describe_selection(engine);
    }
  }
  EXPECT_GT(covered, 0u) << "no layer runs the case's ops; every layer:\n" << describe_selection(engine);
  if (!fused_kernel.empty()) {
    EXPECT_TRUE(fused_found) << "the chain was not fused into " << fused_kernel << ". Every layer:\n"
                             << describe_selection(engine);
  }
}

// ---- comparing outputs ------------------------------------------------------------------------------------------

// How close the GPU's output must be to the oracle's. An element passes when |actual - expected| <=
// max(absolute, per_element * max(1, |expected|)); with rel_l2 > 0 the whole output must also have
// ||actual - expected|| / ||expected|| <= rel_l2. per_element 0 means bit-for-bit equal values. Outputs of 8-bit
// integers (quantized values) are compared in integer steps instead: |actual - expected| <= integer_steps.
// `absolute` is for reals dequantized from integers that may be one step apart: one step of their grid.
struct Tolerance {
  double per_element = 0;
  double rel_l2 = 0;
  double integer_steps = 0;
  double absolute = 0;
};

// Element i of a dense host tensor, widened to double. Throws for dtypes the tests do not produce.
inline double element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case KILN_DTYPE_FLOAT32: return t.as<float>()[i];
    case KILN_DTYPE_FLOAT16: return static_cast<float>(t.as<float16>()[i]);
    case KILN_DTYPE_FLOAT64: return t.as<double>()[i];
    case KILN_DTYPE_INT64: return static_cast<double>(t.as<int64_t>()[i]);
    case KILN_DTYPE_INT32: return t.as<int32_t>()[i];
    case KILN_DTYPE_BOOL: return t.as<uint8_t>()[i];
    case KILN_DTYPE_INT8: return t.as<int8_t>()[i];
    case KILN_DTYPE_UINT8: return t.as<uint8_t>()[i];
    default: throw std::runtime_error("the test cannot read " + t.describe());
  }
}

inline bool is_float(DataType d) { return d == KILN_DTYPE_FLOAT32 || d == KILN_DTYPE_FLOAT16 || d == KILN_DTYPE_FLOAT64; }
inline bool is_quantized(DataType d) { return d == KILN_DTYPE_INT8 || d == KILN_DTYPE_UINT8; }

// "[1,0,3,2]": the multi-index of flat element i.
inline std::string index_of(const std::vector<int64_t>& dims, int64_t i) {
  std::vector<int64_t> index(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    index[d] = dims[d] ? i % dims[d] : 0;
    i = dims[d] ? i / dims[d] : 0;
  }
  return format_dims(index);
}

// The first values of a tensor, for failure messages.
inline std::string preview(const Tensor& t, int64_t count = 24) {
  std::ostringstream out;
  out << t.describe() << " {";
  const int64_t n = std::min(count, t.numel());
  for (int64_t i = 0; i < n; ++i) out << (i ? ", " : "") << element(t, i);
  if (n < t.numel()) out << ", ... (" << t.numel() << " values)";
  out << "}";
  return out.str();
}

// Every random value of a case, for failure messages: the seed regenerates them, the preview shows them.
inline std::string describe_case_data(uint64_t seed, const Graph& graph, const std::map<std::string, Tensor>& feeds) {
  std::ostringstream out;
  out << "seed " << seed << "\n";
  for (const auto& [name, t] : feeds) out << "  input " << name << " = " << preview(t) << "\n";
  for (const auto& v : graph.values())
    if (v->constant) out << "  constant " << v->name << " = " << preview(*v->constant) << "\n";
  return out.str();
}

// Compares one output; on failure, says where and by how much, and shows `context` (the seed and inputs).
inline void expect_close(const std::string& name, const Tensor& actual, const Tensor& expected, const Tolerance& tol,
                         const std::string& context) {
  ASSERT_EQ(actual.dims(), expected.dims()) << "output " << name << "\n" << context;
  ASSERT_TRUE(actual.dense()) << "output " << name << " came back strided\n" << context;
  // Float outputs may come back in the precision the GPU ran in; every other dtype must match.
  if (!(is_float(actual.dtype()) && is_float(expected.dtype()))) {
    ASSERT_EQ(actual.dtype(), expected.dtype()) << "output " << name << "\n" << context;
  }

  struct Bad {
    int64_t i;
    double a, e, err;
  };
  std::vector<Bad> bad;
  double diff2 = 0, ref2 = 0, max_err = 0;
  int64_t nonzero = 0;
  const bool steps = is_quantized(expected.dtype());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double e = element(expected, i), a = element(actual, i);
    const double err = std::isnan(a) != std::isnan(e) ? INFINITY : std::isnan(a) ? 0 : std::abs(a - e);
    nonzero += e != 0;
    diff2 += err * err;
    ref2 += e * e;
    max_err = std::max(max_err, err);
    const double allowed = steps ? tol.integer_steps : std::max(tol.absolute, tol.per_element * std::max(1.0, std::abs(e)));
    if (err > allowed) bad.push_back({i, a, e, err});
  }
  const double rel_l2 = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  const bool l2_bad = tol.rel_l2 > 0 && !(rel_l2 <= tol.rel_l2);
  // An empty output (an empty-batch case) has its shape checked above and no values to be zero.
  if (expected.numel() > 0) {
    EXPECT_GT(nonzero, 0) << "output " << name << ": the oracle computed only zeros, the case checks nothing\n" << context;
  }
  if (bad.empty() && !l2_bad) return;

  std::sort(bad.begin(), bad.end(), [](const Bad& x, const Bad& y) { return x.err > y.err; });
  std::ostringstream out;
  out << "output " << name << " " << expected.describe() << ": " << bad.size() << " of " << expected.numel()
      << " elements outside ";
  if (steps) out << tol.integer_steps << " integer step(s)";
  else out << tol.per_element << " * max(1, |expected|)" << (tol.absolute > 0 ? " or " + std::to_string(tol.absolute) : "");
  out << "; max abs error " << max_err
      << ", relative L2 error " << rel_l2;
  if (tol.rel_l2 > 0) out << " (allowed " << tol.rel_l2 << ")";
  out << "\n";
  for (size_t k = 0; k < std::min<size_t>(bad.size(), 10); ++k)
    out << "  at " << index_of(expected.dims(), bad[k].i) << ": expected " << bad[k].e << ", got " << bad[k].a << "\n";
  ADD_FAILURE() << out.str() << context;
}

// Compares every output the oracle produced.
inline void expect_outputs_close(const std::map<std::string, Tensor>& actual, const std::map<std::string, Tensor>& expected,
                                 const Tolerance& tol, const std::string& context) {
  ASSERT_EQ(actual.size(), expected.size()) << context;
  for (const auto& [name, e] : expected) {
    auto it = actual.find(name);
    ASSERT_NE(it, actual.end()) << "the GPU engine did not return output " << name << "\n" << context;
    expect_close(name, it->second, e, tol, context);
  }
}

}  // namespace kiln::cuda_test

#endif  // KILN_TESTS_CUDA_GPU_TEST_SUPPORT_HPP
