// What runs a fused INT8 convolution: one of cuDNN's engine configurations for the layer's graph
// (common/conv_int8_graph.hpp) or one of the tile shapes of kiln's own kernel (common/conv_int8_imma.hpp). Each
// candidate is timed on scratch tensors of the layer's shapes, as the other tuned kernels do
// (common/tuning.hpp), and the fastest kept in the tuning cache. cuDNN's heuristic first pick was measured up to
// 10% slower than another config (benchmarks/gpu/cudnn_int8_probe.cpp), and its best engine up to 4x slower than
// the memory traffic of ResNet-50's residual 1x1 layers allows (docs/performance.md).
//
// KILN_CUDA_CONV_INT8=cudnn or =kiln (environment) keeps only that side's candidates: for comparisons and tests.
#ifndef KILN_CUDA_CONV_INT8_ENGINE_TUNING_HPP
#define KILN_CUDA_CONV_INT8_ENGINE_TUNING_HPP

#include <string>

#include "common/conv_int8_graph.hpp"
#include "common/conv_int8_imma.hpp"

namespace kiln::cuda {

struct ConvInt8Engine {
  int graph_config = -1;  // >= 0: that cuDNN engine config of the graph
  int own_tile = -1;      // >= 0: kiln's kernel with that tile shape
  std::string text() const;
};

// The fastest engine for `spec`, from the tuning cache or timed now. `constants` holds the layer's weights, scale,
// bias and residual alpha on the device (the activations are scratch); `heuristic` is the graph the heuristic's
// order gave (its config is the answer when nothing can be timed). `own` holds the same constants for kiln's
// kernel (X, Y and Z are scratch; Z when spec.residual), or is nullptr where that kernel does not run the layer.
// *note says what was done.
ConvInt8Engine tune_conv_int8_engine(const ConvInt8GraphSpec& spec, const ConvInt8GraphBuffers& constants,
                                     const ConvInt8Graph& heuristic, const ConvInt8ImmaArgs* own, std::string* note);

// The fastest of kiln's tile shapes for `own` alone (a layer cuDNN is not asked to run: the space-to-depth first
// layer, common/conv_int8_space_to_depth.hpp, and the INT8 GEMMs, common/gemm_int8_layer.hpp), from the tuning
// cache or timed now on scratch X, Y (float32 when `reals`) and Z (when `residual`); tile 0 when nothing could be
// timed. *note says what was done.
int tune_conv_int8_own_tile(const ConvInt8ImmaArgs& own, bool residual, bool reals, std::string* note);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_ENGINE_TUNING_HPP
