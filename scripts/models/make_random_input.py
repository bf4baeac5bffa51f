#!/usr/bin/env python3
"""Writes a seeded standard-normal float32 input for a model's one graph input (e.g. the bundled tiny_cnn).

  python3 scripts/models/make_random_input.py MODEL.onnx OUT.npy [--seed N]

Exported models get their inputs from export_models.py; this covers models that are not exported.
"""
import argparse
import sys

import numpy as np
import onnx


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    graph = onnx.load(args.model, load_external_data=False).graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1:
        sys.exit(f"make_random_input: {args.model} has {len(inputs)} graph inputs; expected exactly one")
    tensor_type = inputs[0].type.tensor_type
    if tensor_type.elem_type != onnx.TensorProto.FLOAT:
        sys.exit(f"make_random_input: input '{inputs[0].name}' of {args.model} is not float32")
    shape = [d.dim_value if d.HasField("dim_value") else 1 for d in tensor_type.shape.dim]  # free dims -> 1
    data = np.random.RandomState(args.seed).standard_normal(shape).astype(np.float32)
    np.save(args.output, data, allow_pickle=False)
    print(f"{inputs[0].name}: float32{shape} -> {args.output}")


if __name__ == "__main__":
    main()
