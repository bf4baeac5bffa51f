#!/usr/bin/env python3
"""The benchmarked models' outputs, checked: kiln (FP32 and FP16 CUDA configs) against onnxruntime on the CPU,
on the same ONNX file and the same random input. Prints one line per model, batch and config, and fails when the
FP32 result is off by more than 1e-3 relative L2 or the FP16 result by more than 3e-2, or when FP16 top-1 agrees
with the reference on fewer than 90% of the images (random weights make close logits common).

  python3 benchmarks/gpu/check_outputs.py --kiln gpu-bundle/bin/kiln --lib-path gpu-bundle/lib \
      --models /tmp/kiln-gpu-models/resnet50_b1.onnx,... --out $OUT
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

LIMITS = {"configs/cuda.yaml": 1e-3, "configs/cuda-fp16.yaml": 3e-2}


def kiln_output(kiln, lib_path, model, config, x_path, out_dir):
    env = dict(os.environ, LD_LIBRARY_PATH=lib_path)
    cmd = [kiln, "run", model, "--config", config, "--input", "input=" + x_path, "--iterations", "1",
           "--output-dir", out_dir]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "exit %d" % done.returncode)
    return np.load(os.path.join(out_dir, "output.npy"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("--lib-path", default="")
    p.add_argument("--models", required=True, help="comma-separated ONNX files with input 'input' and output 'output'")
    p.add_argument("--out", default="/tmp")
    args = p.parse_args()
    failed = False
    lines = []
    for model in args.models.split(","):
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        shape = session.get_inputs()[0].shape
        x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
        ref = session.run(None, {"input": x})[0].astype(np.float64)
        with tempfile.TemporaryDirectory() as tmp:
            x_path = os.path.join(tmp, "x.npy")
            np.save(x_path, x)
            for config, limit in LIMITS.items():
                try:
                    got = kiln_output(args.kiln, args.lib_path, model, config, x_path, tmp).astype(np.float64)
                except Exception as e:  # report and go on with the next one
                    lines.append("%s %s: kiln failed: %s" % (os.path.basename(model), config, e))
                    failed = True
                    continue
                rel = np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-30)
                top1 = float(np.mean(got.argmax(axis=1) == ref.argmax(axis=1)))
                ok = rel <= limit and (limit < 1e-2 or top1 >= 0.9)
                failed |= not ok
                lines.append("%-22s %-24s rel L2 %.2e (limit %.0e)  max abs %.3e  top-1 agreement %.1f%%  %s" % (
                    os.path.basename(model), config, rel, limit, np.abs(got - ref).max(), 100 * top1,
                    "ok" if ok else "FAILED"))
                print(lines[-1], flush=True)
    with open(os.path.join(args.out, "outputs.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
