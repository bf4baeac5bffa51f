#include "onnx/onnx_shape_inference.hpp"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <optional>
#include <set>
#include <unordered_map>

#include "onnx/crash_isolation.hpp"

namespace kiln {

namespace {

using OpsetMap = std::unordered_map<std::string, int>;

// Tensors larger than this are copied without data: shape arguments (Reshape's shape, Slice's starts...) are tiny.
constexpr int kMaxCopiedElements = 4096;
constexpr size_t kMaxCopiedRawBytes = 32 * 1024;

// Inference takes well under a second even for large models; a child still busy after this is stuck.
constexpr int kInferenceTimeoutSeconds = 60;

// Newer ops' names get this prefix in the copy: no schema matches, so libonnx skips them.
const char* const kHiddenPrefix = "KilnNotInferred_";

std::string normalize_domain(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

// ai.onnx ops whose shape rules changed after opset 17, libonnx 1.12's newest, in a way its schema check cannot
// see, with the opset that changed them: DFT-20 moved 'axis' to an input with a new default, GridSample-20 went
// N-D. Other changes (ReduceMean-18's axes input, Pad-18's axes, Split-18's num_outputs, AveragePool-19's
// dilations, QuantizeLinear-21's output_dtype...) add an input or an attribute: Schema::Verify rejects such nodes
// against the 1.12 schema, and nodes that do not use the addition mean what they meant before.
const std::map<std::string, int>& ops_changed_after_libonnx() {
  static const std::map<std::string, int> changed = {{"DFT", 20}, {"GridSample", 20}};
  return changed;
}

int newest_known_opset(const std::string& domain) {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find(domain);
  return it == ranges.end() ? -1 : it->second.second;
}

bool has_ceil_mode(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute())
    if (attr.name() == "ceil_mode") return attr.i() != 0;
  return false;
}

// True when libonnx would infer this node wrongly, or might crash on it.
bool untrusted(const onnx::NodeProto& node, const OpsetMap& opsets) {
  const std::string domain = normalize_domain(node.domain());
  auto opset = opsets.find(domain);
  if (opset == opsets.end()) return true;
  const int newest = newest_known_opset(domain);
  if (newest < 0) return false;  // a domain libonnx does not know: no schema, skipped by libonnx itself
  if (opset->second > newest) {
    if (!domain.empty()) return true;
    auto changed = ops_changed_after_libonnx().find(node.op_type());
    if (changed != ops_changed_after_libonnx().end() && opset->second >= changed->second) return true;
  }
  const std::string& op = node.op_type();
  if ((op == "MaxPool" || op == "AveragePool" || op == "LpPool") && has_ceil_mode(node)) return true;
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op, opset->second, domain);
  if (!schema) return false;
  try {
    schema->Verify(node);  // input/output counts and attributes; inference functions assume them
  } catch (const std::exception&) {
    return true;
  }
  return false;
}

void hide_untrusted_nodes(onnx::GraphProto& graph, const OpsetMap& opsets);

void hide_in_subgraphs(onnx::NodeProto& node, const OpsetMap& opsets) {
  for (auto& attr : *node.mutable_attribute()) {
    if (attr.has_g()) hide_untrusted_nodes(*attr.mutable_g(), opsets);
    for (auto& g : *attr.mutable_graphs()) hide_untrusted_nodes(g, opsets);
  }
}

void hide_untrusted_nodes(onnx::GraphProto& graph, const OpsetMap& opsets) {
  for (auto& node : *graph.mutable_node()) {
    if (untrusted(node, opsets)) node.set_op_type(kHiddenPrefix + node.op_type());
    else hide_in_subgraphs(node, opsets);
  }
}

void give_placeholder_types(onnx::GraphProto& graph);

// Every value some node reads gets at least an empty tensor type (element type 0, rank unknown): 1.12's data
// propagators for Shape and others dereference an input's type without checking it exists.
void give_placeholder_types(onnx::GraphProto& graph) {
  std::set<std::string> typed;
  auto note_typed = [&](onnx::ValueInfoProto& info) {
    if (info.type().value_case() == onnx::TypeProto::VALUE_NOT_SET) info.mutable_type()->mutable_tensor_type();
    typed.insert(info.name());
  };
  for (auto& info : *graph.mutable_input()) note_typed(info);
  for (auto& info : *graph.mutable_output()) note_typed(info);
  for (auto& info : *graph.mutable_value_info()) note_typed(info);
  for (const auto& init : graph.initializer()) typed.insert(init.name());
  for (auto& node : *graph.mutable_node()) {
    for (const std::string& name : node.output()) {
      if (name.empty() || !typed.insert(name).second) continue;
      onnx::ValueInfoProto* info = graph.add_value_info();
      info->set_name(name);
      info->mutable_type()->mutable_tensor_type();
    }
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) give_placeholder_types(*attr.mutable_g());
      for (auto& g : *attr.mutable_graphs()) give_placeholder_types(g);
    }
  }
}

bool is_bulky(const onnx::TensorProto& t) {
  return t.raw_data().size() > kMaxCopiedRawBytes || t.float_data_size() > kMaxCopiedElements ||
         t.int32_data_size() > kMaxCopiedElements || t.int64_data_size() > kMaxCopiedElements ||
         t.double_data_size() > kMaxCopiedElements || t.uint64_data_size() > kMaxCopiedElements ||
         t.string_data_size() > kMaxCopiedElements;
}

// The tensor's name, type and dims: all that shape inference reads of a weight.
void add_header_only(const onnx::TensorProto& tensor, onnx::TensorProto& out) {
  out.set_name(tensor.name());
  out.set_data_type(tensor.data_type());
  *out.mutable_dims() = tensor.dims();
}

void strip_bulky_attribute_tensors(onnx::GraphProto& graph) {
  for (auto& node : *graph.mutable_node())
    for (auto& attr : *node.mutable_attribute())
      if (attr.has_t() && is_bulky(attr.t())) {
        onnx::TensorProto header;
        add_header_only(attr.t(), header);
        attr.mutable_t()->Swap(&header);
      }
}

// `model` without bulky tensor data. The initializers are moved aside while the rest is copied, and put back.
onnx::ModelProto light_copy(onnx::ModelProto& model) {
  google::protobuf::RepeatedPtrField<onnx::TensorProto> initializers;
  initializers.Swap(model.mutable_graph()->mutable_initializer());
  onnx::ModelProto copy;
  try {
    copy = model;
  } catch (...) {
    initializers.Swap(model.mutable_graph()->mutable_initializer());
    throw;
  }
  initializers.Swap(model.mutable_graph()->mutable_initializer());
  for (const auto& init : model.graph().initializer()) {
    if (is_bulky(init)) add_header_only(init, *copy.mutable_graph()->add_initializer());
    else *copy.mutable_graph()->add_initializer() = init;
  }
  strip_bulky_attribute_tensors(*copy.mutable_graph());
  return copy;
}

void reorder_nodes(onnx::GraphProto& graph, const std::vector<int>& node_order) {
  if (node_order.size() != static_cast<size_t>(graph.node_size())) return;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  nodes.Swap(graph.mutable_node());
  for (int index : node_order) graph.add_node()->Swap(&nodes[index]);
}

OpsetMap opsets_of(const onnx::ModelProto& model) {
  OpsetMap opsets;
  for (const auto& opset : model.opset_import())
    opsets[normalize_domain(opset.domain())] = static_cast<int>(opset.version());
  return opsets;
}

void normalize_node_domains(onnx::GraphProto& graph) {
  for (auto& node : *graph.mutable_node()) {
    node.set_domain(normalize_domain(node.domain()));
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) normalize_node_domains(*attr.mutable_g());
      for (auto& g : *attr.mutable_graphs()) normalize_node_domains(g);
    }
  }
}

// libonnx finds ai.onnx schemas under "" only; the model may say "ai.onnx".
void normalize_domains(onnx::ModelProto& model) {
  const OpsetMap opsets = opsets_of(model);
  model.clear_opset_import();
  for (const auto& [domain, version] : opsets) {
    onnx::OperatorSetIdProto* opset = model.add_opset_import();
    opset->set_domain(domain);
    opset->set_version(version);
  }
  normalize_node_domains(*model.mutable_graph());
}

void forget_declared_types(onnx::GraphProto& graph) {
  graph.clear_value_info();
  for (auto& output : *graph.mutable_output()) output.clear_type();
}

bool run_libonnx(onnx::ModelProto& model) {
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_propagation=*/true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    return true;
  } catch (...) {  // libonnx throws for problems it does not tie to a node, e.g. a declared type it contradicts
    return false;
  }
}

// The value_info and outputs libonnx annotated, as a serialized GraphProto.
std::string inferred_types(const onnx::GraphProto& graph) {
  onnx::GraphProto types;
  *types.mutable_value_info() = graph.value_info();
  *types.mutable_output() = graph.output();
  return types.SerializeAsString();
}

// Runs libonnx on the prepared copy; when the model's own annotations contradict it, once more from the graph's
// inputs alone.
std::string infer_in_this_process(onnx::ModelProto& prepared) {
  onnx::ModelProto attempt = prepared;
  give_placeholder_types(*attempt.mutable_graph());
  if (run_libonnx(attempt)) return inferred_types(attempt.graph());
  forget_declared_types(*prepared.mutable_graph());
  give_placeholder_types(*prepared.mutable_graph());
  if (run_libonnx(prepared)) return inferred_types(prepared.graph());
  return onnx::GraphProto().SerializeAsString();
}

std::map<std::string, onnx::TypeProto> collect_types(const onnx::GraphProto& graph) {
  std::map<std::string, onnx::TypeProto> types;
  for (const auto& info : graph.value_info()) types[info.name()] = info.type();
  for (const auto& info : graph.output()) types[info.name()] = info.type();
  return types;
}

}  // namespace

std::map<std::string, onnx::TypeProto> infer_value_types(onnx::ModelProto& model, const std::vector<int>& node_order) {
  try {
    onnx::ModelProto prepared = light_copy(model);
    onnx::GraphProto& graph = *prepared.mutable_graph();
    reorder_nodes(graph, node_order);
    normalize_domains(prepared);
    hide_untrusted_nodes(graph, opsets_of(prepared));
    onnx::OpSchemaRegistry::Instance();  // built here, not in the child: another thread may be building it at the fork
    // libonnx 1.12 reads out of bounds on some invalid attribute values (e.g. LayerNormalization's axis), so it
    // runs in a child process, where a crash only loses the inference.
    const std::optional<std::string> bytes =
        run_in_child_process([&] { return infer_in_this_process(prepared); }, kInferenceTimeoutSeconds);
    onnx::GraphProto inferred;
    if (bytes && inferred.ParseFromString(*bytes)) return collect_types(inferred);
  } catch (...) {  // out of memory copying: inference is optional
  }
  return {};
}

}  // namespace kiln
