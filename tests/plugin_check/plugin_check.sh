#!/usr/bin/env bash
# `kiln plugin check` end to end: a plugin with deliberately wrong kernels fails with the right FAIL lines and
# exit 1 (and its right kernels pass, its custom op is skipped); usage and load errors exit 2 naming the file;
# the fake-device pack's kernels run through its device API, a pack without its device is skipped; one seed
# gives one report.
#   plugin_check.sh KILN SOURCE_DIR TEST_PLUGIN_DIR
set -euo pipefail
kiln=$(realpath "$1")
src=$(realpath "$2")
plugins=$(realpath "$3")
wrong="$plugins/libkiln_test_plugin_check.so"
source "$src/tests/cli/lib.sh"  # $work, pass, fail, finish

# expect_status NAME STATUS COMMAND...: the command exits STATUS; its stdout and stderr go to $work/out.
expect_status() {
  local name=$1 want=$2 rc=0
  shift 2
  "$@" >"$work/out" 2>&1 || rc=$?
  if [[ $rc -eq $want ]]; then pass "$name: exit $rc"; else fail "$name: exit $rc, expected $want"; cat "$work/out"; fi
}
# expect_line NAME PATTERN: $work/out has a line matching PATTERN (grep -E).
expect_line() {
  if grep -Eq -e "$2" "$work/out"; then pass "$1: $(grep -E -m1 -e "$2" "$work/out" | head -c 200)"
  else fail "$1: no line matches /$2/ in:"; cat "$work/out"; fi
}

expect_status "wrong kernels fail" 1 "$kiln" plugin check "$wrong" --cases 12
expect_line "Relu off for negative inputs" '^FAIL test\.wrong\.Relu  case [0-9]+ \(opset [0-9]+\): X float32\[.*\]: worst abs err .* at output 0 index \['
expect_line "unwritten output is poison" '^FAIL test\.wrong\.AbsHalf  case [0-9]+ .*: worst abs err nan at output 0 index .*got nan, expected'
expect_line "strided output ignored" '^FAIL test\.wrong\.StridedSigmoid  case .*\(strided output\)'
expect_line "serialize drops state" '^FAIL test\.wrong\.LeakyRelu  case .*attrs \{alpha: .*\(after serialize/deserialize\)'
expect_line "serialize sizes disagree" '^FAIL test\.wrong\.Elu  case .*serialize wrote 8 bytes, but its size query said 4'
expect_line "fused kernel against the steps in sequence" '^FAIL test\.wrong\.MatMulAdd  case [0-9]+ \(opset [0-9]+\): MatMul \(A float32\[.*\) -> Add \(B float32\[.*: worst abs err'
expect_line "faithful serialization passes" '^PASS test\.good\.LeakyRelu  12 cases \(0 declined\)  worst abs'
expect_line "declines are counted, not failed" '^PASS test\.good\.Tanh  [0-9]+ cases \([1-9][0-9]* declined\)'
expect_line "custom domain skipped" '^SKIP test\.good\.Swish  \(reason: no reference kernel for domain com\.example\)'
expect_line "INT8 kernel forgetting the zero point" '^FAIL test\.wrong\.ConvInt8  case [0-9]+ \(opset [0-9]+\): X u?int8\[.*\] \(scale [0-9.e-]+ zero point -?[1-9][0-9]*\) W float32.* -> Y (u?int8|float32).*: worst abs err'
expect_line "pass-through kernel on a shared grid is byte-exact" '^FAIL test\.wrong\.Flatten  case [0-9]+ \(opset [0-9]+\): input u?int8\[.*\] \(scale [0-9.e-]+ zero point -?[1-9][0-9]*\).* -> Y u?int8 \(scale .*: worst abs err .*tolerance exact\)'
expect_line "INT8 kernel without an INT8 reference: the float op between grids" '^FAIL test\.wrong\.AveragePoolInt8  case [0-9]+ \(opset [0-9]+\): X u?int8\[.*\(scale .*-> Y u?int8 \(scale .*tolerance within 1 integer step'
expect_line "INT8 GlobalAveragePool passes against the float one" '^PASS test\.good\.GlobalAveragePoolInt8  12 cases \(0 declined\)'
expect_line "summary counts skips apart" '^summary: 13 kernels: 3 passed, 9 failed, 1 skipped$'

# An INT8 Conv -> Add taking only cuDNN's int8 form (symmetric X and pads, X and Y stored NHWC): the check draws
# cases it runs, stored NHWC, and catches a residual read on the wrong scale.
nhwc="$plugins/libkiln_test_nhwc_int8_conv.so"
expect_status "NHWC INT8 conv" 1 "$kiln" plugin check "$nhwc" --cases 48
expect_line "cuDNN's INT8 form is drawn and runs" '^PASS test\.good\.ConvAddInt8  [1-9][0-9]* cases \([0-9]+ declined\)  worst abs'
expect_line "a residual on the wrong scale fails, stored NHWC" '^FAIL test\.wrong\.ConvAddInt8  case [0-9]+ .*-> Add \(B u?int8\[.*\(stored NHWC\)$'

expect_status "--kernel selects" 0 "$kiln" plugin check "$wrong" --kernel 'test.good.*' --cases 4
expect_line "--kernel: only the good ones" '^summary: 4 kernels: 3 passed, 0 failed, 1 skipped$'
expect_status "--kernel matching nothing" 2 "$kiln" plugin check "$wrong" --kernel 'nothing.*'

"$kiln" plugin check "$wrong" --seed 7 --cases 5 >"$work/a" 2>&1 || true
"$kiln" plugin check "$wrong" --seed 7 --cases 5 >"$work/b" 2>&1 || true
if cmp -s "$work/a" "$work/b"; then pass "one seed, one report"; else fail "one seed gave two reports"; diff "$work/a" "$work/b"; fi

expect_status "missing file" 2 "$kiln" plugin check "$work/no_such_plugin.so"
expect_line "missing file named" "no such file: $work/no_such_plugin.so"
echo "not a library" >"$work/text.so"
expect_status "not a library" 2 "$kiln" plugin check "$work/text.so"
expect_line "not a library named" "$work/text.so: cannot load plugin library"
expect_status "not a plugin" 2 "$kiln" plugin check "$plugins/libkiln_test_not_a_plugin.so"
expect_line "not a plugin named" "libkiln_test_not_a_plugin.so: not a kiln plugin"
expect_status "--against unknown" 2 "$kiln" plugin check "$wrong" --against kiln_no_such_pack
expect_line "--against unknown named" "no library libkiln_no_such_pack.so in the plugin search path"
expect_status "no library given" 2 "$kiln" plugin check
expect_status "unknown option" 2 "$kiln" plugin check "$wrong" --frobnicate
expect_status "bad --cases" 2 "$kiln" plugin check "$wrong" --cases many
expect_status "unknown subcommand" 2 "$kiln" plugin frobnicate

# The fake device (tests/plugins/fake_device_plugin.cpp) reports one GPU: its kernels run through its device API.
expect_status "device kernels" 0 "$kiln" plugin check "$plugins/libkiln_test_fake_device.so" --cases 8
expect_line "device Relu runs and passes" '^PASS kiln\.fake\.Relu  8 cases'
expect_line "device Add runs and passes" '^PASS kiln\.fake\.Add  [0-9]+ cases'

# A device pack without its device: its kernels are skipped, saying so, and nothing fails.
expect_status "no GPU" 0 "$kiln" plugin check "$plugins/libkiln_test_no_gpu.so"
expect_line "no GPU is a SKIP with its reason" '^SKIP kiln\.test\.no_gpu\.Relu  \(reason: no GPU \(the pack.s device_count\(\) is 0\)\)$'
expect_line "a SKIP is no PASS" '^summary: 1 kernels: 0 passed, 0 failed, 1 skipped$'

finish
