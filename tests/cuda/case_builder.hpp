// A test case's graph, built by hand from a seed: run-time inputs and constants with random contents, nodes
// with attributes. Building the same case twice from one seed gives two identical graphs (one for the GPU
// engine, one for the reference oracle) and one set of feeds; another `input_variant` keeps the graph and its
// constants but draws other feeds (for later runs of the same engine).
#ifndef KILN_TESTS_CUDA_CASE_BUILDER_HPP
#define KILN_TESTS_CUDA_CASE_BUILDER_HPP

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "kiln/float16.hpp"

namespace kiln::cuda_test {

using Attrs = std::map<std::string, Attribute>;

// int_attr, float_attr, ints_attr, floats_attr, string_attr: ir/attribute.hpp.

class CaseBuilder {
 public:
  // `half_data`: round every random float to a float16-representable value, so that a float16 engine and the
  // float32 oracle start from exactly the same numbers.
  CaseBuilder(uint64_t seed, bool half_data, uint64_t input_variant = 0)
      : graph_(std::make_unique<Graph>()),
        constants_rng_(seed),
        inputs_rng_(seed ^ (0x9E3779B97F4A7C15ull * (input_variant + 1))),
        half_data_(half_data) {
    graph_->opsets[""] = 20;
  }

  // A float32 graph input with random contents in [lo, hi].
  Value* input(const std::string& name, std::vector<int64_t> dims, float lo = -2.f, float hi = 2.f) {
    return input_tensor(name, random_floats(std::move(dims), lo, hi));
  }
  // A graph input of any dtype with the given contents.
  Value* input_tensor(const std::string& name, Tensor contents) {
    Value* v = value(name, contents.dims(), contents.dtype());
    v->is_graph_input = true;
    graph_->inputs().push_back(v);
    feeds_[name] = std::move(contents);
    return v;
  }
  // A float32 initializer with random contents in [lo, hi].
  Value* weight(const std::string& name, std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f) {
    return constant(name, draw_floats(constants_rng_, std::move(dims), lo, hi));
  }
  // A convolution or matrix weight with variance 1/fan_in (inputs summed per output), so outputs stay near 1.
  Value* scaled_weight(const std::string& name, std::vector<int64_t> dims, int64_t fan_in) {
    const float bound = std::sqrt(3.f / static_cast<float>(fan_in));
    return weight(name, std::move(dims), -bound, bound);
  }
  Value* constant(const std::string& name, Tensor contents) {
    Value* v = value(name, contents.dims(), contents.dtype());
    v->constant = std::move(contents);
    return v;
  }
  // An int64 constant: 1-D by default, a scalar when `scalar` is set (shapes, axes, pads, starts, indices).
  Value* ints(const std::string& name, const std::vector<int64_t>& values, bool scalar = false) {
    Tensor t(KILN_DTYPE_INT64, scalar ? std::vector<int64_t>{} : std::vector<int64_t>{static_cast<int64_t>(values.size())});
    for (size_t i = 0; i < values.size(); ++i) t.as<int64_t>()[i] = values[i];
    return constant(name, std::move(t));
  }
  // A 1-D float32 constant with the given values (Resize's scales).
  Value* floats(const std::string& name, const std::vector<float>& values) {
    Tensor t(KILN_DTYPE_FLOAT32, {static_cast<int64_t>(values.size())});
    for (size_t i = 0; i < values.size(); ++i) t.as<float>()[i] = values[i];
    return constant(name, std::move(t));
  }
  // ---- quantized values (docs/quantization.md) ----

  // An int8 (or uint8, per q.dtype) graph input of random integers in [lo, hi] on grid q.
  Value* quantized_input(const std::string& name, std::vector<int64_t> dims, const Quantization& q, int lo = -127,
                         int hi = 127) {
    Value* v = input_tensor(name, random_integers(std::move(dims), q.dtype, lo, hi));
    v->quant = q;
    return v;
  }
  // `v` (an op's output) as integers on grid q: what the builder's INT8 passes make of the values they quantize.
  Value* quantized(Value* v, const Quantization& q) {
    v->dtype = q.dtype;
    v->quant = q;
    return v;
  }
  // A float weight lying on an int8 grid, one scale per output channel (dim 0), that carries those parameters:
  // the constant a folded DequantizeLinear of quantized weights leaves.
  Value* grid_weight(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& scales) {
    Tensor t(KILN_DTYPE_FLOAT32, dims);
    const int64_t per_channel = dims.empty() || dims[0] == 0 ? 0 : t.numel() / dims[0];
    std::uniform_int_distribution<int> dist(-127, 127);
    for (int64_t i = 0; i < t.numel(); ++i)
      t.as<float>()[i] = static_cast<float>(dist(constants_rng_)) * scales[static_cast<size_t>(i / per_channel)];
    Value* v = constant(name, std::move(t));
    Quantization q;
    q.axis = 0;
    q.scales = scales;
    q.zero_points.assign(scales.size(), 0);
    q.dtype = KILN_DTYPE_INT8;
    v->quant = q;
    return v;
  }
  // The scale and zero point of q as QuantizeLinear / DequantizeLinear constants (per tensor: scalars).
  Value* scale_of(const std::string& name, const Quantization& q) {
    Tensor t(KILN_DTYPE_FLOAT32, {});
    t.as<float>()[0] = q.scales.at(0);
    return constant(name, std::move(t));
  }
  Value* zero_point_of(const std::string& name, const Quantization& q) {
    Tensor t(q.dtype, {});
    if (q.dtype == KILN_DTYPE_INT8) t.as<int8_t>()[0] = static_cast<int8_t>(q.zero_points.at(0));
    else t.as<uint8_t>()[0] = static_cast<uint8_t>(q.zero_points.at(0));
    return constant(name, std::move(t));
  }

  // A float32 scalar constant (Clip bounds, Pad's value, Pow's exponent).
  Value* scalar(const std::string& name, float x) {
    Tensor t(KILN_DTYPE_FLOAT32, {});
    t.as<float>()[0] = round(x);
    return constant(name, std::move(t));
  }

  // Appends op(inputs) (nullptr: an omitted optional input) and returns its one output, named `output` (default:
  // after the node). Without explicit outputs, the last node's output is the graph's output.
  Value* op(const std::string& op_type, std::vector<Value*> inputs, Attrs attributes = {}, int opset = 13,
            const std::string& output = "") {
    auto n = std::make_unique<Node>();
    n->name = op_type + "_" + std::to_string(graph_->nodes().size());
    n->op_type = op_type;
    n->opset = opset;
    n->inputs = std::move(inputs);
    n->outputs = {graph_->add_value(output.empty() ? n->name + "_out" : output)};
    n->attributes = std::move(attributes);
    last_ = graph_->add_node(std::move(n))->outputs[0];
    return last_;
  }
  void output(Value* v) {
    v->is_graph_output = true;
    graph_->outputs().push_back(v);
  }

  std::unique_ptr<Graph> finish() {
    if (graph_->outputs().empty() && last_) output(last_);
    return std::move(graph_);
  }
  const Graph& graph() const { return *graph_; }
  const std::map<std::string, Tensor>& feeds() const { return feeds_; }

  // Random contents for run-time inputs (drawn from the inputs' stream).
  Tensor random_floats(std::vector<int64_t> dims, float lo, float hi) { return draw_floats(inputs_rng_, std::move(dims), lo, hi); }
  Tensor random_ints(std::vector<int64_t> dims, int64_t lo, int64_t hi) {
    Tensor t(KILN_DTYPE_INT64, std::move(dims));
    std::uniform_int_distribution<int64_t> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.as<int64_t>()[i] = dist(inputs_rng_);
    return t;
  }
  // Random integers in [lo, hi] as an int8 or uint8 tensor (drawn from the inputs' stream).
  Tensor random_integers(std::vector<int64_t> dims, DataType dtype, int lo, int hi) {
    Tensor t(dtype, std::move(dims));
    std::uniform_int_distribution<int> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (dtype == KILN_DTYPE_INT8) t.as<int8_t>()[i] = static_cast<int8_t>(dist(inputs_rng_));
      else t.as<uint8_t>()[i] = static_cast<uint8_t>(dist(inputs_rng_));
    }
    return t;
  }
  // Random float16 values in [lo, hi] (for Cast from float16).
  Tensor random_halves(std::vector<int64_t> dims, float lo, float hi) {
    Tensor t(KILN_DTYPE_FLOAT16, std::move(dims));
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float16>()[i] = float16(dist(inputs_rng_));
    return t;
  }

 private:
  Tensor draw_floats(std::mt19937_64& rng, std::vector<int64_t> dims, float lo, float hi) const {
    Tensor t(KILN_DTYPE_FLOAT32, std::move(dims));
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = round(dist(rng));
    return t;
  }

  float round(float x) const { return half_data_ ? static_cast<float>(float16(x)) : x; }

  Value* value(const std::string& name, const std::vector<int64_t>& dims, DataType dtype) {
    Value* v = graph_->add_value(name);
    v->dtype = dtype;
    v->has_shape = true;
    v->dims = dims;
    v->symbols.assign(dims.size(), "");
    return v;
  }

  std::unique_ptr<Graph> graph_;
  std::mt19937_64 constants_rng_, inputs_rng_;  // separate, so an input variant keeps the constants
  bool half_data_;
  std::map<std::string, Tensor> feeds_;
  Value* last_ = nullptr;
};

}  // namespace kiln::cuda_test

#endif  // KILN_TESTS_CUDA_CASE_BUILDER_HPP
