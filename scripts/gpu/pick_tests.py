#!/usr/bin/python3
"""Copies the ONNX backend tests whose every node is an op the CUDA pack offers into a small folder that can
travel to the GPU machine (the whole data set is ~66 MiB; the device call carries 64 MiB in all).

  pick_tests.py --src ../shared/onnx-tests --dst gpu-bundle/onnx-tests --ops Conv,Relu,... [--max-mib 12]
                [--suites node,pytorch-converted,pytorch-operator,simple] [--list FILE]

Smallest tests first, until --max-mib; the layout (<suite>/test_*/) is what kiln-conformance reads.
"""
import argparse
import collections
import os
import shutil
import sys

import onnx


def op_key(domain, op_type):
    return op_type if domain in ("", "ai.onnx") else f"{domain}::{op_type}"


def model_ops(path):
    """Every op of the model's main graph (a control-flow op counts as itself: its body is its own business)."""
    model = onnx.load(path, load_external_data=False)
    return {op_key(n.domain, n.op_type) for n in model.graph.node}


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--ops", required=True, help="comma-separated op types (domain::Op outside the default domain)")
    ap.add_argument("--max-mib", type=float, default=12.0)
    ap.add_argument("--suites", default="node,pytorch-converted,pytorch-operator,simple")
    ap.add_argument("--list", help="write the picked test ids and their ops here")
    args = ap.parse_args()

    wanted = {o.strip() for o in args.ops.split(",") if o.strip()}
    candidates = []  # (bytes, id, folder, ops)
    unreadable = 0
    for suite in args.suites.split(","):
        suite_dir = os.path.join(args.src, suite)
        if not os.path.isdir(suite_dir):
            continue
        for test in sorted(os.listdir(suite_dir)):
            folder = os.path.join(suite_dir, test)
            model = os.path.join(folder, "model.onnx")
            if not os.path.isfile(model):
                continue
            try:
                ops = model_ops(model)
            except Exception:  # a model this onnx cannot parse: leave it out
                unreadable += 1
                continue
            if ops and ops <= wanted:
                candidates.append((folder_bytes(folder), f"{suite}/{test}", folder, sorted(ops)))

    candidates.sort()
    cap = int(args.max_mib * 1048576)
    if os.path.exists(args.dst):
        shutil.rmtree(args.dst)
    picked, used, dropped = [], 0, 0
    for size, test_id, folder, ops in candidates:
        if used + size > cap:
            dropped += 1
            continue
        shutil.copytree(folder, os.path.join(args.dst, test_id))
        picked.append((test_id, ops))
        used += size

    per_op = collections.Counter(op for _, ops in picked for op in ops)
    print(f"conformance subset: {len(picked)} tests, {used / 1048576:.1f} MiB "
          f"({dropped} more matched but were over the {args.max_mib:g} MiB cap; {unreadable} unreadable)")
    print("  tests per op: " + (", ".join(f"{op} {n}" for op, n in sorted(per_op.items())) or "(none)"))
    never = sorted(wanted - set(per_op))
    if never:
        print("  ops with no test picked: " + ", ".join(never))
    if args.list:
        with open(args.list, "w") as f:
            f.write(f"# {len(picked)} ONNX tests picked for the ops: {','.join(sorted(wanted))}\n")
            for test_id, ops in picked:
                f.write(f"{test_id}\t{','.join(ops)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
