#!/usr/bin/env bash
# The fast CPU pack against the reference pack, side by side in one run: layer shapes of real networks
# (kiln_bench_cpu_fast: one-node graphs, Google Benchmark, medians of repetitions), then whole models through
# `kiln run --iterations` with configs/cpu.yaml and configs/cpu-fast.yaml, the two alternating round by round so
# that both see the same machine load. Prints medians and the ratio reference / fast.
#
#   benchmarks/cpu_fast_compare.sh [BUILD_DIR] [ROUNDS]      (defaults: build, 3)
#
# Models: the bundled tiny_cnn, then those exported into ~/.cache/kiln/models (scripts/models/export_models.py)
# among squeezenet1_1, mobilenet_v2, googlenet, resnet50.
# The layer table also times the fast pack's portable path (KILN_CPU_FAST_ISA=generic) against the same reference.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$src/build}")
rounds=${2:-3}
kiln=$build/bin/kiln
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fast pack path: ${KILN_CPU_FAST_ISA:-auto (avx2 where the CPU has AVX2 and FMA)}, except the portable column"
echo
echo "== layers (kiln_bench_cpu_fast, median of $((rounds + 2)) repetitions, ms, wall clock; portable: KILN_CPU_FAST_ISA=generic) =="
"$build/bin/kiln_bench_cpu_fast" --benchmark_repetitions=$((rounds + 2)) --benchmark_min_time=0.2 \
  --benchmark_format=json >"$work/layers.json" 2>/dev/null
KILN_CPU_FAST_ISA=generic "$build/bin/kiln_bench_cpu_fast" --benchmark_filter=/fast --benchmark_repetitions=$((rounds + 2)) \
  --benchmark_min_time=0.2 --benchmark_format=json >"$work/generic.json" 2>/dev/null
python3 - "$work/layers.json" "$work/generic.json" <<'PY'
import json, sys
medians = {}
for path, suffix in ((sys.argv[1], ""), (sys.argv[2], " portable")):
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            layer, pack = b["run_name"].split("/")[:2]
            medians.setdefault(layer, {})[pack + suffix] = b["real_time"]
print(f'{"layer":34} {"reference":>10} {"fast":>10} {"ratio":>7} {"portable":>10} {"ratio":>7}')
for layer, t in medians.items():
    r, f, g = t["reference"], t["fast"], t["fast portable"]
    print(f"{layer:34} {r:10.3f} {f:10.3f} {r / f:6.1f}x {g:10.3f} {r / g:6.1f}x")
PY

echo
echo "== models (kiln run --iterations, median of each round's median, ms) =="
models=("$src/examples/models/tiny_cnn.onnx")
for m in squeezenet1_1 mobilenet_v2 googlenet resnet50; do
  [[ -f $HOME/.cache/kiln/models/$m.onnx ]] && models+=("$HOME/.cache/kiln/models/$m.onnx")
done
printf '%-34s %10s %10s %7s\n' model reference fast ratio
for model in "${models[@]}"; do
  name=$(basename "$model" .onnx)
  iterations=20
  [[ $name == tiny_cnn ]] && iterations=100
  for config in cpu cpu-fast; do : >"$work/$name.$config"; done
  for ((r = 0; r < rounds; r++)); do
    for config in cpu cpu-fast; do
      "$kiln" run "$model" --config "$src/configs/$config.yaml" --iterations $iterations 2>&1 |
        sed -n 's/^latency median \([0-9.]*\) ms.*/\1/p' >>"$work/$name.$config"
    done
  done
  python3 - "$name" "$work/$name.cpu" "$work/$name.cpu-fast" <<'PY'
import statistics, sys
name, ref, fast = sys.argv[1], *[[float(x) for x in open(f)] for f in sys.argv[2:]]
r, f = statistics.median(ref), statistics.median(fast)
print(f"{name:34} {r:10.2f} {f:10.2f} {r / f:6.1f}x")
PY
done
