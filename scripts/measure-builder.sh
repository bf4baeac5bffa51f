#!/usr/bin/env bash
# The builder's measures on the whole-model set, as one markdown table (docs/builder.md shows its output):
# for each model, kiln_bench_builder builds the optimized plan engine and the unoptimized one (every pass off,
# same kernels) in one process, checks that they agree, times them interleaved and prints the BuildReport.
#
#   scripts/measure-builder.sh [MODEL ...]       (default: resnet50 googlenet mobilenet_v2 densenet121 bert_encoder)
#
# Environment: BUILD_DIR (default <repo>/build-bench; built here when the binary is missing), CONFIG (default
# configs/cpu.yaml), RUNS (timed runs per engine, default 7), WARMUP (default 2), BUILDS (builds whose median
# is the build time, default 3), KILN_MODEL_CACHE (default ~/.cache/kiln/models; a missing model is exported
# with scripts/models/export_models.py, which needs Debian's python3-torchvision), LOG (default: a temp dir;
# each model's full output is kept there as NAME.txt).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
config=${CONFIG:-$src/configs/cpu.yaml}
runs=${RUNS:-7}
warmup=${WARMUP:-2}
builds=${BUILDS:-3}
cache=${KILN_MODEL_CACHE:-$HOME/.cache/kiln/models}
log=${LOG:-$(mktemp -d)}
models=("$@")
(( ${#models[@]} )) || models=(resnet50 googlenet mobilenet_v2 densenet121 bert_encoder)
bench=$build/bin/kiln_bench_builder

if [[ ! -x "$bench" ]]; then
  echo "building kiln_bench_builder in $build" >&2
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target kiln_bench_builder kiln_cpu_reference >/dev/null
fi
export KILN_PLUGIN_PATH=$(dirname "$(find "$build" -name libkiln_cpu_reference.so -print -quit)")${KILN_PLUGIN_PATH:+:$KILN_PLUGIN_PATH}

mkdir -p "$cache" "$log"
status=0
rows=()
for name in "${models[@]}"; do
  model=$cache/$name.onnx
  if [[ ! -f "$model" ]]; then
    echo "exporting $name into $cache" >&2
    /usr/bin/python3 "$src/scripts/models/export_models.py" --cache "$cache" "$name" >"$log/$name.export.txt" 2>&1 ||
      { echo "could not export $name (see $log/$name.export.txt)" >&2; status=1; continue; }
  fi
  echo "== $name" >&2
  rc=0
  "$bench" --model="$model" --config="$config" --name="$name" --runs="$runs" --warmup="$warmup" \
    --builds="$builds" >"$log/$name.txt" 2>&1 || rc=$?
  sed '$d' "$log/$name.txt" >&2
  if (( rc == 0 || rc == 1 )); then rows+=("$(tail -n 1 "$log/$name.txt")"); fi
  (( rc == 0 )) || { echo "$name: kiln_bench_builder exited $rc" >&2; status=1; }
done

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
echo "config $(realpath --relative-to="$src" "$config"), $runs interleaved timed runs per engine after $warmup warm-up, build time median of $builds"
echo
"$bench" --header
printf '%s\n' "${rows[@]}"
exit $status
