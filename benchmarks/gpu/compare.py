#!/usr/bin/env python3
"""kiln against PyTorch on one GPU, side by side in one run (scripts/gpu/remote.sh calls it there).

  python3 benchmarks/gpu/compare.py --kiln gpu-bundle/bin/kiln --config configs/cuda-fp16.yaml \\
      --lib-path gpu-bundle/lib --out OUT_DIR [--models resnet50,googlenet] [--batches 1,256] [--budget-s 330]

1. Exports each model from torchvision (random weights, eval mode, opset 17, input 'input', output 'output';
   traced at batch 1 with a dynamic batch axis), then writes one ONNX file per batch size with that axis fixed
   (MODEL_bN.onnx): kiln builds each at its own static shape. The export runs on the CPU, before any CUDA use.
2. PyTorch (benchmarks/gpu/pytorch_baseline.py, in its own process so that it holds no GPU memory while kiln
   runs): FP16 channels-last, eager and CUDA-graph replay; best of the two.
3. kiln: `kiln run MODEL_bN.onnx --config CFG --iterations N --warmup W --device-io` per model and batch: the
   median it prints, and the 'loaded in' time (parse + build, the autotuning included).
4. A table (stdout, OUT/performance.md) and OUT/results.json, with the issue's targets: at batch 1, kiln's
   latency <= 0.7x PyTorch's best; at batch 256, kiln's throughput >= 1.5x PyTorch's best.

Each step has a time limit inside --budget-s; a step that fails or runs out of time is reported in the table and
the others go on. --dry-run (no GPU) checks the export and the table on the CPU.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (warm-up, timed) iterations by batch size, the same for both sides.
def iterations_for(batch):
    return (20, 200) if batch <= 8 else (5, 30)


TARGETS = {  # batch -> (description, test on kiln_ms / pytorch_ms)
    1: ("latency <= 0.7x PyTorch", lambda ratio: ratio <= 0.7),
    256: ("throughput >= 1.5x PyTorch", lambda ratio: ratio <= 1 / 1.5),
}


class Clock:
    def __init__(self, budget_s):
        self.end = time.monotonic() + budget_s

    def left(self):
        return self.end - time.monotonic()

    def limit(self, want):
        """Seconds a step may take: `want`, or what is left of the budget when that is less (at least 1)."""
        return max(1.0, min(want, self.left()))


def log(msg):
    print(msg, flush=True)


# -- 1. export ------------------------------------------------------------------------------------------------

def export_models(names, batches, model_dir, opset, bn_matched=False):
    """Returns {(model, batch): path or None} and {model: error}. `bn_matched`: BatchNormalization statistics
    matched to their inputs (pytorch_baseline.match_batch_norm_statistics), for accuracy measurements."""
    import onnx
    import torch
    sys.path.insert(0, HERE)
    from pytorch_baseline import build_model

    os.makedirs(model_dir, exist_ok=True)
    paths, errors = {}, {}
    for name in names:
        t0 = time.time()
        try:
            torch.manual_seed(0)
            model = build_model(name, bn_matched)
            x = torch.randn(1, 3, 224, 224)
            dynamic = os.path.join(model_dir, f"{name}_dynamic.onnx")
            how = export_onnx(model, x, dynamic, opset)
            proto = onnx.load(dynamic)
            for batch in batches:
                path = os.path.join(model_dir, f"{name}_b{batch}.onnx")
                onnx.save(fix_batch(proto, batch), path)
                paths[(name, batch)] = path
            log(f"export {name}: {how}, opset {opset_of(proto)}, batches {batches} ({time.time() - t0:.1f} s)")
        except Exception as e:
            errors[name] = f"export failed: {type(e).__name__}: {e}"
            log(f"export {name}: FAILED {errors[name]}")
            for batch in batches:
                paths[(name, batch)] = None
    return paths, errors


def export_onnx(model, x, path, opset):
    """The TorchScript exporter where this torch has it (dynamo=False), else the default one, else the dynamo
    exporter at opset 18 (its lowest). Weights end up inside the file either way (onnx.load reads external data)."""
    import torch
    kwargs = dict(input_names=["input"], output_names=["output"], do_constant_folding=True,
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    attempts = [("torchscript exporter", dict(dynamo=False, opset_version=opset)),
                ("default exporter", dict(opset_version=opset)),
                ("dynamo exporter", dict(dynamo=True, opset_version=max(18, opset)))]
    problems = []
    for how, extra in attempts:
        try:
            with torch.no_grad():
                torch.onnx.export(model, (x,), path, **kwargs, **extra)
            return how
        except TypeError as e:  # a torch without the dynamo argument: the default is the TorchScript exporter
            problems.append(f"{how}: {e}")
        except Exception as e:
            problems.append(f"{how}: {type(e).__name__}: {e}")
    raise RuntimeError("; ".join(problems))


def fix_batch(proto, batch):
    """A copy of the model with the batch axis of its graph inputs and outputs fixed to `batch`."""
    import onnx
    m = onnx.ModelProto()
    m.CopyFrom(proto)
    initializers = {i.name for i in m.graph.initializer}
    for v in list(m.graph.input) + list(m.graph.output):
        if v.name in initializers or not v.type.HasField("tensor_type"):
            continue
        dims = v.type.tensor_type.shape.dim
        if len(dims) > 0:
            dims[0].Clear()
            dims[0].dim_value = batch
    del m.graph.value_info[:]  # inner shapes named the symbolic batch: let shape inference redo them
    return m


def opset_of(proto):
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)


# -- 2. PyTorch -----------------------------------------------------------------------------------------------

def run_pytorch(names, batches, out_dir, timeout):
    """Returns ({(model, batch): result}, device name, info, error)."""
    jsonl = os.path.join(out_dir, "pytorch.jsonl")
    if os.path.exists(jsonl):
        os.remove(jsonl)
    cmd = [sys.executable, os.path.join(HERE, "pytorch_baseline.py"), "--model", ",".join(names),
           "--batch", ",".join(map(str, batches)), "--jsonl", jsonl]
    log(f"$ {' '.join(cmd)}  (limit {timeout:.0f} s)")
    error, info = None, {}
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        sys.stdout.write(p.stderr)
        if p.returncode != 0:
            error = f"pytorch_baseline exited {p.returncode}"
        else:
            try:
                report = json.loads(p.stdout)
                info = {k: v for k, v in report.items() if k != "results"}
            except ValueError:
                error = "pytorch_baseline printed no JSON"
    except subprocess.TimeoutExpired as e:
        error = f"pytorch_baseline timed out after {timeout:.0f} s"
        if e.stderr:
            sys.stdout.write(e.stderr if isinstance(e.stderr, str) else e.stderr.decode(errors="replace"))
    results = {}
    if os.path.exists(jsonl):  # what was measured, even when the run was cut short
        with open(jsonl) as f:
            for line in f:
                r = json.loads(line)
                results[(r["model"], r["batch"])] = r
        os.remove(jsonl)  # $OUT brings back at most 8 files: the results live in results.json
    if error:
        log(f"pytorch: {error}")
    return results, info, error


# -- 3. kiln --------------------------------------------------------------------------------------------------

LATENCY = re.compile(r"latency median ([0-9.]+) ms(?:\s+min ([0-9.]+) ms\s+max ([0-9.]+) ms)?")
LOADED = re.compile(r"loaded in ([0-9.]+) ms")


def run_kiln(kiln, model_path, config, batch, env, timeout, device_io=True):
    warmup, iterations = iterations_for(batch)
    cmd = [kiln, "run", model_path, "--config", config, "--iterations", str(iterations), "--warmup", str(warmup)]
    if device_io:
        cmd.append("--device-io")
    log(f"$ {' '.join(cmd)}  (limit {timeout:.0f} s)")
    r = {"command": " ".join(cmd), "warmup": warmup, "iterations": iterations,
         "io": "device" if device_io else "host"}
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        text = p.stdout + p.stderr
        r["exit"] = p.returncode
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or "") if isinstance(e.stdout, str) else (e.stdout or b"").decode(errors="replace")
        r["error"] = f"timed out after {timeout:.0f} s"
        r["exit"] = None
    except OSError as e:
        text, r["error"], r["exit"] = "", f"cannot run kiln: {e}", None
    r["seconds"] = round(time.time() - t0, 1)
    lines = text.strip().splitlines()
    for line in lines[-12:]:
        log(f"  | {line}")
    if device_io and "unknown option '--device-io'" in text:
        log("  kiln has no --device-io yet: again with host inputs and outputs (copies inside the timing)")
        return run_kiln(kiln, model_path, config, batch, env, timeout, device_io=False)
    m = LATENCY.search(text)
    if m:
        r["median_ms"] = float(m.group(1))
        if m.group(2):
            r["min_ms"], r["max_ms"] = float(m.group(2)), float(m.group(3))
    loaded = LOADED.search(text)
    if loaded:
        r["load_ms"] = float(loaded.group(1))
    if "median_ms" not in r and "error" not in r:
        r["error"] = f"exit {r['exit']}: " + (next((l for l in reversed(lines) if "error" in l.lower()), None)
                                              or (lines[-1] if lines else "no output"))
    r["tail"] = "\n".join(lines[-20:])
    return r


# -- 4. the table ---------------------------------------------------------------------------------------------

def fmt(v, digits=3):
    return "—" if v is None else f"{v:.{digits}f}"


def build_rows(names, batches, export_errors, pytorch, pytorch_error, kiln):
    rows = []
    for name in names:
        for batch in batches:
            pt = pytorch.get((name, batch), {})
            kr = kiln.get((name, batch), {})
            pt_best, k_ms = pt.get("best_ms"), kr.get("median_ms")
            ratio = k_ms / pt_best if (k_ms and pt_best) else None
            problems = []
            if name in export_errors:
                problems.append(export_errors[name])
            if pt_best is None:
                problems.append("PyTorch: " + (pt.get("error") or pytorch_error or "not measured"))
            if pt.get("graph_error"):
                problems.append("PyTorch graph: " + pt["graph_error"])
            if k_ms is None:
                problems.append("kiln: " + (kr.get("error") or "not run"))
            if kr.get("io") == "host":
                problems.append("kiln timed with host copies (no --device-io)")
            target = TARGETS.get(batch)
            if target is None:
                verdict = "—"
            elif ratio is None:
                verdict = "unknown"
            else:
                verdict = "yes" if target[1](ratio) else "no"
            rows.append({
                "model": name, "batch": batch,
                "pytorch_eager_ms": pt.get("eager_ms"), "pytorch_graph_ms": pt.get("graph_ms"),
                "pytorch_best_ms": pt_best, "pytorch_best_mode": pt.get("best_mode"),
                "kiln_ms": k_ms, "kiln_load_ms": kr.get("load_ms"), "kiln_io": kr.get("io"),
                "ratio_kiln_over_pytorch": ratio,
                "pytorch_img_s": batch * 1000.0 / pt_best if pt_best else None,
                "kiln_img_s": batch * 1000.0 / k_ms if k_ms else None,
                "target": target[0] if target else None, "target_holds": verdict,
                "notes": "; ".join(problems),
            })
    return rows


def table_markdown(rows):
    head = ("| model | batch | PyTorch eager ms | PyTorch graph ms | PyTorch best ms | kiln ms | kiln / PyTorch "
            "| PyTorch img/s | kiln img/s | target | holds | kiln load ms | notes |")
    lines = [head, "|" + " --- |" * 13]
    for r in rows:
        lines.append("| " + " | ".join([
            r["model"], str(r["batch"]), fmt(r["pytorch_eager_ms"]), fmt(r["pytorch_graph_ms"]),
            fmt(r["pytorch_best_ms"]) + (f" ({r['pytorch_best_mode']})" if r["pytorch_best_mode"] else ""),
            fmt(r["kiln_ms"]), fmt(r["ratio_kiln_over_pytorch"], 2) + ("x" if r["ratio_kiln_over_pytorch"] else ""),
            fmt(r["pytorch_img_s"], 0), fmt(r["kiln_img_s"], 0), r["target"] or "—", r["target_holds"],
            fmt(r["kiln_load_ms"], 0), r["notes"].replace("|", "/")[:300] or "",
        ]) + " |")
    return "\n".join(lines) + "\n"


def write_report(out_dir, rows, meta):
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1, default=str)
    md = [f"# kiln against PyTorch — {meta.get('device', '?')}", "",
          f"- date (UTC): {meta['date']}",
          f"- kiln: commit {meta.get('kiln_commit', '?')}, config `{meta['config']}`, "
          f"`kiln run --iterations N --warmup W --device-io` (median of its timed runs)",
          f"- PyTorch {meta.get('torch', '?')} (CUDA {meta.get('cuda', '?')}, cuDNN {meta.get('cudnn', '?')}): "
          "FP16, channels-last, cudnn.benchmark, eager and CUDA-graph replay, CUDA events around each "
          "synchronized iteration, median",
          "- iterations (both sides): batch <= 8: 20 warm-up + 200 timed; larger: 5 + 30",
          "- ratio = kiln ms / PyTorch best ms (below 1: kiln faster); img/s = batch / median latency",
          "- targets: batch 1 latency <= 0.7x PyTorch (ratio <= 0.70); batch 256 throughput >= 1.5x PyTorch "
          "(ratio <= 0.667)", "", table_markdown(rows)]
    with open(os.path.join(out_dir, "performance.md"), "w") as f:
        f.write("\n".join(md))


# -- main -----------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", default="gpu-bundle/bin/kiln")
    ap.add_argument("--config", default="configs/cuda-fp16.yaml")
    ap.add_argument("--lib-path", default="gpu-bundle/lib", help="LD_LIBRARY_PATH for kiln (not for PyTorch)")
    ap.add_argument("--models", default="resnet50,googlenet")
    ap.add_argument("--batches", default="1,256")
    ap.add_argument("--model-dir", default="/tmp/kiln-gpu-models")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp/kiln-gpu-out"))
    ap.add_argument("--budget-s", type=float, default=330, help="the whole comparison, export included")
    ap.add_argument("--skip-pytorch", action="store_true")
    ap.add_argument("--skip-kiln", action="store_true")
    ap.add_argument("--dry-run", action="store_true", help="no GPU: export and write the table, measure nothing")
    ap.add_argument("--bn-matched", action="store_true",
                    help="export with BatchNormalization statistics matched to their inputs (for int8_compare.py's accuracy)")
    args = ap.parse_args()

    clock = Clock(args.budget_s)
    names = [n for n in args.models.split(",") if n]
    batches = [int(b) for b in args.batches.split(",") if b]
    os.makedirs(args.out, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "config": args.config,
            "models": names, "batches": batches, "opset": args.opset}
    build_info = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.kiln))), "BUILD_INFO")
    if os.path.exists(build_info):
        for line in open(build_info):
            if line.startswith("KILN_BUILD_COMMIT="):
                meta["kiln_commit"] = line.split("=", 1)[1].strip()

    log(f"== export ({', '.join(names)}; batches {batches}) ==")
    paths, export_errors = export_models(names, batches, args.model_dir, args.opset, args.bn_matched)

    pytorch, pytorch_error = {}, None
    if args.dry_run or args.skip_pytorch:
        pytorch_error = "skipped"
    else:
        log("== PyTorch ==")
        # What kiln needs at most is kept back: each kiln run may take a while to build (autotuning).
        reserve = min(60.0 * len(names) * len(batches), clock.left() * 0.55)
        pytorch, info, pytorch_error = run_pytorch(names, batches, args.out, clock.limit(max(60.0, clock.left() - reserve)))
        meta.update(info)

    kiln = {}
    if args.dry_run or args.skip_kiln:
        pass
    elif not os.access(args.kiln, os.X_OK):
        log(f"kiln: {args.kiln} is missing: no kiln numbers")
        for key in paths:
            kiln[key] = {"error": f"{args.kiln} missing"}
    else:
        log("== kiln ==")
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = args.lib_path + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        jobs = [(n, b) for n in names for b in batches]
        for i, (name, batch) in enumerate(jobs):
            path = paths.get((name, batch))
            if path is None:
                kiln[(name, batch)] = {"error": "no ONNX file (export failed)"}
                continue
            if clock.left() < 5:
                kiln[(name, batch)] = {"error": "out of time before this run"}
                continue
            # An even share of what is left, or 60 s (120 s at large batches) where that is more, keeping 20 s
            # for each run still to come: one that hangs leaves the others their turn.
            share = clock.left() / (len(jobs) - i)
            want = min(max(share, 120.0 if batch > 8 else 60.0), clock.left() - 20.0 * (len(jobs) - i - 1))
            kiln[(name, batch)] = run_kiln(args.kiln, path, args.config, batch, env, clock.limit(want))

    rows = build_rows(names, batches, export_errors, pytorch, pytorch_error, kiln)
    meta["kiln_runs"] = {f"{n}_b{b}": r for (n, b), r in kiln.items()}
    write_report(args.out, rows, meta)
    log("")
    log(f"== kiln against PyTorch ({meta.get('device', 'no GPU')}) ==")
    log(table_markdown(rows))
    log(f"(written to {os.path.join(args.out, 'performance.md')} and results.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
