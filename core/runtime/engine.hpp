// An engine: a graph whose every node has a chosen kernel and a prepared kernel state, ready to run.
// Running executes the nodes in topological order on host tensors; each node's output shapes come from its
// kernel's shape function with the actual inputs, so data-dependent shapes (Shape -> ... -> Reshape) work.
#ifndef KILN_CORE_ENGINE_HPP
#define KILN_CORE_ENGINE_HPP

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

struct EngineOptions {
  // Fill every output buffer with NaN bytes (0xFF) before its kernel runs, so a kernel that leaves part of
  // an output unwritten is caught by the tests rather than passing on leftover data.
  bool poison_outputs = false;
};

struct Layer {
  Node* node = nullptr;
  Selection selection;  // the chosen kernel, and why the others were declined
  void* state = nullptr;
};

class Engine {
 public:
  // Selects kernels, propagates shapes and prepares every node. Throws kiln::Unsupported when no kernel can
  // run a node, kiln::Error for anything else.
  Engine(std::unique_ptr<Graph> graph, const PluginRegistry& registry, const BuildConfig& config,
         EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs once. Inputs by graph input name; checks names, dtypes and shapes against the model.
  std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs) const;

  const Graph& graph() const { return *graph_; }
  const std::vector<Layer>& layers() const { return layers_; }

 private:
  void check_inputs(const std::map<std::string, Tensor>& inputs) const;

  std::unique_ptr<Graph> graph_;
  EngineOptions options_;
  std::vector<Layer> layers_;  // in execution order
};

}  // namespace kiln

#endif  // KILN_CORE_ENGINE_HPP
