#!/usr/bin/python3
"""Exports the whole-model test set from PyTorch to ONNX, into a cache folder outside the repo.

Run with Debian's /usr/bin/python3 (torch 1.13 + torchvision 0.14; the TorchScript exporter). Nothing is
downloaded: weights are random from a fixed seed. Per model NAME the cache gets:
  NAME.onnx             the model, input "input", output "output", eval mode
  NAME.input.npy        a seeded standard-normal input
  NAME.torch/output.npy PyTorch's own output on that input (to check the export against onnxruntime)
Models already in the cache are skipped; delete a file to re-export it.

  /usr/bin/python3 scripts/models/export_models.py [--cache DIR] [NAME ...]
"""
import argparse
import os
import time

import numpy as np
import torch
import torchvision

SEED = 1234
CALIBRATION_BATCHES = 3
CALIBRATION_BATCH_SIZE = 4


class BertStyleEncoder(torch.nn.Module):
    """A BERT-base-shaped encoder, scaled down: post-norm layers, GELU, LayerNorm, no embedding."""

    def __init__(self, d_model=256, heads=4, layers=4):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, dropout=0.1,
                                                 activation="gelu", batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(x)


# name -> (constructor, input shape, opset). Opsets are spread over 13..17 so each exporter path is exercised;
# the encoder uses 17, where LayerNorm exports as LayerNormalization.
MODELS = {
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), [1, 3, 224, 224], 13),
    "googlenet": (lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True),
                  [1, 3, 224, 224], 14),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), [1, 3, 224, 224], 15),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None), [1, 3, 224, 224], 16),
    "densenet121": (lambda: torchvision.models.densenet121(weights=None), [1, 3, 224, 224], 17),
    "shufflenet_v2_x1_0": (lambda: torchvision.models.shufflenet_v2_x1_0(weights=None), [1, 3, 224, 224], 13),
    "bert_encoder": (BertStyleEncoder, [1, 128, 256], 17),
}


def calibrate_batch_norm(model, input_shape):
    """Gives every BatchNorm non-trivial parameters and statistics that match its real inputs.

    Random gamma/beta first, then running statistics measured (cumulative average) on random data in train
    mode: the statistics are neither the 0/1 defaults nor far from the data, so activations stay well scaled
    through deep networks and the comparison is well conditioned.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    with torch.no_grad():
        for bn in norms:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.2)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative moving average over the calibration batches
        model.train()
        for _ in range(CALIBRATION_BATCHES):
            model(torch.randn([CALIBRATION_BATCH_SIZE] + input_shape[1:]))
        for bn in norms:
            bn.momentum = 0.1


def export(name, cache):
    constructor, input_shape, opset = MODELS[name]
    path = os.path.join(cache, name + ".onnx")
    cached = [path, os.path.join(cache, name + ".input.npy"), os.path.join(cache, name + ".torch", "output.npy")]
    if all(os.path.exists(p) for p in cached):
        print(f"{name}: cached at {path}")
        return
    start = time.time()
    torch.manual_seed(SEED)
    model = constructor()
    calibrate_batch_norm(model, input_shape)
    model.eval()

    x = np.random.RandomState(SEED).standard_normal(input_shape).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    torch_dir = os.path.join(cache, name + ".torch")
    os.makedirs(torch_dir, exist_ok=True)
    np.save(os.path.join(torch_dir, "output.npy"), expected, allow_pickle=False)
    np.save(os.path.join(cache, name + ".input.npy"), x, allow_pickle=False)

    # Export to a temporary name and rename, so an interrupted export never leaves a "cached" partial model.
    partial = path + ".partial"
    torch.onnx.export(model, torch.from_numpy(x), partial, opset_version=opset, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    os.replace(partial, path)
    print(f"{name}: exported (opset {opset}) to {path}, {os.path.getsize(path) / 2**20:.1f} MiB, "
          f"{time.time() - start:.1f} s")


def main():
    default_cache = os.environ.get("KILN_MODEL_CACHE") or os.path.expanduser("~/.cache/kiln/models")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default=default_cache)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"models to export (default: all of "
                        f"{', '.join(MODELS)})")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; known: {list(MODELS)}")

    os.makedirs(args.cache, exist_ok=True)
    torch.set_num_threads(1)
    for name in args.names or MODELS:
        export(name, args.cache)


if __name__ == "__main__":
    main()
