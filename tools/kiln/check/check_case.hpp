// One case of `kiln plugin check`: a single node (op, opset, attributes) and its inputs' dtypes, shapes and
// values, and the graph that holds it while both kernels run it.
#ifndef KILN_CHECK_CHECK_CASE_HPP
#define KILN_CHECK_CHECK_CASE_HPP

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "runtime/layer_execution.hpp"

namespace kiln::check {

struct CaseInput {
  std::string name;     // the ONNX input's name ("X", "W"), for the report
  Tensor data;          // empty: the optional input is omitted
  bool constant = false;  // an initializer: the kernels see its data while checking and preparing
  bool chained = false;   // a fused pattern's later step: the previous step's output
  std::optional<Quantization> quant;  // an INT8 case's activation grid, or a float weight's grid (Value::quant)
};

struct Case {
  std::string domain;  // "" for ai.onnx
  std::string op_type;
  int opset = 0;
  std::map<std::string, Attribute> attributes;
  std::vector<CaseInput> inputs;
  int num_outputs = 1;
  // Output 0 as an INT8 case declares it before the reference runs (INT8 kernels write the dtype the graph
  // gives them: int8/uint8 on `output_quant`'s grid, or float32 reals); UNDEFINED: the reference's shape
  // function decides.
  DataType output_dtype = KILN_DTYPE_UNDEFINED;
  std::optional<Quantization> output_quant;

  // Builders for generators.
  Case& input(const std::string& name, Tensor data) { return add(name, std::move(data), false); }
  Case& constant(const std::string& name, Tensor data) { return add(name, std::move(data), true); }
  Case& omitted(const std::string& name) { return add(name, Tensor(), false); }
  Case& attr(const std::string& name, Attribute value) {
    attributes[name] = std::move(value);
    return *this;
  }

  // "X float32[2,3,0,5] W float32[4,3,3,3] (constant) attrs {group: 1, pads: [1,1,1,1]}"; quantized values
  // and a declared output add their grids: "X int8[1,2,5,5] (scale 0.02 zero point 3) ... -> Y int8 (scale 0.1)"
  std::string describe() const;

 private:
  Case& add(const std::string& name, Tensor data, bool is_constant) {
    inputs.push_back(CaseInput{name, std::move(data), is_constant, false, std::nullopt});
    return *this;
  }
};

// A fused-pattern case: the chain's steps, each but the first reading the previous step's output at the input
// marked `chained` (whose data is what the reference computed for the previous step).
struct FusedCase {
  std::vector<Case> steps;
  // "Conv: X float32[...] W ... -> BatchNormalization: scale ... -> Relu"
  std::string describe() const;
};

// "[1,1,1,1]", "0.5", "\"SAME_UPPER\"": an attribute's value for the report.
std::string describe_attribute(const Attribute& a);

// The graph of a case: one value per input (constants carry their data), one node, and its outputs, whose
// dtypes and shapes are unknown until set_output_shapes gives the reference kernel's.
class CaseGraph {
 public:
  explicit CaseGraph(const Case& c);
  // The fused node of kernel `fused` (op and domain) for the chain: its inputs are every step's inputs but the
  // chained ones, its pattern the steps, its outputs the last step's. `step_shapes`: each step's outputs, as the
  // reference gave them.
  CaseGraph(const FusedCase& chain, const kiln_kernel_desc& fused,
            const std::vector<std::vector<OutputShape>>& step_shapes);
  const Node& node() const { return *node_; }
  // One tensor per input position (empty for an omitted one).
  const std::vector<Tensor>& inputs() const { return inputs_; }
  void set_output_shapes(const std::vector<OutputShape>& shapes);
  // Stores each 4-D non-constant input and output of the node in `layout` where kernel `k` accepts it at that
  // position, and linear elsewhere. Returns whether any value is stored `layout` (linear: always).
  bool store(kiln_layout layout, const kiln_kernel_desc& k);

 private:
  // A node for `c` whose inputs are new values (the chained one `chained`, when given) and whose outputs are new values
  // shaped `shapes` (unknown when empty); its non-chained inputs' data go to inputs_.
  std::unique_ptr<Node> step_node(const Case& c, Value* chained, const std::vector<OutputShape>& shapes);

  std::unique_ptr<Graph> graph_;
  Node* node_ = nullptr;
  std::vector<Tensor> inputs_;
};

}  // namespace kiln::check

#endif  // KILN_CHECK_CHECK_CASE_HPP
