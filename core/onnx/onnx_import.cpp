// ONNX ModelProto -> kiln Graph: values, initializers, nodes and attributes, with structural checks.
#include "onnx/onnx_import.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "onnx/onnx_shape_inference.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kiln {

namespace {

std::string normalize_domain(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

// Reads a ModelProto from `path`, allowing models up to 2 GiB (protobuf's default limit is 64 MiB).
onnx::ModelProto parse_model_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(path + ": cannot open model file");
  onnx::ModelProto model;
  bool parsed;
  {
    google::protobuf::io::FileInputStream file(fd);
    google::protobuf::io::CodedInputStream coded(&file);
    coded.SetTotalBytesLimit(INT32_MAX);
    parsed = model.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  }
  close(fd);
  if (!parsed) throw Error(path + ": not a valid ONNX model (protobuf parse failed: truncated or not ONNX)");
  return model;
}

// Records a value's declared type and shape (graph inputs, outputs, value_info).
void apply_type(Value& value, const onnx::TypeProto& type, const std::string& source) {
  if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return;
  if (!type.has_tensor_type())
    throw Unsupported(source + ": value '" + value.name + "' is not a tensor (sequences, maps and optionals are " +
                      "not supported)");
  const onnx::TypeProto::Tensor& tensor = type.tensor_type();
  if (tensor.elem_type() != 0) value.dtype = static_cast<DataType>(tensor.elem_type());
  if (!tensor.has_shape()) return;
  value.has_shape = true;
  value.dims.clear();
  value.symbols.clear();
  for (const auto& dim : tensor.shape().dim()) {
    value.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    value.symbols.push_back(dim.has_dim_param() ? dim.dim_param() : "");
  }
}

Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& model_dir, const std::string& what) {
  if (!a.ref_attr_name().empty())
    throw Error(what + ": attribute references ('ref_attr_name') are only valid inside functions");
  Attribute out;
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT: out.kind = KILN_ATTR_FLOAT; out.f = a.f(); break;
    case onnx::AttributeProto::INT: out.kind = KILN_ATTR_INT; out.i = a.i(); break;
    case onnx::AttributeProto::STRING: out.kind = KILN_ATTR_STRING; out.s = a.s(); break;
    case onnx::AttributeProto::TENSOR:
      out.kind = KILN_ATTR_TENSOR;
      out.tensor = tensor_from_proto(a.t(), model_dir, what);
      break;
    case onnx::AttributeProto::FLOATS:
      out.kind = KILN_ATTR_FLOATS;
      out.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::INTS:
      out.kind = KILN_ATTR_INTS;
      out.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::STRINGS:
      out.kind = KILN_ATTR_STRINGS;
      out.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case onnx::AttributeProto::GRAPH:
    case onnx::AttributeProto::GRAPHS: out.kind = KILN_ATTR_GRAPH; break;
    default:  // sparse tensors, type protos: kept as present but unreadable
      out.kind = KILN_ATTR_GRAPH;
      break;
  }
  return out;
}

class Importer {
 public:
  Importer(const std::string& model_dir, const std::string& source) : model_dir_(model_dir), source_(source) {}

  std::unique_ptr<Graph> run(onnx::ModelProto& model) {
    if (!model.has_graph()) throw Error(source_ + ": the model has no graph");
    if (model.ir_version() <= 0) throw Error(source_ + ": the model has no ir_version");
    graph_ = std::make_unique<Graph>();
    graph_->name = model.graph().name();
    read_opsets(model);
    infer_onnx_shapes(model, source_);  // best effort; annotates value_info
    const onnx::GraphProto& g = model.graph();
    if (g.sparse_initializer_size() > 0)
      throw Unsupported(source_ + ": sparse initializers are not supported ('" + g.sparse_initializer(0).values().name() +
                        "')");
    for (const auto& init : g.initializer()) add_initializer(init);
    for (const auto& input : g.input()) add_input(input);
    for (const auto& node : g.node()) declare_outputs(node);
    for (const auto& info : g.value_info()) annotate(info);
    for (const auto& output : g.output()) annotate(output);
    for (int i = 0; i < g.node_size(); ++i) add_node(g.node(i), i);
    for (const auto& output : g.output()) add_output(output);
    graph_->topological_order();  // throws on a cycle
    return std::move(graph_);
  }

 private:
  void read_opsets(const onnx::ModelProto& model) {
    for (const auto& opset : model.opset_import())
      graph_->opsets[normalize_domain(opset.domain())] = static_cast<int>(opset.version());
    auto it = graph_->opsets.find("");
    if (it == graph_->opsets.end()) {
      if (model.opset_import_size() == 0) graph_->opsets[""] = 1;  // IR v2 models without opset_import
    } else if (it->second < 1 || it->second > 23) {
      throw Unsupported(source_ + ": ai.onnx opset " + std::to_string(it->second) + " is outside what kiln imports (1-23)");
    }
  }

  Value* value(const std::string& name) {
    Value* v = graph_->find_value(name);
    return v ? v : graph_->add_value(name);
  }

  void add_initializer(const onnx::TensorProto& init) {
    if (init.name().empty()) throw Error(source_ + ": an initializer has no name");
    if (graph_->find_value(init.name())) throw Error(source_ + ": initializer '" + init.name() + "' is defined twice");
    Value* v = graph_->add_value(init.name());
    v->constant = tensor_from_proto(init, model_dir_, source_ + ": initializer '" + init.name() + "'");
    v->dtype = v->constant->dtype();
    v->has_shape = true;
    v->dims = v->constant->dims();
    v->symbols.assign(v->dims.size(), "");
  }

  void add_input(const onnx::ValueInfoProto& input) {
    Value* v = value(input.name());
    if (v->constant) return;  // IR < 4 lists initializers as inputs too: they stay constants
    apply_type(*v, input.type(), source_);
    v->is_graph_input = true;
    graph_->inputs().push_back(v);
  }

  void declare_outputs(const onnx::NodeProto& node) {
    for (const std::string& name : node.output()) {
      if (name.empty()) continue;
      Value* existing = graph_->find_value(name);
      if (existing && (existing->constant || existing->is_graph_input))
        throw Error(source_ + ": node '" + node.name() + "' (" + node.op_type() + ") output '" + name +
                    "' redefines a graph input or initializer");
      value(name);
    }
  }

  void annotate(const onnx::ValueInfoProto& info) {
    if (Value* v = graph_->find_value(info.name()); v && !v->constant) apply_type(*v, info.type(), source_);
  }

  std::string unique_node_name(const onnx::NodeProto& proto, int index) {
    std::string name = proto.name().empty() ? proto.op_type() + "_" + std::to_string(index) : proto.name();
    const std::string base = name;
    for (int k = 1; !names_.insert(name).second; ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  void add_node(const onnx::NodeProto& proto, int index) {
    auto node = std::make_unique<Node>();
    node->name = unique_node_name(proto, index);
    node->op_type = proto.op_type();
    node->domain = normalize_domain(proto.domain());
    const std::string label = source_ + ": " + std::string("node '") + node->name + "' (" + node->op_type + ")";
    if (node->op_type.empty()) throw Error(label + " has no op_type");
    auto opset = graph_->opsets.find(node->domain);
    if (opset == graph_->opsets.end())
      throw Error(label + ": its domain '" + node->domain + "' is not in the model's opset_import");
    node->opset = opset->second;
    for (int i = 0; i < proto.input_size(); ++i) {
      const std::string& name = proto.input(i);
      if (name.empty()) {
        node->inputs.push_back(nullptr);
        continue;
      }
      Value* v = graph_->find_value(name);
      if (!v)  // declare_outputs made a Value for every node output; inputs and initializers have theirs
        throw Error(label + ": input " + std::to_string(i) + " '" + name +
                    "' is not a graph input, an initializer or any node's output");
      node->inputs.push_back(v);
    }
    for (const std::string& name : proto.output()) node->outputs.push_back(name.empty() ? nullptr : graph_->find_value(name));
    for (const auto& attr : proto.attribute()) {
      if (node->attributes.count(attr.name())) throw Error(label + ": attribute '" + attr.name() + "' is given twice");
      node->attributes[attr.name()] = convert_attribute(attr, model_dir_, label + " attribute '" + attr.name() + "'");
    }
    try {
      graph_->add_node(std::move(node));
    } catch (const Error& e) {
      throw Error(source_ + ": " + e.what());
    }
  }

  void add_output(const onnx::ValueInfoProto& output) {
    Value* v = graph_->find_value(output.name());
    if (!v || (!v->producer && !v->constant && !v->is_graph_input))
      throw Error(source_ + ": graph output '" + output.name() + "' is not produced by any node");
    v->is_graph_output = true;
    graph_->outputs().push_back(v);
  }

  std::string model_dir_, source_;
  std::unique_ptr<Graph> graph_;
  std::set<std::string> names_;
};

}  // namespace

std::unique_ptr<Graph> import_onnx_model(onnx::ModelProto model, const std::string& model_dir,
                                         const std::string& source) {
  return Importer(model_dir, source).run(model);
}

std::unique_ptr<Graph> import_onnx_file(const std::string& path) {
  onnx::ModelProto model = parse_model_file(path);
  return import_onnx_model(std::move(model), fs::path(path).parent_path().string(), path);
}

}  // namespace kiln
