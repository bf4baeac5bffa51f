#!/usr/bin/env python3
"""Independent numpy reference for kiln's entropy (KL-divergence) INT8 calibration.

Builds a few histograms from a seeded 64-bit LCG using integer arithmetic only (so C++ rebuilds the same
counts bit for bit), runs the TensorRT entropy procedure on each, and prints the chosen threshold bin i and
amax = (i + 0.5) * bin_width for a histogram range of 1.0. calibration_test.cpp embeds these outputs.

    python3 tests/unit/data/entropy_reference.py

Procedure (GTC 2017 "8-bit Inference with TensorRT", IInt8EntropyCalibrator2): for i in [128, 2048],
P = hist[:i] with sum(hist[i:]) added to P[i-1]; Q = hist[:i] merged into 128 levels (bin j -> level
j*128//i) and each level's total spread evenly over the bins where P != 0; both smoothed (every empty bin gets
1e-4 of a count, taken evenly from the non-empty ones, as MXNet and ONNX Runtime do); minimise KL(P||Q), first i
on a tie.
"""
import numpy as np

BINS = 2048
LEVELS = 128
MASK = (1 << 64) - 1
HALF_RANGE = 1 << 31


class Lcg:
    def __init__(self, seed):
        self.state = seed & MASK

    def next31(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return self.state >> 33


def irwin_hall_bin(rng, terms, squeeze):
    """|sum of `terms` uniforms - mean| (an approximate Gaussian), scaled so the largest possible lands in bin
    BINS / squeeze."""
    total = sum(rng.next31() for _ in range(terms))
    deviation = abs(2 * total - terms * HALF_RANGE)  # twice |sum - mean|: integers only
    return min(BINS - 1, deviation * BINS // (terms * HALF_RANGE * squeeze + 1))


def gaussian(seed, samples, terms, squeeze=1):
    rng = Lcg(seed)
    hist = np.zeros(BINS, dtype=np.int64)
    for _ in range(samples):
        hist[irwin_hall_bin(rng, terms, squeeze)] += 1
    return hist


def gaussian_with_outliers(seed, samples, terms, outliers, squeeze=1):
    hist = gaussian(seed, samples, terms, squeeze)
    rng = Lcg(seed ^ 0x5DEECE66D)
    for _ in range(outliers):
        hist[BINS - 1 - rng.next31() % 64] += 1
    return hist


def triangle_even_bins(seed, samples):
    """A linearly falling density on the even bins only: every odd bin empty."""
    rng = Lcg(seed)
    hist = np.zeros(BINS, dtype=np.int64)
    for _ in range(samples):
        b = abs(rng.next31() - rng.next31()) * BINS // HALF_RANGE
        hist[min(BINS - 2, b - b % 2)] += 1
    return hist


def kl_for(hist, i):
    p = hist[:i].astype(np.float64)
    p[i - 1] += hist[i:].sum()
    level = (np.arange(i) * LEVELS) // i
    level_total = np.bincount(level, weights=hist[:i].astype(np.float64), minlength=LEVELS)
    level_nonzero = np.bincount(level, weights=(p != 0).astype(np.float64), minlength=LEVELS)
    q = np.where(p != 0, level_total[level] / np.maximum(level_nonzero[level], 1), 0.0)
    p, q = smoothed(p), smoothed(q)
    if p is None or q is None:
        return np.inf
    p /= p.sum()
    q /= q.sum()
    return float(np.sum(p * np.log(p / q)))


def smoothed(counts, eps=1e-4):
    zero = counts == 0
    filled = int((~zero).sum())
    if filled == 0:
        return None
    out = np.where(zero, eps, counts - eps * int(zero.sum()) / filled)
    return None if np.any(out <= 0) else out


def threshold_bin(hist):
    divergences = np.array([kl_for(hist, i) for i in range(LEVELS, BINS + 1)])
    return LEVELS + int(np.argmin(divergences))  # argmin: first minimum


CASES = [
    ("gaussian seed 1", lambda: gaussian(1, 100000, 12)),
    ("gaussian seed 7 (4 terms)", lambda: gaussian(7, 50000, 4)),
    ("gaussian seed 3 + 40 outliers", lambda: gaussian_with_outliers(3, 100000, 12, 40)),
    ("narrow gaussian seed 5 (squeeze 16) + 10 outliers", lambda: gaussian_with_outliers(5, 100000, 12, 10, 16)),
    ("triangle on even bins seed 11", lambda: triangle_even_bins(11, 60000)),
]

if __name__ == "__main__":
    for name, make in CASES:
        hist = make()
        i = threshold_bin(hist)
        print(f"{name}: total={int(hist.sum())} bin={i} amax={(i + 0.5) / BINS:.9g}")
