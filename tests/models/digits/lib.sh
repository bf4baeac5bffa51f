# What the digits tests share (sourced): the kiln argument, the training Python, the work folder, failure
# bookkeeping and the training step. Each function exits the test on what it cannot go on without: 2 for a
# wrong call, 1 for a missing kiln or a failed training, 77 (ctest's "skipped") for a missing Python module.

train_py=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failures=()

# Sets $kiln from the test's arguments.
require_kiln() {
  if (( $# != 1 )); then
    echo "usage: $0 BUILD/bin/kiln" >&2
    exit 2
  fi
  if [[ ! -x "$1" ]]; then
    echo "FAIL: kiln CLI not found at '$1' (build it first)"
    exit 1
  fi
  kiln=$(realpath "$1")
}

require_training_python() {
  if ! "$train_py" -c "import torch, sklearn, onnx, numpy" 2>/dev/null; then
    echo "SKIP: $train_py cannot import torch, sklearn, onnx and numpy (python3-torch, python3-sklearn," \
      "python3-onnx: scripts/install-deps.sh --test)"
    exit 77
  fi
}

# Sets $work to a new folder, removed at exit unless KILN_TEST_KEEP=1.
make_work_dir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  if [[ ${KILN_TEST_KEEP:-0} == 1 ]]; then
    trap 'echo "work folder kept: $work"' EXIT
  else
    trap 'rm -rf "$work"' EXIT
  fi
}

fail() {
  failures+=("$1")
  echo "FAIL  $1"
}

# The trained digits CNN, its data and PyTorch's accuracy, into $work (train_digits.py).
train_digits() {
  echo "== training (work folder $work)"
  if ! "$train_py" "$here/train_digits.py" "$work" >"$work/train.log" 2>&1; then
    cat "$work/train.log"
    echo "FAIL: train_digits.py failed"
    exit 1
  fi
  grep -E "^(trained|pytorch)" "$work/train.log"
}
