# Shared by the CLI tests (sourced, not run): a work folder removed on exit, pass/fail counting and the checks.
#
#   source "$src/tests/cli/lib.sh"
#   expect_error NAME PATTERN COMMAND...   the command must exit 1 and print PATTERN (grep -E) on stderr
#   check NAME COMMAND...                  the command must succeed (its output is kept in $work/check.log)
#   finish                                 prints the counts; exits 1 when anything failed
#
# Every helper is safe under `set -e`: a failing command is counted, never fatal.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passes=0
failures=0

pass() {
  passes=$((passes + 1))
  echo "ok    $*"
}

fail() {
  failures=$((failures + 1))
  echo "FAIL  $*"
}

expect_error() {
  local name=$1 pattern=$2 rc=0
  shift 2
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  if [[ $rc -eq 1 ]] && grep -Eq -e "$pattern" "$work/err"; then
    pass "$name: $(head -c 300 "$work/err" | head -n 3)"
  else
    fail "$name: exit $rc, expected 1 and /$pattern/; stderr:"
    cat "$work/err"
  fi
}

check() {
  local name=$1 rc=0
  shift
  "$@" >"$work/check.log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    pass "$name"
  else
    fail "$name: exit $rc from: $*"
    tail -n 20 "$work/check.log"
  fi
}

finish() {
  echo "$passes passed, $failures failed"
  exit $((failures > 0))
}
