#include "builder/kernel_timing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "builder/layout_assignment.hpp"
#include "kiln/float16.hpp"
#include "plugin/host_api.hpp"
#include "plugin/tuning_cache.hpp"
#include "runtime/device_api.hpp"
#include "runtime/device_copy.hpp"
#include "runtime/layer_execution.hpp"
#include "runtime/run_node.hpp"
#include "util/error.hpp"

namespace kiln {

namespace {

constexpr int kTimedRuns = 5;

bool static_shapes(const Node& node) {
  for (const std::vector<Value*>* values : {&node.inputs, &node.outputs})
    for (const Value* v : *values)
      if (v && (!v->shape_known() || v->dtype == KILN_DTYPE_UNDEFINED)) return false;
  return true;
}

// What the timing depends on besides the kernels: each input's dtype, dims and layout.
std::string signature(const Node& node, const std::vector<const KernelEntry*>& kernels) {
  std::string key = "kiln.core.kernels|" + node.domain + "::" + node.op_type;
  for (const KernelEntry* k : kernels) key += std::string("|") + k->desc->name;
  for (const Value* v : node.inputs)
    key += v ? "|" + v->describe() + (v->layout == KILN_LAYOUT_NHWC ? " nhwc" : "") : "|-";
  return key;
}

// Seeded values in [-1, 1] for floats; zeros for every other type (valid indices, shapes and masks).
Tensor random_tensor(const Value& v, uint64_t seed) {
  Tensor t(v.dtype, v.dims);
  t.fill_bytes(0);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> draw(-1.f, 1.f);
  if (v.dtype == KILN_DTYPE_FLOAT32)
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = draw(rng);
  else if (v.dtype == KILN_DTYPE_FLOAT16)
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float16>()[i] = float16(draw(rng));
  return t;
}

// The memory one timed kernel runs on: host tensors, or device buffers with the values' layouts.
class Bench {
 public:
  Bench(const Node& node, const DeviceApi* device) : node_(node), device_(device) {
    if (device_) stream_ = device_->stream_create();
    for (size_t i = 0; i < node.inputs.size(); ++i) inputs_.push_back(input(node.inputs[i], i));
    for (const Value* v : node.outputs) outputs_.push_back(v ? place(*v, Tensor(v->dtype, v->dims)) : Tensor());
  }

  // The median milliseconds of `kTimedRuns` runs after one warm-up.
  double time(const KernelEntry& kernel, void* state) {
    std::vector<const Tensor*> in;
    for (const Tensor& t : inputs_) in.push_back(t.empty() ? nullptr : &t);
    std::vector<double> ms;
    for (int run = 0; run <= kTimedRuns; ++run) {
      const auto start = std::chrono::steady_clock::now();
      if (device_) {
        execute_device_layer(kernel, state, node_, in, outputs_, stream_.get(), [&](size_t bytes) { return workspace(bytes); });
        device_->synchronize(stream_.get());
      } else {
        execute_layer(kernel, state, node_, in, outputs_, host_workspace_);
      }
      if (run > 0) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }

 private:
  Tensor input(const Value* v, size_t position) {
    if (!v) return Tensor();
    if (v->constant) return *v->constant;  // constants stay host tensors, as at run time
    return place(*v, random_tensor(*v, 0x5eed + position));
  }

  // `host` as the value lives at run time: on the device (uploaded), stored with its layout.
  Tensor place(const Value& v, const Tensor& host) {
    std::vector<int64_t> strides;
    if (v.layout == KILN_LAYOUT_NHWC && v.dims.size() == 4) strides = nhwc_strides(v.dims);
    if (!device_ || v.device == KILN_DEVICE_CPU) {
      keep_.push_back(host);
      return Tensor(host.dtype(), host.dims(), std::shared_ptr<uint8_t>(), const_cast<void*>(host.data()), strides)
          .placed(v.layout, KILN_DEVICE_CPU);
    }
    memory_.push_back(device_->malloc(host.bytes(), "timing '" + v.name + "'"));
    device_->copy(memory_.back().get(), host.data(), host.bytes(), KILN_COPY_HOST_TO_DEVICE, stream_.get());
    device_->synchronize(stream_.get());
    return Tensor(host.dtype(), host.dims(), std::shared_ptr<uint8_t>(), memory_.back().get(), strides).placed(v.layout, v.device);
  }

  void* workspace(size_t bytes) {
    if (workspace_bytes_ < bytes) {
      workspace_ = device_->malloc(bytes, "a timing workspace");
      workspace_bytes_ = bytes;
    }
    return workspace_.get();
  }

  const Node& node_;
  const DeviceApi* device_;
  DeviceApi::Stream stream_{nullptr, {nullptr}};
  std::vector<Tensor> keep_, inputs_, outputs_;
  std::vector<DeviceApi::Memory> memory_;
  DeviceApi::Memory workspace_{nullptr, {nullptr}};
  size_t workspace_bytes_ = 0;
  std::vector<uint8_t> host_workspace_;
};

const KernelEntry* by_name(const std::vector<const KernelEntry*>& kernels, const std::string& name) {
  for (const KernelEntry* k : kernels)
    if (name == k->desc->name) return k;
  return nullptr;
}

// Times each of `kernels` on `node` and returns the fastest; notes every figure.
const KernelEntry* fastest(const Node& node, const std::vector<const KernelEntry*>& kernels,
                           const PluginRegistry& registry, BuildHooks& hooks) {
  const kiln_device device = kernels.front()->desc->device;
  const kiln_device_api* raw = device == KILN_DEVICE_CPU ? nullptr : registry.device_api(device);
  const std::unique_ptr<DeviceApi> api = raw ? std::make_unique<DeviceApi>(raw) : nullptr;
  Bench bench(node, api.get());
  const KernelEntry* best = nullptr;
  double best_ms = 0;
  std::string figures;
  for (const KernelEntry* kernel : kernels) {
    void* state = nullptr;
    const kiln_kernel_desc& k = *kernel->desc;
    if (k.create(k.user_data, host_api(), to_handle(&node), &state) != KILN_OK) {
      figures += std::string(figures.empty() ? "" : ", ") + k.name + " could not prepare (" + take_plugin_error() + ")";
      continue;
    }
    double ms = -1;
    try {
      ms = bench.time(*kernel, state);
    } catch (const std::exception& e) {
      figures += std::string(figures.empty() ? "" : ", ") + k.name + " failed (" + e.what() + ")";
    }
    k.destroy(state);
    if (ms < 0) continue;
    char text[64];
    std::snprintf(text, sizeof text, " %.4f ms", ms);
    figures += std::string(figures.empty() ? "" : ", ") + k.name + text;
    if (!best || ms < best_ms) {
      best = kernel;
      best_ms = ms;
    }
  }
  if (best)
    hooks.notes[&node].push_back("kernels timed on the real shapes (median of " + std::to_string(kTimedRuns) +
                                 "): " + figures + "; kept " + best->desc->name);
  return best;
}

}  // namespace

std::map<const Node*, const KernelEntry*> time_kernels(const Graph& graph, const KernelSelector& selector,
                                                       const PluginRegistry& registry, BuildHooks& hooks) {
  std::map<const Node*, const KernelEntry*> winners;
  for (const auto& owned : graph.nodes()) {
    const Node& node = *owned;
    if (is_copy_node(node)) continue;
    std::vector<const KernelEntry*> kernels = selector.accepting(node);
    if (kernels.empty()) continue;
    // Only kernels on the preferred one's device compete: the copies around the node are already placed.
    const kiln_device device = kernels.front()->desc->device;
    kernels.erase(std::remove_if(kernels.begin(), kernels.end(), [&](const KernelEntry* k) { return k->desc->device != device; }),
                  kernels.end());
    if (kernels.size() < 2) continue;
    if (!static_shapes(node)) {
      hooks.notes[&node].push_back("kernels not timed: its shapes are not all known at build time; kept the preferred " +
                                   std::string(kernels.front()->desc->name));
      continue;
    }
    const std::string key = signature(node, kernels);
    if (hooks.cache)
      if (const auto cached = hooks.cache->get(key); cached && by_name(kernels, *cached)) {
        hooks.used[key] = *cached;
        winners[&node] = by_name(kernels, *cached);
        hooks.notes[&node].push_back("kernel " + *cached + " from the timing cache (fastest of " +
                                     std::to_string(kernels.size()) + " when timed)");
        continue;
      }
    if (const KernelEntry* best = fastest(node, kernels, registry, hooks)) {
      winners[&node] = best;
      if (hooks.cache) hooks.cache->put(key, best->desc->name);
      hooks.used[key] = best->desc->name;
    }
  }
  return winners;
}

}  // namespace kiln
