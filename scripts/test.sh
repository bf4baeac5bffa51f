#!/usr/bin/env bash
# The second command: install what is missing, build, and pass the whole test suite:
# unit tests, the ONNX conformance ratchet, whole-model comparisons with onnxruntime, the out-of-tree SDK
# plugin, then the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== sanitizers (ASan + UBSan): unit tests, then every conformance test's kernels =="
# The CUDA pack cannot run here and nvcc takes no sanitizer flags: this tree is the CPU code (its device path
# is exercised through the fake-device test plugin).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON -DKILN_BUILD_BENCHMARKS=OFF -DKILN_CUDA=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target kiln_unit_tests kiln_cpu_reference kiln_test_plugins kiln-conformance
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build-asan/bin/kiln_unit_tests --gtest_brief=1
# A sanitizer report ends the test's child process with an error: the ratchet then fails on that test.
build-asan/bin/kiln-conformance --jobs "$jobs" --timeout 300 --expected tests/conformance/expected_pass.txt \
  ../shared/onnx-tests > build-asan/conformance.log || { grep -E "^(REGRESSION|WRONG|ERROR|CRASH)" build-asan/conformance.log; exit 1; }
tail -n 1 build-asan/conformance.log
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== fuzzing the parsers (ONNX import, YAML config, .npy, plan files), 30 s each =="
scripts/fuzz.sh 30
