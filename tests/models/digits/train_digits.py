#!/usr/bin/python3
"""Trains a small CNN on scikit-learn's bundled digits and exports what the INT8 accuracy test needs.

    /usr/bin/python3 tests/models/digits/train_digits.py OUT_DIR

The data set ships inside python3-sklearn (1,797 8x8 greyscale images, values 0..16), so the test needs no
download and the network trains in seconds on one CPU thread. OUT_DIR receives:

    model.onnx         opset 17, input `image` [N,1,8,8] float32 (N dynamic), output `logits` [N,10]
    calib/batch_*.npy  calibration batches: 8 x [32,1,8,8] float32, drawn from the training images only
    test.npy           the 360 held-out images, [360,1,8,8] float32
    test_labels.npy    their labels, [360] int64

and the last line printed is `pytorch test accuracy: XX.XX%`.

The network is shaped to exercise what INT8 has to get right, not to be a good digit classifier: a Conv with
BatchNormalization (which the exporter folds into its weights, so per-channel weight scales must absorb very
different channel ranges), a residual block (Conv + Add + Relu, which kiln fuses: the Add reads a second
quantized input with its own scale), max pooling between quantized layers, and two Gemms ending in float
logits.

Everything is seeded and single-threaded so each run trains the same network; accuracy thresholds in the
test, not exact logits, are what depend on it, so a different torch build giving slightly different weights
is harmless.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
TEST_SIZE = 360           # 1797 - 360 = 1437 training images
CALIB_BATCHES = 8
CALIB_BATCH_SIZE = 32
EPOCHS = 30
BATCH_SIZE = 64


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2))                                   # 32 x 4 x 4
        self.res_conv = nn.Conv2d(32, 32, 3, padding=1)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
            nn.Linear(64, 10))

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.res_conv(x))
        return self.head(x)


def load_split():
    digits = load_digits()
    # Scaled to [0, 1]: the same float input kiln is given, so no preprocessing hides in the test.
    images = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    return train_test_split(images, labels, test_size=TEST_SIZE, stratify=labels, random_state=SEED)


def train(model, x_train, y_train):
    x = torch.from_numpy(x_train)
    y = torch.from_numpy(y_train)
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH_SIZE):
            idx = order[start:start + BATCH_SIZE]
            optimizer.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            optimizer.step()
        scheduler.step()
    model.eval()


def accuracy(model, images, labels):
    with torch.no_grad():
        predicted = model(torch.from_numpy(images)).argmax(1).numpy()
    return float((predicted == labels).mean())


def export(model, path):
    kwargs = dict(input_names=["image"], output_names=["logits"], opset_version=17,
                  dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    # Recent torch releases default to the dynamo exporter; the TorchScript one gives the plain Conv/Gemm graph
    # the rest of the test suite is written against. Older releases (Debian's 1.13) have no `dynamo` argument.
    try:
        torch.onnx.export(model, torch.zeros(1, 1, 8, 8), path, dynamo=False, **kwargs)
    except TypeError:
        torch.onnx.export(model, torch.zeros(1, 1, 8, 8), path, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    out = parser.parse_args().out_dir

    start = time.monotonic()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # multi-threaded reductions change summation order, hence the weights
    torch.use_deterministic_algorithms(True)

    x_train, x_test, y_train, y_test = load_split()
    model = DigitsNet()
    train(model, x_train, y_train)

    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    export(model, os.path.join(out, "model.onnx"))
    # Calibration sees only training images: calibrating on the test set would flatter the INT8 accuracy.
    for i in range(CALIB_BATCHES):
        batch = x_train[i * CALIB_BATCH_SIZE:(i + 1) * CALIB_BATCH_SIZE]
        np.save(os.path.join(out, "calib", f"batch_{i:02d}.npy"), np.ascontiguousarray(batch))
    np.save(os.path.join(out, "test.npy"), np.ascontiguousarray(x_test))
    np.save(os.path.join(out, "test_labels.npy"), y_test)

    print(f"trained on {len(x_train)} images, {EPOCHS} epochs, in {time.monotonic() - start:.1f} s")
    print(f"pytorch train accuracy: {100 * accuracy(model, x_train, y_train):.2f}%")
    print(f"pytorch test accuracy: {100 * accuracy(model, x_test, y_test):.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
