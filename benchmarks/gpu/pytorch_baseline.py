#!/usr/bin/env python3
"""The PyTorch side of kiln's GPU benchmark: torchvision models in FP16, channels-last, on one CUDA GPU.

For each model and batch: eager mode, then the same forward captured once as a CUDA graph and replayed. Each
timed iteration is synchronized on both sides and timed with CUDA events around the forward (or the replay),
the input already on the GPU; the number is the median over the timed iterations, after warm-up (cuDNN's
autotuner, torch.backends.cudnn.benchmark, runs during the warm-up). Random weights (weights=None): the speed
does not depend on them.

  python3 benchmarks/gpu/pytorch_baseline.py --model resnet50 --batch 1
  python3 benchmarks/gpu/pytorch_baseline.py --model resnet50,googlenet --batch 1,256 --jsonl results.jsonl
  python3 benchmarks/gpu/pytorch_baseline.py --dry-run     # on the CPU: builds the models, one FP32 forward

Prints one JSON object: {"device", "torch", "cudnn", "results": [{model, batch, eager_ms, graph_ms, best_ms,
best_mode, throughput_img_s, ...}]}. --jsonl also appends each result as soon as it is measured, so a run cut
short by a time limit keeps what it finished.
"""
import argparse
import json
import sys
import time

import torch
import torchvision


def build_model(name, bn_matched=False):
    """A torchvision model with random weights, in eval mode; with `bn_matched`, its BatchNormalization statistics
    matched to their inputs (below)."""
    if name == "resnet50":
        model = torchvision.models.resnet50(weights=None)
    elif name == "googlenet":
        model = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True)
    else:
        ctor = getattr(torchvision.models, name, None)
        if ctor is None:
            raise SystemExit(f"unknown model {name!r} (torchvision.models has no such constructor)")
        model = ctor(weights=None)
    return match_batch_norm_statistics(model) if bn_matched else model.eval()


def match_batch_norm_statistics(model, images=32, batch=8, seed=0):
    """Sets each BatchNorm2d's running mean and variance to the statistics of its own input over `images` random
    images, as training leaves them, and returns the model in eval mode. Every block's output is then normalised
    as in a trained network; with torchvision's initialisation alone ResNet-50's activations grow block by block
    and GoogLeNet's vanish until its logits are the classifier's bias, so an INT8 error measured on them says more
    about the weights than about the quantization. The speed does not depend on it."""
    generator = torch.Generator().manual_seed(seed)
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.reset_running_stats()
        bn.momentum = None  # a cumulative average over the batches below
    model.train()
    with torch.no_grad():
        for _ in range(images // batch):
            model(torch.randn(batch, 3, 224, 224, generator=generator))
    return model.eval()


def default_iterations(batch):
    """(warm-up, timed) iterations: >= 100 timed at batch 1, >= 20 at large batches."""
    return (20, 200) if batch <= 8 else (5, 30)


def median(times):
    """The same statistic `kiln run` prints: the element at n/2 of the sorted times."""
    return sorted(times)[len(times) // 2]


def time_iterations(fn, warmup, iterations):
    """Per-iteration milliseconds of fn(), synchronized around each one and timed with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(iterations):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return times


def summarize(times):
    s = sorted(times)
    return {"median_ms": median(times), "min_ms": s[0], "max_ms": s[-1], "iterations": len(times)}


def measure(name, batch, warmup, iterations, use_graph=True):
    """One model at one batch size: eager and CUDA-graph timings (FP16, channels-last)."""
    result = {"model": name, "batch": batch, "dtype": "float16", "memory_format": "channels_last",
              "warmup": warmup}
    torch.manual_seed(0)
    model = build_model(name).cuda().half().to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, 224, 224, device="cuda").half().contiguous(memory_format=torch.channels_last)

    with torch.inference_mode():
        eager = time_iterations(lambda: model(x), warmup, iterations)
        result["eager"] = summarize(eager)
        result["eager_ms"] = result["eager"]["median_ms"]

        if use_graph:
            try:
                # Warm up on a side stream (the documented recipe), capture once, then replay.
                stream = torch.cuda.Stream()
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    for _ in range(3):
                        model(x)
                torch.cuda.current_stream().wait_stream(stream)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    static_out = model(x)
                replay = time_iterations(graph.replay, warmup, iterations)
                result["graph"] = summarize(replay)
                result["graph_ms"] = result["graph"]["median_ms"]
                # The replay computes what eager computes (same input, same weights).
                eager_out = model(x)
                torch.cuda.synchronize()
                result["graph_matches_eager"] = bool(torch.allclose(static_out.float(), eager_out.float(),
                                                                    rtol=1e-2, atol=1e-2))
                del graph, static_out
            except Exception as e:  # a model that cannot be captured still has its eager number
                result["graph_error"] = f"{type(e).__name__}: {e}"

    modes = {m: result[f"{m}_ms"] for m in ("eager", "graph") if f"{m}_ms" in result}
    best = min(modes, key=modes.get)
    result["best_mode"] = best
    result["best_ms"] = modes[best]
    result["throughput_img_s"] = batch * 1000.0 / modes[best]
    del model, x
    torch.cuda.empty_cache()
    return result


def dry_run(names, batches):
    """No GPU: build each model, run one FP32 forward at batch 1 on the CPU, report the shapes."""
    out = []
    for name in names:
        model = build_model(name)
        with torch.inference_mode():
            y = model(torch.randn(1, 3, 224, 224))
        for batch in batches:
            out.append({"model": name, "batch": batch, "dry_run": True, "output_shape": [batch] + list(y.shape[1:]),
                        "eager_ms": None, "graph_ms": None, "best_ms": None})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50", help="comma-separated torchvision model names")
    ap.add_argument("--batch", default="1", help="comma-separated batch sizes")
    ap.add_argument("--warmup", type=int, help="warm-up iterations (default 20 at batch <= 8, else 5)")
    ap.add_argument("--iterations", type=int, help="timed iterations (default 200 at batch <= 8, else 30)")
    ap.add_argument("--no-graph", action="store_true", help="eager only")
    ap.add_argument("--jsonl", help="append each result to this file as soon as it is measured")
    ap.add_argument("--dry-run", action="store_true", help="no GPU: build the models and run one CPU forward")
    args = ap.parse_args()
    names = [n for n in args.model.split(",") if n]
    batches = [int(b) for b in args.batch.split(",") if b]

    report = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    if args.dry_run:
        report.update(device="cpu (dry run)", results=dry_run(names, batches))
        print(json.dumps(report, indent=1))
        return 0
    if not torch.cuda.is_available():
        print("pytorch_baseline: no CUDA device (use --dry-run to check the script on the CPU)", file=sys.stderr)
        return 1

    torch.backends.cudnn.benchmark = True
    report.update(device=torch.cuda.get_device_name(0), cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                  results=[])
    for name in names:
        for batch in batches:
            warmup, iterations = default_iterations(batch)
            warmup = args.warmup if args.warmup is not None else warmup
            iterations = args.iterations if args.iterations is not None else iterations
            t0 = time.time()
            try:
                r = measure(name, batch, warmup, iterations, use_graph=not args.no_graph)
            except Exception as e:
                r = {"model": name, "batch": batch, "error": f"{type(e).__name__}: {e}"}
                torch.cuda.empty_cache()
            r["seconds"] = round(time.time() - t0, 1)
            r["device"] = report["device"]
            report["results"].append(r)
            print(f"pytorch {name} batch {batch}: eager {r.get('eager_ms', float('nan')):.3f} ms, "
                  f"graph {r.get('graph_ms', float('nan')):.3f} ms ({r['seconds']} s)"
                  + (f" ERROR {r['error']}" if "error" in r else "")
                  + (f" graph failed: {r['graph_error']}" if "graph_error" in r else ""), file=sys.stderr, flush=True)
            if args.jsonl:
                with open(args.jsonl, "a") as f:
                    f.write(json.dumps(r) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
