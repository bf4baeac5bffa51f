#!/usr/bin/env python3
"""Runs a model with onnxruntime on the CPU and writes each output as <output-dir>/<output name>.npy.

Run with the `python3` that has onnxruntime (pip). This is the oracle the whole-model tests compare kiln with.
File names follow the kiln CLI: a '/' in an output name becomes '_'.

  python3 scripts/models/ort_reference.py MODEL.onnx --input input=x.npy --output-dir DIR
"""
import argparse
import os
import sys

import numpy as np
import onnxruntime as ort


def parse_inputs(specs):
    inputs = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name:
            sys.exit(f"ort_reference: --input expects NAME=FILE.npy, got '{spec}'")
        inputs[name] = np.load(path, allow_pickle=False)
    return inputs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy")
    parser.add_argument("--output-dir", required=True)
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # deterministic, and leaves the other cores to parallel test jobs
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])

    inputs = parse_inputs(args.input)
    expected = {i.name for i in session.get_inputs()}
    missing, unknown = expected - inputs.keys(), inputs.keys() - expected
    if missing or unknown:
        sys.exit(f"ort_reference: {args.model}: inputs are {sorted(expected)}; "
                 f"missing {sorted(missing)}, unknown {sorted(unknown)}")

    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, inputs)
    os.makedirs(args.output_dir, exist_ok=True)
    for name, value in zip(names, outputs):
        path = os.path.join(args.output_dir, name.replace("/", "_") + ".npy")
        np.save(path, np.ascontiguousarray(value), allow_pickle=False)
        print(f"{name}: {value.dtype}{list(value.shape)} -> {path}")


if __name__ == "__main__":
    main()
