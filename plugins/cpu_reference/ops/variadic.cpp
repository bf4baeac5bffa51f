// Max, Min, Sum, Mean over any number of broadcast inputs (opsets 6-7 required equal shapes, a special case).
#include <algorithm>
#include <cmath>

#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

// NaN propagates through Max and Min, as in numpy's maximum/minimum.
template <class C> bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return std::isnan(v);
  return false;
}

struct Max {
  static constexpr const char* kName = "Max";
  static constexpr int kSince = 6;
  using Types = NumericTypes;
  explicit Max(const Node&) {}
  template <class C> C operator()(C a, C b) const { return is_nan(a) || is_nan(b) ? (is_nan(a) ? a : b) : std::max(a, b); }
  template <class C> C finish(C acc, int) const { return acc; }
};

struct Min {
  static constexpr const char* kName = "Min";
  static constexpr int kSince = 6;
  using Types = NumericTypes;
  explicit Min(const Node&) {}
  template <class C> C operator()(C a, C b) const { return is_nan(a) || is_nan(b) ? (is_nan(a) ? a : b) : std::min(a, b); }
  template <class C> C finish(C acc, int) const { return acc; }
};

struct Sum {
  static constexpr const char* kName = "Sum";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Sum(const Node&) {}
  template <class C> C operator()(C a, C b) const { return a + b; }
  template <class C> C finish(C acc, int) const { return acc; }
};

struct Mean {
  static constexpr const char* kName = "Mean";
  static constexpr int kSince = 6;
  using Types = FloatTypes;
  explicit Mean(const Node&) {}
  template <class C> C operator()(C a, C b) const { return a + b; }
  template <class C> C finish(C acc, int count) const { return acc / C(count); }
};

}  // namespace

const kiln_kernel_desc* max_kernel() { return describe<VariadicKernel<Max>>(); }
const kiln_kernel_desc* min_kernel() { return describe<VariadicKernel<Min>>(); }
const kiln_kernel_desc* sum_kernel() { return describe<VariadicKernel<Sum>>(); }
const kiln_kernel_desc* mean_kernel() { return describe<VariadicKernel<Mean>>(); }

}  // namespace kiln::cpu_ref
