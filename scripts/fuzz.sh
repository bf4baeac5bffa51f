#!/usr/bin/env bash
# Fuzzes kiln's parsers (ONNX import, YAML config, .npy, plan files) with libFuzzer for a bounded time each.
#   scripts/fuzz.sh [seconds per target, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DKILN_CUDA=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DKILN_FUZZ=ON -DKILN_BUILD_TESTS=OFF -DKILN_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_onnx_import fuzz_config fuzz_npy fuzz_plan
for target in onnx_import config npy plan; do
  echo "== fuzz_$target for ${seconds}s =="
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/$target/* "$corpus/"
  # A crash leaves its input in build-fuzz/crash-*, to replay with build-fuzz/bin/fuzz_$target FILE.
  ASAN_OPTIONS=detect_leaks=0 build-fuzz/bin/fuzz_$target "$corpus" -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/ > build-fuzz/fuzz_$target.log 2>&1 ||
    { tail -n 40 build-fuzz/fuzz_$target.log; exit 1; }
  grep -E "^Done|stat::(average_exec|new_units)" build-fuzz/fuzz_$target.log
  rm -rf "$corpus"
done
