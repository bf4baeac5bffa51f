// Einsum: numpy's Einstein summation. The equation names each input dim with a letter ("..." stands for
// broadcast dims, right-aligned across inputs); a letter repeated within one input takes a diagonal; letters
// absent from the output are summed over. Without "->", the output is the broadcast dims followed by the
// letters used exactly once, in alphabetical (ASCII) order.
//
// The reference computes directly: one loop over every combination of letter values, the output's letters
// outermost, each input read through per-letter strides. Floats accumulate in double; integers in uint64,
// whose wraparound is defined and, cast back, equals the type's own modulo arithmetic.
#include <algorithm>
#include <type_traits>

#include "common/elementwise.hpp"
#include "common/shape_util.hpp"

namespace kiln::cpu_ref {
namespace {

// Labels: 0..51 are the letters a-z, A-Z; 52 + j is broadcast (ellipsis) dim j.
constexpr int kEllipsisBase = 52;

int letter_label(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  fail_invalid(std::string("Einsum: '") + c + "' is not a letter");
}

// Label order of the implicit output: ASCII order, uppercase first.
int ascii_rank(int label) { return label < 26 ? 26 + label : label - 26; }

// One term of the equation: its letters, and where its "..." sits (-1 when it has none).
struct Term {
  std::vector<int> letters;
  int ellipsis_at = -1;
};

Term parse_term(const std::string& text) {
  Term t;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "...") == 0) {
      if (t.ellipsis_at >= 0) fail_invalid("Einsum: a term has two ellipses: '" + text + "'");
      t.ellipsis_at = static_cast<int>(t.letters.size());
      i += 2;
    } else {
      t.letters.push_back(letter_label(text[i]));
    }
  }
  return t;
}

// The labels of a term once its ellipsis stands for `ellipsis_dims` of the `broadcast_rank` broadcast dims.
std::vector<int> expand(const Term& t, int ellipsis_dims, int broadcast_rank) {
  std::vector<int> labels(t.letters.begin(), t.letters.end());
  if (t.ellipsis_at < 0) return labels;
  std::vector<int> broadcast;
  for (int j = broadcast_rank - ellipsis_dims; j < broadcast_rank; ++j) broadcast.push_back(kEllipsisBase + j);
  labels.insert(labels.begin() + t.ellipsis_at, broadcast.begin(), broadcast.end());
  return labels;
}

// The equation resolved against the inputs' ranks: each input's per-dim labels and the output's labels.
struct Plan {
  std::vector<std::vector<int>> inputs;
  std::vector<int> output;
};

Plan make_plan(std::string equation, const std::vector<int>& ranks) {
  equation.erase(std::remove(equation.begin(), equation.end(), ' '), equation.end());
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ranks.size())
    fail_invalid("Einsum: the equation has " + std::to_string(terms.size()) + " terms for " +
                 std::to_string(ranks.size()) + " inputs");
  Plan plan;
  int broadcast_rank = 0;
  std::vector<int> ellipsis_dims(terms.size(), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    const int letters = static_cast<int>(terms[i].letters.size());
    ellipsis_dims[i] = ranks[i] - letters;
    if (ellipsis_dims[i] < 0 || (terms[i].ellipsis_at < 0 && ellipsis_dims[i] != 0))
      fail_invalid("Einsum: term " + std::to_string(i) + " has " + std::to_string(letters) +
                   " letters for an input of rank " + std::to_string(ranks[i]));
    broadcast_rank = std::max(broadcast_rank, ellipsis_dims[i]);
  }
  for (size_t i = 0; i < terms.size(); ++i) plan.inputs.push_back(expand(terms[i], ellipsis_dims[i], broadcast_rank));
  if (arrow != std::string::npos) {
    plan.output = expand(parse_term(equation.substr(arrow + 2)), broadcast_rank, broadcast_rank);
    return plan;
  }
  int uses[kEllipsisBase] = {};
  for (const Term& t : terms)
    for (int l : t.letters) ++uses[l];
  for (int j = 0; j < broadcast_rank; ++j) plan.output.push_back(kEllipsisBase + j);
  std::vector<int> once;
  for (int l = 0; l < kEllipsisBase; ++l)
    if (uses[l] == 1) once.push_back(l);
  std::sort(once.begin(), once.end(), [](int a, int b) { return ascii_rank(a) < ascii_rank(b); });
  plan.output.insert(plan.output.end(), once.begin(), once.end());
  return plan;
}

// The size of every label (index = label), from the inputs' dims; -1 when unknown. 1 broadcasts.
std::vector<int64_t> label_sizes(const Plan& plan, const std::vector<std::vector<int64_t>>& dims) {
  std::vector<int64_t> size(kEllipsisBase + 64, 1);
  std::vector<bool> seen(size.size(), false);
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    for (size_t d = 0; d < plan.inputs[i].size(); ++d) {
      const int l = plan.inputs[i][d];
      if (static_cast<size_t>(l) >= size.size()) fail_unsupported("Einsum: more than 64 broadcast dims");
      const int64_t n = dims[i][d];
      if (!seen[l] || size[l] == 1 || (size[l] == -1 && n != 1))
        size[l] = n;
      else if (n != 1 && n != -1 && size[l] != -1 && n != size[l])
        fail_invalid("Einsum: a label has sizes " + std::to_string(size[l]) + " and " + std::to_string(n));
      seen[l] = true;
    }
  for (int l : plan.output)
    if (!seen[l]) fail_invalid("Einsum: an output label does not appear in any input");
  return size;
}

struct Einsum {
  static KernelSpec spec() {
    KernelSpec s;
    s.name = "kiln.cpu_ref.Einsum";
    s.op_type = "Einsum";
    s.opset_min = 12;
    s.inputs = {io(NumericTypes::mask, KILN_IO_VARIADIC)};
    s.outputs = {io(NumericTypes::mask)};
    return s;
  }
  explicit Einsum(const Node& node) : equation(node.attr_string("equation")) {}

  static void infer(const Node& node, InferContext& ctx) {
    std::vector<int> ranks;
    std::vector<std::vector<int64_t>> dims;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const ValueInfo v = ctx.input(i);
      if (!v.has_rank) return ctx.set_output_unknown_rank(0, ctx.input(0).dtype);
      ranks.push_back(v.rank());
      dims.push_back(v.dims);
    }
    const Plan plan = make_plan(node.attr_string("equation"), ranks);
    const std::vector<int64_t> size = label_sizes(plan, dims);
    std::vector<int64_t> out;
    for (int l : plan.output) out.push_back(size[l]);
    ctx.set_output(0, ctx.input(0).dtype, out);
  }

  void execute(ExecContext& ctx) {
    const int count = ctx.num_inputs();
    std::vector<int> ranks;
    std::vector<std::vector<int64_t>> dims;
    for (int i = 0; i < count; ++i) {
      if (ctx.input(i).dtype() != ctx.input(0).dtype()) fail_invalid("Einsum: inputs have different dtypes");
      ranks.push_back(ctx.input(i).rank());
      dims.push_back(ctx.input(i).shape());
    }
    const Plan plan = make_plan(equation, ranks);
    const std::vector<int64_t> size = label_sizes(plan, dims);
    // Loop labels: the output's, then the summed ones.
    std::vector<int> loop = plan.output;
    for (const auto& labels : plan.inputs)
      for (int l : labels)
        if (std::find(loop.begin(), loop.end(), l) == loop.end()) loop.push_back(l);
    std::vector<int64_t> loop_dims;
    for (int l : loop) loop_dims.push_back(size[l]);
    // strides[i][k]: how far input i's offset moves when loop label k steps (0 where broadcast).
    std::vector<std::vector<int64_t>> strides(count, std::vector<int64_t>(loop.size(), 0));
    for (int i = 0; i < count; ++i) {
      const std::vector<int64_t> dense = dense_strides(dims[i]);
      for (size_t d = 0; d < dims[i].size(); ++d) {
        if (dims[i][d] == 1) continue;
        const size_t k = static_cast<size_t>(std::find(loop.begin(), loop.end(), plan.inputs[i][d]) - loop.begin());
        strides[i][k] += dense[d];
      }
    }
    const Tensor y = ctx.output(0);
    const int64_t out_count = y.numel(), total = product(loop_dims);
    NumericTypes::dispatch(y.dtype(), "Einsum", [&](auto tag) {
      using T = decltype(tag);
      using A = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;
      std::vector<const T*> in;
      for (int i = 0; i < count; ++i) in.push_back(ctx.input(i).data<T>());
      std::vector<A> acc(static_cast<size_t>(out_count), A(0));
      const int64_t per_output = out_count ? total / out_count : 0;
      std::vector<int64_t> counter(loop.size(), 0), offset(count, 0);
      for (int64_t step = 0; step < total; ++step) {
        A term = A(1);
        for (int i = 0; i < count; ++i) term *= static_cast<A>(static_cast<compute_type_t<T>>(in[i][offset[i]]));
        acc[static_cast<size_t>(step / per_output)] += term;
        for (size_t k = loop.size(); k-- > 0;) {
          for (int i = 0; i < count; ++i) offset[i] += strides[i][k];
          if (++counter[k] < loop_dims[k]) break;
          for (int i = 0; i < count; ++i) offset[i] -= strides[i][k] * loop_dims[k];
          counter[k] = 0;
        }
      }
      T* out = y.data<T>();
      for (size_t o = 0; o < acc.size(); ++o) out[o] = static_cast<T>(static_cast<compute_type_t<T>>(acc[o]));
    });
  }

  std::string equation;
};

}  // namespace

const kiln_kernel_desc* einsum_kernel() { return describe<Einsum>(); }

}  // namespace kiln::cpu_ref
