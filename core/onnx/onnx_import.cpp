// ONNX ModelProto -> kiln Graph: values, initializers, nodes and attributes, with structural checks, then the
// types and shapes the model declares and those ONNX's shape inference adds.
#include "onnx/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>

#include "onnx/attribute_proto.hpp"
#include "onnx/onnx_shape_inference.hpp"
#include "onnx/protobuf_file.hpp"
#include "onnx/value_type.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

// The ai.onnx opsets kiln imports. Opsets 1-6 (old exporters, the ONNX backend's pytorch suites) are kept:
// kernels declare the opset range they implement, so no opset is assumed to mean anything here.
constexpr int kNewestOnnxOpset = 23;

std::string normalize_domain(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

class Importer {
 public:
  Importer(const std::string& model_dir, const std::string& source) : model_dir_(model_dir), source_(source) {}

  std::unique_ptr<Graph> run(onnx::ModelProto& model) {
    check_model(model);
    graph_ = std::make_unique<Graph>();
    graph_->name = model.graph().name();
    read_opsets(model);
    const onnx::GraphProto& g = model.graph();
    if (g.sparse_initializer_size() > 0)
      throw Unsupported(source_ + ": sparse initializers are not supported (" +
                        in_quotes(g.sparse_initializer(0).values().name()) + ")");
    for (const auto& init : g.initializer()) add_initializer(init);
    for (const auto& input : g.input()) add_input(input);
    name_nodes(g);
    for (int i = 0; i < g.node_size(); ++i) declare_outputs(g.node(i), i);
    for (const auto& info : g.value_info()) declare_type(info);
    for (const auto& output : g.output()) declare_type(output);
    for (int i = 0; i < g.node_size(); ++i) add_node(g.node(i), i);
    for (const auto& output : g.output()) add_output(output);
    const std::vector<Node*> order = topological_order();
    add_inferred_types(model, order);
    return std::move(graph_);
  }

 private:
  void check_model(const onnx::ModelProto& model) const {
    if (model.ir_version() <= 0)
      throw Error(source_ + ": not a valid ONNX model (ir_version is " + std::to_string(model.ir_version()) +
                  "; truncated, or not an ONNX file)");
    if (!model.has_graph()) throw Error(source_ + ": not a valid ONNX model (it has no graph)");
    // IR version 3 introduced opset_import; a newer model without it has lost its tail.
    if (model.ir_version() >= 3 && model.opset_import_size() == 0)
      throw Error(source_ + ": not a valid ONNX model (IR version " + std::to_string(model.ir_version()) +
                  " but no opset_import; truncated?)");
  }

  void read_opsets(const onnx::ModelProto& model) {
    for (const auto& opset : model.opset_import()) {
      const std::string domain = normalize_domain(opset.domain());
      if (opset.version() < 0 || opset.version() > INT32_MAX)
        throw Error(source_ + ": opset_import gives domain " + in_quotes(domain) + " version " +
                    std::to_string(opset.version()) + ", which is not a valid opset version");
      const int version = static_cast<int>(opset.version());
      auto [it, added] = graph_->opsets.emplace(domain, version);
      if (!added && it->second != version)
        throw Error(source_ + ": opset_import gives domain " + in_quotes(domain) + " two versions, " +
                    std::to_string(it->second) + " and " + std::to_string(version));
    }
    if (model.opset_import_size() == 0) graph_->opsets[""] = 1;  // IR version < 3: opset 1 implied
    const int onnx_opset = graph_->opsets.count("") ? graph_->opsets.at("") : 1;
    if (onnx_opset < 1) throw Error(source_ + ": ai.onnx opset " + std::to_string(onnx_opset) + " is not valid");
    if (onnx_opset > kNewestOnnxOpset)
      throw Unsupported(source_ + ": ai.onnx opset " + std::to_string(onnx_opset) + " is newer than kiln supports (" +
                        std::to_string(kNewestOnnxOpset) + ")");
  }

  void add_initializer(const onnx::TensorProto& init) {
    if (init.name().empty()) throw Error(source_ + ": an initializer has no name");
    const std::string what = source_ + ": initializer " + in_quotes(init.name());
    if (graph_->find_value(init.name())) throw Error(what + " is defined twice");
    Tensor tensor = tensor_from_proto(init, model_dir_, what);
    Value* v = graph_->add_value(init.name());
    v->dtype = tensor.dtype();
    v->has_shape = true;
    v->dims = tensor.dims();
    v->symbols.assign(v->dims.size(), "");
    v->constant = std::move(tensor);
  }

  // IR < 4 lists initializers among the inputs too; such an input is a constant with a default, not a runtime
  // input, so Graph::inputs() holds only what a caller must feed.
  void add_input(const onnx::ValueInfoProto& input) {
    if (input.name().empty()) throw Error(source_ + ": a graph input has no name");
    Value* v = graph_->find_value(input.name());
    if (v && v->constant) return;
    if (v) throw Error(source_ + ": graph input " + in_quotes(input.name()) + " is listed twice");
    v = graph_->add_value(input.name());
    declare_value_type(*v, input.type(), source_);
    v->is_graph_input = true;
    graph_->inputs().push_back(v);
  }

  // Unnamed nodes become "<op_type>_<index>". A name an earlier node took, and a generated name that another
  // node carries explicitly, get a further "_<k>".
  void name_nodes(const onnx::GraphProto& g) {
    std::set<std::string> explicit_names, used;
    for (const auto& node : g.node())
      if (!node.name().empty()) explicit_names.insert(node.name());
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& node = g.node(i);
      const std::string base = node.name().empty() ? node.op_type() + "_" + std::to_string(i) : node.name();
      std::string name = base;
      for (int k = 1; used.count(name) || (name != node.name() && explicit_names.count(name)); ++k)
        name = base + "_" + std::to_string(k);
      used.insert(name);
      node_names_.push_back(name);
      op_types_.push_back(node.op_type());
    }
  }

  std::string node_label(const onnx::NodeProto& node, int index) const {
    return source_ + ": node " + in_quotes(node_names_[index]) + " (" + node.op_type() + ")";
  }

  void declare_outputs(const onnx::NodeProto& node, int index) {
    for (const std::string& name : node.output()) {
      if (name.empty()) continue;
      if (const Value* existing = graph_->find_value(name))
        throw Error(node_label(node, index) + ": output " + in_quotes(name) + " is also " + defined_by(*existing));
      graph_->add_value(name);
      producer_index_[name] = index;
    }
  }

  // What already defines a value, for a duplicate definition's message.
  std::string defined_by(const Value& value) const {
    if (value.constant) return "an initializer";
    if (value.is_graph_input) return "a graph input";
    const int producer = producer_index_.at(value.name);
    return "an output of node " + in_quotes(node_names_[producer]) + " (" + op_types_[producer] + ")";
  }

  void declare_type(const onnx::ValueInfoProto& info) {
    Value* v = graph_->find_value(info.name());
    if (v && !v->constant) declare_value_type(*v, info.type(), source_);
  }

  void add_node(const onnx::NodeProto& proto, int index) {
    const std::string label = node_label(proto, index);
    if (proto.op_type().empty()) throw Error(label + " has no op_type");
    auto node = std::make_unique<Node>();
    node->name = node_names_[index];
    node->op_type = proto.op_type();
    node->domain = normalize_domain(proto.domain());
    auto opset = graph_->opsets.find(node->domain);
    if (opset == graph_->opsets.end())
      throw Error(label + ": its domain " + in_quotes(node->domain) + " is not in the model's opset_import");
    node->opset = opset->second;
    for (int i = 0; i < proto.input_size(); ++i) node->inputs.push_back(input_value(proto, i, label));
    for (const std::string& name : proto.output())
      node->outputs.push_back(name.empty() ? nullptr : graph_->find_value(name));
    for (const auto& attr : proto.attribute()) {
      const std::string what = label + " attribute " + in_quotes(attr.name());
      if (node->attributes.count(attr.name())) throw Error(what + " is given twice");
      node->attributes[attr.name()] = attribute_from_proto(attr, model_dir_, what);
    }
    proto_index_[graph_->add_node(std::move(node))] = index;
  }

  // An empty name is an omitted optional input. declare_outputs made a Value for every node output, so a name
  // with no Value is defined nowhere.
  Value* input_value(const onnx::NodeProto& proto, int i, const std::string& label) const {
    const std::string& name = proto.input(i);
    if (name.empty()) return nullptr;
    Value* v = graph_->find_value(name);
    if (!v)
      throw Error(label + ": input " + std::to_string(i) + " " + in_quotes(name) +
                  " is not a graph input, an initializer or any node's output");
    return v;
  }

  void add_output(const onnx::ValueInfoProto& output) {
    Value* v = graph_->find_value(output.name());
    if (!v) throw Error(source_ + ": graph output " + in_quotes(output.name()) + " is not produced by any node");
    if (v->is_graph_output) throw Error(source_ + ": graph output " + in_quotes(output.name()) + " is listed twice");
    v->is_graph_output = true;
    graph_->outputs().push_back(v);
  }

  std::vector<Node*> topological_order() const {
    try {
      return graph_->topological_order();
    } catch (const Error& e) {
      throw Error(source_ + ": " + e.what());
    }
  }

  void add_inferred_types(onnx::ModelProto& model, const std::vector<Node*>& order) {
    std::vector<int> node_order;
    for (const Node* node : order) node_order.push_back(proto_index_.at(node));
    for (const auto& [name, type] : infer_value_types(model, node_order))
      if (Value* v = graph_->find_value(name)) merge_inferred_type(*v, type);
  }

  std::string model_dir_, source_;
  std::unique_ptr<Graph> graph_;
  std::vector<std::string> node_names_;        // by node index
  std::vector<std::string> op_types_;          // by node index
  std::map<std::string, int> producer_index_;  // node output -> producing node's index
  std::map<const Node*, int> proto_index_;     // imported node -> its index in the model
};

}  // namespace

std::unique_ptr<Graph> import_onnx_model(onnx::ModelProto model, const std::string& model_dir,
                                         const std::string& source) {
  return Importer(model_dir, source).run(model);
}

std::unique_ptr<Graph> import_onnx_file(const std::string& path) {
  onnx::ModelProto model;
  if (!parse_protobuf_file(path, model))
    throw Error(path + ": not a valid ONNX model (protobuf parse failed: the file is truncated or not ONNX)");
  return import_onnx_model(std::move(model), std::filesystem::path(path).parent_path().string(), path);
}

}  // namespace kiln
