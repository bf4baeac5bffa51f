// Pow: z = x ^ y with broadcasting (Pow-1's attribute form too). The result has the base's type; since opset 12 the exponent may be any
// numeric type. Integer ^ integer is exact (wrapping on overflow); everything else is computed in double and
// converted once to the base's type (float16 rounds to nearest even, integers truncate and saturate).
#include <cmath>
#include <type_traits>

#include "common/convert.hpp"
#include "common/elementwise.hpp"

namespace kiln::cpu_ref {
namespace {

using BaseTypes = DtypeSet<KILN_DTYPE_FLOAT32, KILN_DTYPE_FLOAT64, KILN_DTYPE_FLOAT16, KILN_DTYPE_INT32, KILN_DTYPE_INT64>;

// base ^ exponent for integers, by repeated squaring. A negative exponent gives 1/base^|e|, which truncates to
// 0 unless |base| is 1; 0 to a negative power has no value and is an error, like integer division by zero.
template <class T, class E>
T integer_power(T base, E exponent) {
  if constexpr (std::is_signed_v<E>) {
    if (exponent < 0) {
      if (base == 0) fail_invalid("Pow: zero raised to a negative integer power");
      if (base == 1) return T(1);
      if constexpr (std::is_signed_v<T>)
        if (base == T(-1)) return (exponent & 1) ? T(-1) : T(1);
      return T(0);
    }
  }
  T result = 1;
  for (auto e = static_cast<std::make_unsigned_t<E>>(exponent); e != 0; e >>= 1) {
    if (e & 1) result = wrapping_mul(result, base);
    base = wrapping_mul(base, base);
  }
  return result;
}

template <class T, class E>
T power(T base, E exponent) {
  if constexpr (is_int_v<T> && is_int_v<E>) {
    return integer_power(base, exponent);
  } else {
    const double b = static_cast<double>(static_cast<compute_type_t<T>>(base));
    const double e = static_cast<double>(static_cast<compute_type_t<E>>(exponent));
    return convert<T>(std::pow(b, e));
  }
}

struct Pow {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Pow";
    s.op_type = "Pow";
    s.opset_min = 1;
    s.inputs = {io(BaseTypes::mask), io(NumericTypes::mask)};
    s.outputs = {io(BaseTypes::mask)};
    return s;
  }
  explicit Pow(const Node& node) : legacy(node) {}
  static void infer(const Node& node, InferContext& ctx) {
    const ValueInfo x = ctx.input(0), y = ctx.input(1);
    if (!x.has_rank || !y.has_rank) ctx.set_output_unknown_rank(0, x.dtype);
    else ctx.set_output(0, x.dtype, broadcast_shapes({x.dims, LegacyBroadcast(node).b_dims(x.dims, y.dims)}));
  }
  void execute(ExecContext& ctx) {
    const Tensor x = ctx.input(0), y = ctx.input(1), z = ctx.output(0);
    BaseTypes::dispatch(x.dtype(), "Pow base", [&](auto base_tag) {
      using T = decltype(base_tag);
      NumericTypes::dispatch(y.dtype(), "Pow exponent", [&](auto exponent_tag) {
        using E = decltype(exponent_tag);
        const T* px = x.data<T>();
        const E* py = y.data<E>();
        T* out = z.data<T>();
        for_each_broadcast_row<2>(z.shape(), {x.shape(), legacy.b_dims(x.shape(), y.shape())},
                                  [&](int64_t base, int64_t count, const std::array<int64_t, 2>& at,
                                      const std::array<int64_t, 2>& steps) {
                                    for_each_in_row2(count, steps[0], steps[1], [&](int64_t j, int64_t ix, int64_t iy) {
                                      out[base + j] = power(px[at[0] + ix], py[at[1] + iy]);
                                    });
                                  });
      });
    });
  }
  LegacyBroadcast legacy;
};

}  // namespace

const kiln_kernel_desc* pow_kernel() { return describe<Pow>(); }

}  // namespace kiln::cpu_ref
