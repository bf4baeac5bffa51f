#!/usr/bin/env python3
"""Quantizes the digits model into an explicit QDQ model with onnxruntime, and runs it with onnxruntime.

    python3 tests/models/digits/quantize_qdq.py WORK_DIR

WORK_DIR is what train_digits.py wrote (model.onnx, calib/batch_*.npy, test.npy). This script writes there:

    model_pre.onnx     model.onnx after onnxruntime's quantization preprocessing (shape inference, optimization)
    model_qdq.onnx     the QDQ model: quantize_static, QuantFormat.QDQ, per-channel int8 weights, int8
                       activations, symmetric (ActivationSymmetric/WeightSymmetric), MinMax calibration on
                       calib/batch_*.npy
    ort_logits.npy     onnxruntime's (CPU EP) logits of model_qdq.onnx on test.npy
    ort_fp32_logits.npy  onnxruntime's logits of the float model.onnx on test.npy (context for the table)
    qdq_info.json      what the comparison needs to know about the model: the number of QuantizeLinear and
                       DequantizeLinear nodes, and whether the graph output `logits` is written by a
                       DequantizeLinear, with its scale (one quantization step of the logits) if so

Runs with the `python3` that has onnx, onnxruntime and numpy (torch is not needed here).
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)


class NpyBatches(CalibrationDataReader):
    """Feeds calib/batch_*.npy, one batch per get_next(), as the model's `image` input."""

    def __init__(self, paths, input_name):
        self.paths = paths
        self.input_name = input_name
        self.rewind()

    def get_next(self):
        path = next(self.iter, None)
        return None if path is None else {self.input_name: np.load(path).astype(np.float32)}

    def rewind(self):
        self.iter = iter(self.paths)


def preprocess(src, dst):
    """onnxruntime's recommended pre-quantization pass; falls back to the raw model if it is unavailable."""
    try:
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError:
        print("quant_pre_process unavailable: quantizing model.onnx as exported")
        return src
    try:
        quant_pre_process(src, dst, skip_symbolic_shape=False)
    except Exception as e:  # noqa: BLE001 - preprocessing is an optimization, quantizing without it is valid
        print(f"quant_pre_process failed ({type(e).__name__}: {e}); quantizing model.onnx as exported")
        return src
    return dst


def initializer_value(model, name):
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    for node in model.graph.node:  # a Constant node, should the quantizer ever emit one
        if node.op_type == "Constant" and node.output[0] == name:
            return numpy_helper.to_array(node.attribute[0].t)
    return None


def describe(model, output_name):
    ops = [n.op_type for n in model.graph.node]
    info = {
        "quantize_linear": ops.count("QuantizeLinear"),
        "dequantize_linear": ops.count("DequantizeLinear"),
        "ops": sorted(set(ops)),
        "output_dequantized": False,
        "output_scale": None,
        "output_zero_point": None,
    }
    producer = next((n for n in model.graph.node if output_name in n.output), None)
    if producer is not None and producer.op_type == "DequantizeLinear":
        scale = initializer_value(model, producer.input[1])
        zero = initializer_value(model, producer.input[2]) if len(producer.input) > 2 and producer.input[2] else None
        if scale is not None and scale.size == 1:
            info["output_dequantized"] = True
            info["output_scale"] = float(scale.reshape(-1)[0])
            info["output_zero_point"] = None if zero is None else int(zero.reshape(-1)[0])
    return info


def run_ort(path, input_name, output_name, images):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    (logits,) = session.run([output_name], {input_name: images})
    return np.ascontiguousarray(logits, dtype=np.float32)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    work = sys.argv[1]
    src = os.path.join(work, "model.onnx")
    qdq = os.path.join(work, "model_qdq.onnx")
    batches = sorted(glob.glob(os.path.join(work, "calib", "batch_*.npy")))
    if not batches:
        print(f"no calibration batches in {work}/calib", file=sys.stderr)
        return 1

    float_model = onnx.load(src)
    input_name = float_model.graph.input[0].name
    output_name = float_model.graph.output[0].name

    pre = preprocess(src, os.path.join(work, "model_pre.onnx"))
    quantize_static(
        pre, qdq, NpyBatches(batches, input_name),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})

    model = onnx.load(qdq)
    onnx.checker.check_model(model)
    info = describe(model, output_name)
    info["preprocessed"] = pre != src
    info["onnxruntime"] = ort.__version__
    with open(os.path.join(work, "qdq_info.json"), "w") as f:
        json.dump(info, f, indent=2)

    test = np.load(os.path.join(work, "test.npy")).astype(np.float32)
    logits = run_ort(qdq, input_name, output_name, test)
    np.save(os.path.join(work, "ort_logits.npy"), logits)
    np.save(os.path.join(work, "ort_fp32_logits.npy"), run_ort(src, input_name, output_name, test))

    print(f"quantized with onnxruntime {ort.__version__} (preprocessed: {info['preprocessed']}): "
          f"{info['quantize_linear']} QuantizeLinear, {info['dequantize_linear']} DequantizeLinear; "
          f"ops {', '.join(info['ops'])}")
    if info["output_dequantized"]:
        print(f"`{output_name}` is dequantized: scale {info['output_scale']:.6g}, "
              f"zero point {info['output_zero_point']}")
    else:
        print(f"`{output_name}` is not written by a per-tensor DequantizeLinear")
    print(f"onnxruntime logits: {logits.shape} {logits.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
