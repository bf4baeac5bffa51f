#!/usr/bin/env python3
"""kiln INT8 against kiln FP16 and PyTorch FP16, side by side on one GPU (scripts/gpu/remote.sh calls it there).

  python3 benchmarks/gpu/int8_compare.py --kiln gpu-bundle/bin/kiln --lib-path gpu-bundle/lib \\
      --model-dir /tmp/kiln-gpu-models --out OUT [--models resnet50,googlenet] [--budget-s 300]

Reads the ONNX files compare.py exported (MODEL_b1.onnx, MODEL_b256.onnx) and its OUT/results.json (PyTorch's
FP16 times, measured in the same call). Per model:
1. calibration: 16 random images (seeded), one .npy each, through the batch-1 model with configs/cuda-int8.yaml
   (paths rewritten into a temporary copy); the scales go to a per-model calibration cache, which the batch-256
   build then reads (the value names are the same in both exports);
2. accuracy: one random batch of 256 through the FP32 (configs/cuda.yaml), FP16 and INT8 plans; relative L2 and
   top-1 agreement of FP16 and INT8 against FP32 (random weights and inputs: agreement, not ImageNet accuracy;
   --bn-matched: the models were exported with BatchNormalization statistics matched to their inputs, which makes
   the error a measure of the quantization rather than of torchvision's initialisation);
3. speed: `kiln run --device-io` medians of the INT8 and FP16 plans at batch 256 (and INT8 at batch 1).
Writes OUT/int8.md (a table with the issue's bars: INT8 throughput >= 1.5x kiln FP16 and >= 2x PyTorch FP16) and
prints it.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from compare import Clock, log, run_kiln  # noqa: E402  (the same timing method as the FP16 table)

WORK = "/tmp/kiln-int8"


def int8_config(model):
    """configs/cuda-int8.yaml with this model's calibration data and cache."""
    text = open(os.path.join(ROOT, "configs/cuda-int8.yaml")).read()
    text = re.sub(r"data: \S+", f"data: {WORK}/calibration", text)
    text = re.sub(r"cache: \.\./\.kiln-cache/int8\.calib", f"cache: {WORK}/{model}.calib", text)
    text = text.replace("cache: ../.kiln-cache/timing.cache", f"cache: {os.path.join(ROOT, '.kiln-cache/timing.cache')}")
    path = f"{WORK}/{model}-int8.yaml"
    open(path, "w").write(text)
    return path


def write_calibration(count):
    os.makedirs(f"{WORK}/calibration", exist_ok=True)
    for i in range(count):
        x = np.random.default_rng(100 + i).standard_normal((1, 3, 224, 224)).astype(np.float32)
        np.save(f"{WORK}/calibration/batch_{i:03d}.npy", x)


def kiln(cmd, env, timeout):
    log(f"$ {' '.join(cmd)}")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"


def outputs_of(args, env, model_path, config, x_path, name, clock):
    out = f"{WORK}/out-{name}"
    rc, text = kiln([args.kiln, "run", model_path, "--config", config, "--input", f"input={x_path}",
                     "--output-dir", out, "--iterations", "1", "--warmup", "0"], env, clock.limit(120))
    if rc != 0:
        log("\n".join("  | " + l for l in text.strip().splitlines()[-8:]))
        return None
    return np.load(f"{out}/output.npy").astype(np.float64)


def profile(args, env, model_path, config, clock):
    """The per-layer profile of the INT8 plan (`kiln run --profile-layers`): where its time goes."""
    rc, text = kiln([args.kiln, "run", model_path, "--config", config, "--iterations", "3", "--warmup", "1",
                     "--device-io", "--profile-layers"], env, clock.limit(90))
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("profile")), None)
    return lines[start:start + 30] if start is not None else lines[-5:]


def int8_notes(args, env, model_path, config, model, clock):
    """What the INT8 convolutions decided (`kiln inspect` notes of the batch-256 plan): each distinct note once
    with its count, and per convolution the engine the timing chose with every candidate's time. Called before
    anything else builds the batch-256 plan, so that the timing happens here and its notes say what was timed."""
    plan = f"{WORK}/{model}_b256_int8.plan"
    t0 = time.time()
    kiln([args.kiln, "build", model_path, "--config", config, "-o", plan], env, clock.limit(240))
    build_s = round(time.time() - t0, 1)
    rc, text = kiln([args.kiln, "inspect", plan], env, clock.limit(30))
    counts, engines, layer = {}, [], None
    for line in text.splitlines():
        m = re.match(r"\s+\d+ (\S+)\s+(ConvFused|Conv)\s", line)
        if m:
            layer = m.group(1)
        line = line.strip()
        if line.startswith("note: fused int8 graph:"):
            engines.append(f"{layer}: {line[len('note: fused int8 graph: '):]}")
            chosen = re.sub(r":.*| from the tuning cache.*", "", line[len("note: fused int8 graph: "):])
            chosen = re.sub(r"config \d+.*", "config N", chosen) if chosen.startswith("cuDNN") else chosen
            line = f"note: fused int8 graph chosen: {chosen}"
        if line.startswith("note:") and ("int8" in line or "legacy" in line):
            counts[line] = counts.get(line, 0) + 1
    notes = [f"{n} x {note}" for note, n in sorted(counts.items(), key=lambda kv: -kv[1])][:15]
    return notes, engines, build_s


def relative_l2(reference, other):
    return float(np.linalg.norm(other - reference) / max(np.linalg.norm(reference), 1e-30))


def agreement(reference, other):
    """Relative L2, the same of the logits centred over the batch (what depends on the image: random weights give
    logits mostly alike for every image, whose shared part a plain relative L2 counts), and top-1 agreement."""
    if reference is None or other is None:
        return None, None, None
    spread = reference - reference.mean(axis=0)
    centred = (relative_l2(spread, other - other.mean(axis=0))
               if np.linalg.norm(spread) > 1e-6 * np.linalg.norm(reference) else None)  # logits alike for every image
    top1 = float(np.mean(np.argmax(other, axis=1) == np.argmax(reference, axis=1)))
    return relative_l2(reference, other), centred, top1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--lib-path", default="")
    ap.add_argument("--model-dir", default="/tmp/kiln-gpu-models")
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="resnet50,googlenet")
    ap.add_argument("--budget-s", type=float, default=300)
    ap.add_argument("--bn-matched", action="store_true",
                    help="models exported with BatchNormalization statistics matched to their inputs (compare.py --bn-matched)")
    args = ap.parse_args()
    clock = Clock(args.budget_s)
    env = dict(os.environ, LD_LIBRARY_PATH=args.lib_path)
    os.makedirs(WORK, exist_ok=True)
    write_calibration(16)
    pytorch = {}
    try:
        for r in json.load(open(os.path.join(args.out, "results.json")))["rows"]:
            pytorch[(r["model"], int(r["batch"]))] = r.get("pytorch_best_ms")
    except (OSError, ValueError, KeyError):
        log("no results.json from compare.py: PyTorch's column stays empty")
    fp32_cfg, fp16_cfg = os.path.join(ROOT, "configs/cuda.yaml"), os.path.join(ROOT, "configs/cuda-fp16.yaml")
    x_path = f"{WORK}/eval_b256.npy"
    np.save(x_path, np.random.default_rng(7).standard_normal((256, 3, 224, 224)).astype(np.float32))
    rows = []
    for model in args.models.split(","):
        b1, b256 = (os.path.join(args.model_dir, f"{model}_b{b}.onnx") for b in (1, 256))
        if not (os.path.exists(b1) and os.path.exists(b256)):
            from compare import export_models  # noqa: E402  (torch is imported only when needed)
            export_models([model], [1, 256], args.model_dir, 17, args.bn_matched)
        if not (os.path.exists(b1) and os.path.exists(b256)):
            log(f"{model}: no exported ONNX files in {args.model_dir}")
            continue
        cfg = int8_config(model)
        t0 = time.time()
        rc, text = kiln([args.kiln, "build", b1, "--config", cfg, "-o", f"{WORK}/{model}_b1_int8.plan"], env, clock.limit(150))
        build_lines = [l for l in text.splitlines() if re.match(r"(calibrate|precision|quantize|summary|\s+int8|\s+device)", l)]
        log("\n".join("  | " + l for l in (build_lines if rc == 0 else text.strip().splitlines()[-10:])))
        row = {"model": model, "calibration_s": round(time.time() - t0, 1), "build": build_lines[-6:], "build_ok": rc == 0}
        details = os.environ.get("KILN_INT8_DETAILS", "1") != "0"  # 0: timings and errors only (short calls)
        row["notes"], row["engines"], row["b256_build_s"] = int8_notes(args, env, b256, cfg, model, clock) if details else ([], [], None)
        ref = outputs_of(args, env, b256, fp32_cfg, x_path, f"{model}-fp32", clock)
        row["fp16_rel_l2"], row["fp16_centred_l2"], row["fp16_top1"] = agreement(ref, outputs_of(args, env, b256, fp16_cfg, x_path, f"{model}-fp16", clock))
        row["int8_rel_l2"], row["int8_centred_l2"], row["int8_top1"] = agreement(ref, outputs_of(args, env, b256, cfg, x_path, f"{model}-int8", clock))
        row["int8_b256"] = run_kiln(args.kiln, b256, cfg, 256, env, clock.limit(120))
        row["fp16_b256"] = run_kiln(args.kiln, b256, fp16_cfg, 256, env, clock.limit(120))
        row["int8_b1"] = run_kiln(args.kiln, b1, cfg, 1, env, clock.limit(60))
        row["profile"] = profile(args, env, b256, cfg, clock) if details else []
        row["pytorch_b256"] = pytorch.get((model, 256))
        row["pytorch_b1"] = pytorch.get((model, 1))
        rows.append(row)
    write_table(args.out, rows, args.bn_matched)


def ms(r):
    return r.get("median_ms") if isinstance(r, dict) else None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt(v, digits=3):
    return "—" if v is None else f"{v:.{digits}f}"


def write_table(out_dir, rows, bn_matched):
    weights = ("random, BatchNormalization statistics matched to their inputs" if bn_matched
               else "random (torchvision's initialisation)")
    lines = [f"Weights: {weights}.", "",
             "| model | batch 256: PyTorch FP16 ms | kiln FP16 ms | kiln INT8 ms | INT8 vs kiln FP16 (throughput) | "
             "INT8 vs PyTorch FP16 | bars (>= 1.5x, >= 2x) | INT8 b1 ms | INT8 rel L2 / centred / top-1 vs FP32 | "
             "FP16 rel L2 / centred / top-1 vs FP32 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        i8, f16, pt = ms(r["int8_b256"]), ms(r["fp16_b256"]), r["pytorch_b256"]
        g16, gpt = ratio(f16, i8), ratio(pt, i8)
        holds = "—" if g16 is None else ("yes" if g16 >= 1.5 and (gpt or 0) >= 2 else "no")
        lines.append(f"| {r['model']} | {fmt(pt)} | {fmt(f16)} | {fmt(i8)} | {fmt(g16, 2)}x | {fmt(gpt, 2)}x | {holds} | "
                     f"{fmt(ms(r['int8_b1']))} | {fmt(r['int8_rel_l2'], 4)} / {fmt(r['int8_centred_l2'], 4)} / "
                     f"{fmt(r['int8_top1'], 3)} | {fmt(r['fp16_rel_l2'], 4)} / {fmt(r['fp16_centred_l2'], 4)} / "
                     f"{fmt(r['fp16_top1'], 3)} |")
    for r in rows:
        lines.append("")
        lines.append(f"{r['model']}: calibration + batch-1 build {r['calibration_s']} s; " + " / ".join(s.strip() for s in r["build"]))
        if r.get("notes"):
            lines += ["", f"{r['model']} INT8 batch 256 (plan built in {r.get('b256_build_s')} s), the convolutions' notes "
                      "(count x note):"] + [f"- {n}" for n in r["notes"]]
        if r.get("engines"):
            lines += ["", f"{r['model']} INT8 batch 256, each convolution's engine (the fastest first, then every candidate timed):",
                      "```"] + r["engines"] + ["```"]
        if r["profile"]:
            lines += ["", f"{r['model']} INT8 batch 256, per layer:", "```"] + r["profile"] + ["```"]
        for key in ("int8_b256", "fp16_b256", "int8_b1"):
            if isinstance(r[key], dict) and r[key].get("error"):
                lines.append(f"{r['model']} {key}: {r[key]['error']}")
    text = "\n".join(lines) + "\n"
    open(os.path.join(out_dir, "int8.md"), "w").write(text)
    print("\n== INT8 ==\n" + text, flush=True)


if __name__ == "__main__":
    main()
