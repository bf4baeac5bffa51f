#!/usr/bin/python3
"""Writes examples/models/tiny_cnn.onnx: kiln's bundled default model, a small but real CNN.

Run with Debian's /usr/bin/python3 (needs only onnx + numpy). The output is byte-for-byte deterministic
(seeded legacy RandomState, fixed producer fields), so the committed file can be regenerated and diffed.

Graph (opset 13), input "input" float32[1,3,64,64]:
  stem        Conv3x3(3->16) + BatchNorm + Relu, MaxPool2x2          -> [1,16,32,32]
  residual    Conv3x3 + BN + Relu, Conv3x3 + BN, Add(skip), Relu     -> [1,16,32,32]
  inception   Concat(Conv1x1, Conv3x3, MaxPool3x3s1 -> Conv1x1)      -> [1,24,32,32]
  downsample  Conv3x3 stride 2 (24->32) + BN + Relu                  -> [1,32,16,16]
  head        GlobalAveragePool, Flatten, Gemm(32->10)               -> "logits" [1,10]
              Softmax(axis=1)                                        -> "probabilities" [1,10]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 7  # the IR version that opset 13 shipped with
SEED = 20240613


class GraphBuilder:
    """Collects nodes and initializers; each layer helper returns the name of its output."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)  # legacy stream: stable across numpy versions
        self.nodes = []
        self.initializers = []
        self.count = 0

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def constant(self, name, array):
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op, inputs, prefix, **attrs):
        out = self.fresh(prefix)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, cin, cout, k, stride=1):
        name = self.fresh("conv")
        # He-normal weights keep activations near unit scale through the Relus.
        w = self.rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))
        b = self.rng.standard_normal(cout) * 0.05
        inputs = [x, self.constant(name + ".weight", w), self.constant(name + ".bias", b)]
        return self.node("Conv", inputs, "conv", kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride])

    def batch_norm(self, x, c):
        name = self.fresh("bn")
        # Non-trivial statistics (not the 0/1 defaults) so a kernel that ignores one of them is caught.
        scale = self.rng.uniform(0.8, 1.2, c)
        bias = self.rng.standard_normal(c) * 0.1
        mean = self.rng.standard_normal(c) * 0.1
        var = self.rng.uniform(0.5, 1.5, c)
        inputs = [x] + [self.constant(f"{name}.{field}", v)
                        for field, v in (("scale", scale), ("bias", bias), ("mean", mean), ("var", var))]
        return self.node("BatchNormalization", inputs, "bn", epsilon=1e-5)

    def relu(self, x):
        return self.node("Relu", [x], "relu")


def build_model():
    g = GraphBuilder(SEED)
    x = g.relu(g.batch_norm(g.conv("input", 3, 16, 3), 16))
    x = g.node("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])

    y = g.relu(g.batch_norm(g.conv(x, 16, 16, 3), 16))
    y = g.batch_norm(g.conv(y, 16, 16, 3), 16)
    x = g.relu(g.node("Add", [x, y], "add"))

    a = g.relu(g.conv(x, 16, 8, 1))
    b = g.relu(g.conv(x, 16, 8, 3))
    c = g.node("MaxPool", [x], "pool", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    c = g.relu(g.conv(c, 16, 8, 1))
    x = g.node("Concat", [a, b, c], "concat", axis=1)

    x = g.relu(g.batch_norm(g.conv(x, 24, 32, 3, stride=2), 32))
    x = g.node("GlobalAveragePool", [x], "gap")
    x = g.node("Flatten", [x], "flatten", axis=1)
    w = g.constant("fc.weight", g.rng.standard_normal((10, 32)) * np.sqrt(1.0 / 32))
    bias = g.constant("fc.bias", g.rng.standard_normal(10) * 0.05)
    g.nodes.append(helper.make_node("Gemm", [x, w, bias], ["logits"], name="fc", transB=1))
    g.nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1))

    graph = helper.make_graph(
        g.nodes, "tiny_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 10])],
        initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="kiln/scripts/models/make_tiny_cnn.py", producer_version="1")
    model.ir_version = IR_VERSION
    return model


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=os.path.join(repo, "examples", "models", "tiny_cnn.onnx"))
    args = parser.parse_args()

    model = build_model()
    onnx.checker.check_model(model, full_check=True)  # full_check also runs shape inference
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "wb") as f:
        f.write(model.SerializeToString())
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"wrote {args.output}: {len(model.graph.node)} nodes, {params} parameters, "
          f"{os.path.getsize(args.output)} bytes")


if __name__ == "__main__":
    main()
