// Runs graph passes in order, verifying the graph after each, and collects each pass's one-line summary
// ("constant folding: 37 nodes folded into 12 constants") for `kiln build`'s progress output.
#ifndef KILN_CORE_PASS_MANAGER_HPP
#define KILN_CORE_PASS_MANAGER_HPP

#include <functional>
#include <string>
#include <vector>

#include "config/build_config.hpp"
#include "ir/graph.hpp"
#include "plugin/plugin_registry.hpp"
#include "select/kernel_selector.hpp"

namespace kiln {

// What a pass may consult: the loaded kernels, the config and the selector built from both.
struct PassContext {
  const PluginRegistry& registry;
  const BuildConfig& config;
  const KernelSelector& selector;
  const KernelSelector& host_selector;  // CPU kernels only: constant folding runs kernels at build time, on the host
};

struct Pass {
  std::string name;  // "constant folding"
  // Changes the graph; returns what it did, without the name ("37 nodes folded into 12 constants").
  std::function<std::string(Graph&, const PassContext&)> run;
};

class PassManager {
 public:
  void add(Pass pass) { passes_.push_back(std::move(pass)); }
  // Verifies the graph, then runs each pass and verifies again; a broken graph throws kiln::Error naming the
  // pass that broke it. Returns one "<name>: <summary>" line per pass.
  std::vector<std::string> run(Graph& graph, const PassContext& context) const;

 private:
  std::vector<Pass> passes_;
};

// The builder's passes, in order, as the config's `optimize:` switches allow: identity removal, constant
// folding, dead-code elimination, pattern fusion, dead-code elimination again.
std::vector<std::string> run_default_passes(Graph& graph, const PassContext& context);

}  // namespace kiln

#endif  // KILN_CORE_PASS_MANAGER_HPP
