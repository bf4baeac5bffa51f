#!/usr/bin/env python3
"""Exports the whole-model test set from PyTorch to ONNX, into a cache outside the repository.

    /usr/bin/python3 scripts/models/export_models.py [--cache DIR] [names...]

Models (random weights, fixed seeds; BatchNorm statistics made non-trivial by a few training-mode passes):
resnet50, googlenet, mobilenet_v2, squeezenet1_1, densenet121, shufflenet_v2_x1_0 (torchvision), and
bert_encoder (a 4-layer nn.TransformerEncoder with GELU, batch-first, 128 tokens x 256 features).
Each <name>.onnx has one input named "input"; a seeded random <name>.input.npy is written beside it.
Models already in the cache are skipped. Needs Debian's python3-torchvision (run with /usr/bin/python3).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision

torch.set_num_threads(max(1, os.cpu_count() or 1))

# name -> (constructor, input shape, opset)
VISION = {
    "resnet50": (lambda: torchvision.models.resnet50(), (1, 3, 224, 224), 13),
    "googlenet": (lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True), (1, 3, 224, 224), 14),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), (1, 3, 224, 224), 15),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(), (1, 3, 224, 224), 13),
    "densenet121": (lambda: torchvision.models.densenet121(), (1, 3, 224, 224), 16),
    "shufflenet_v2_x1_0": (lambda: torchvision.models.shufflenet_v2_x1_0(), (1, 3, 224, 224), 17),
}


class BertEncoder(torch.nn.Module):
    """A BERT-style encoder: learned positions + 4 post-norm transformer layers + final LayerNorm."""

    def __init__(self, d_model=256, heads=4, layers=4, seq=128):
        super().__init__()
        self.positions = torch.nn.Parameter(torch.randn(1, seq, d_model) * 0.02)
        layer = torch.nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, dropout=0.0,
                                                 activation="gelu", batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(d_model)

    def forward(self, x):
        return self.norm(self.encoder(x + self.positions))


def calibrate_batchnorm(model, shape):
    """A few training-mode passes on random data so running mean/var are not the trivial 0/1."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, *shape[1:]))
    model.eval()


def export(name, cache):
    path = os.path.join(cache, f"{name}.onnx")
    if os.path.exists(path):
        return
    torch.manual_seed(0)
    if name == "bert_encoder":
        model, shape, opset = BertEncoder(), (1, 128, 256), 17
    else:
        build, shape, opset = VISION[name]
        model = build()
        calibrate_batchnorm(model, shape)
    model.eval()
    x = torch.from_numpy(np.random.default_rng(1).standard_normal(shape).astype(np.float32))
    start = time.time()
    tmp = path + ".tmp"
    # Exported with autograd on: PyTorch's fused inference fast path for transformer layers has no ONNX export.
    torch.onnx.export(model, x, tmp, input_names=["input"], output_names=["output"], opset_version=opset,
                      do_constant_folding=True)
    os.replace(tmp, path)
    np.save(os.path.join(cache, f"{name}.input.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(cache, f"{name}.torch.npy"), model(x).numpy())
    print(f"exported {name} (opset {opset}) in {time.time() - start:.1f}s: {os.path.getsize(path) / 1e6:.1f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default=os.environ.get("KILN_MODEL_CACHE", os.path.expanduser("~/.cache/kiln/models")))
    parser.add_argument("names", nargs="*", default=list(VISION) + ["bert_encoder"])
    args = parser.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    for name in args.names:
        if name not in VISION and name != "bert_encoder":
            sys.exit(f"unknown model {name}")
        export(name, args.cache)


if __name__ == "__main__":
    main()
