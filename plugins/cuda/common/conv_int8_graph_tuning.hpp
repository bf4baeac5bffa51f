// Which of cuDNN's engine configurations runs an INT8 convolution graph (common/conv_int8_graph.hpp): each that
// builds is timed on scratch tensors of the layer's shapes, as the other tuned kernels do (common/tuning.hpp),
// and the fastest kept in the tuning cache. The heuristic's first pick was measured up to 10% slower than
// another config on a 1x1 layer (benchmarks/gpu/cudnn_int8_probe.cpp).
#ifndef KILN_CUDA_CONV_INT8_GRAPH_TUNING_HPP
#define KILN_CUDA_CONV_INT8_GRAPH_TUNING_HPP

#include <string>

#include "common/conv_int8_graph.hpp"

namespace kiln::cuda {

// The fastest config's index for `spec`, from the tuning cache or timed now; `constants` holds the layer's
// weights, scale, bias and residual alpha on the device (the activations are scratch). `heuristic` is the
// graph the heuristic's order gave: its config is returned when nothing can be timed. *note says what was done.
int tune_conv_int8_graph(const ConvInt8GraphSpec& spec, const ConvInt8GraphBuffers& constants,
                         const ConvInt8Graph& heuristic, std::string* note);

}  // namespace kiln::cuda

#endif  // KILN_CUDA_CONV_INT8_GRAPH_TUNING_HPP
