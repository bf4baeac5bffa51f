#!/usr/bin/env python3
"""Compares two folders of <output>.npy: the one tested (ACTUAL) against the reference (EXPECTED).

Per output: relative L2 error ||a - b|| / ||b|| (computed in float64; the absolute ||a - b|| when b is all
zero). Prints a table; exits 1 when an error exceeds --threshold, a value is NaN or Inf where the reference
is finite, an output is missing from ACTUAL, or a shape or dtype differs. Extra outputs in ACTUAL are listed.

  python3 tests/models/compare_outputs.py ACTUAL_DIR EXPECTED_DIR [--threshold 1e-4]
"""
import argparse
import os
import sys

import numpy as np


def npy_files(folder):
    return {f[:-4] for f in os.listdir(folder) if f.endswith(".npy")}


def compare(actual, expected, threshold):
    """Returns (relative error or None, verdict) for one output."""
    if actual.shape != expected.shape:
        return None, f"FAIL shape {list(actual.shape)} != {list(expected.shape)}"
    if actual.dtype != expected.dtype:
        return None, f"FAIL dtype {actual.dtype} != {expected.dtype}"
    a, b = actual.astype(np.float64), expected.astype(np.float64)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return None, "FAIL non-finite values where the reference is finite (or the reverse)"
    finite = np.isfinite(b)
    diff = np.linalg.norm(a[finite] - b[finite])
    norm = np.linalg.norm(b[finite])
    error = diff / norm if norm > 0 else diff
    return error, ("ok" if error <= threshold else f"FAIL > {threshold:g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("actual")
    parser.add_argument("expected")
    parser.add_argument("--threshold", type=float, default=1e-4)
    args = parser.parse_args()

    for folder in (args.actual, args.expected):
        if not os.path.isdir(folder):
            sys.exit(f"compare_outputs: '{folder}' is not a folder")
    expected_names = npy_files(args.expected)
    if not expected_names:
        sys.exit(f"compare_outputs: no .npy outputs in reference folder '{args.expected}'")
    actual_names = npy_files(args.actual)

    failed = False
    print(f"{'output':<24} {'shape':<20} {'rel L2':>10} {'max |a-b|':>10}  verdict")
    for name in sorted(expected_names):
        b = np.load(os.path.join(args.expected, name + ".npy"), allow_pickle=False)
        if name not in actual_names:
            print(f"{name:<24} {str(list(b.shape)):<20} {'-':>10} {'-':>10}  FAIL missing from {args.actual}")
            failed = True
            continue
        a = np.load(os.path.join(args.actual, name + ".npy"), allow_pickle=False)
        error, verdict = compare(a, b, args.threshold)
        failed |= not verdict.startswith("ok")
        max_abs = (f"{np.max(np.abs(a.astype(np.float64) - b)):10.3e}"
                   if error is not None and a.size else f"{'-':>10}")
        rel = f"{error:10.3e}" if error is not None else f"{'-':>10}"
        print(f"{name:<24} {str(list(b.shape)):<20} {rel} {max_abs}  {verdict}")
    for name in sorted(actual_names - expected_names):
        print(f"{name:<24} (extra output, not in the reference; ignored)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
