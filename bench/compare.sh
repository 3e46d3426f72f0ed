#!/usr/bin/env bash
# Runs the PyTorch CPU scripts (shared/bench/torch) and descent's speed suite (benches/suite.rs)
# on the same machine in the same sitting, interleaved workload by workload, and prints the
# ratio descent / PyTorch per row as throughput (> 1 = descent is faster).
#
#   bench/compare.sh                  # all rows, flex, 1 round
#   ROUNDS=3 BACKENDS=flex,ndarray bench/compare.sh
#
# Environment:
#   TORCH_BENCH_DIR  PyTorch scripts (default: ../shared/bench/torch next to the repo)
#   TORCH_VENV       virtualenv with CPU PyTorch (default: ~/.cache/torch-venv); its setup is in
#                    $TORCH_BENCH_DIR/README.md ("Setup")
#   ROUNDS           how many times the interleaved sequence runs (default 1)
#   BACKENDS         descent backends, comma separated (default flex)
#   ROWS             descent suite rows to run (default 1,2,3,4,5,6,7,8,9; rows 6 and 9 have no
#                    PyTorch side; rows 7 and 8, the ResNets, run bench/torch/bench_resnet.py;
#                    row 4, the landscape scan, runs both the hand-written PyTorch scan and the
#                    loss-landscapes package)
#   SUITE            a suite binary built earlier (e.g. from another commit) instead of
#                    building one: before/after comparisons in one sitting
#   STEPS, WARMUP    timed / warm-up steps for both sides (default: each script's own)
#   GRID             landscape points per axis for both sides (default 3, i.e. 9 points)
#   MAX_SECONDS      descent's time limit per workload (default 60)
#   MALLOC_TUNED=1   both sides with the glibc settings of the PyTorch README ("malloc tuned")
#   OUT              folder for the raw JSON lines (default ~/.cache/descent-bench/<time>)
#   NO_AUTOGROUP=1   do not move into an own session with autogroup nice -20
#
# On this shared 2-core machine the script moves itself into its own session whose autogroup
# runs at nice -20 (as the PyTorch README does; only our own processes are affected), and both
# sides report foreign_cpu_frac, the CPU other processes used while they ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/bench/compare.sh"

if [[ -z "${NO_AUTOGROUP:-}" && -z "${DESCENT_COMPARE_GROUPED:-}" ]] && command -v setsid >/dev/null; then
    export DESCENT_COMPARE_GROUPED=1
    exec setsid -w bash -c 'echo -20 > /proc/self/autogroup 2>/dev/null || echo "note: could not set autogroup nice" >&2; exec bash "$0" "$@"' "$SELF" "$@"
fi

export TORCH_BENCH_DIR="${TORCH_BENCH_DIR:-$ROOT/../shared/bench/torch}"
TORCH_VENV="${TORCH_VENV:-$HOME/.cache/torch-venv}"
PY="$TORCH_VENV/bin/python"
ROUNDS="${ROUNDS:-1}"
BACKENDS="${BACKENDS:-flex}"
ROWS="${ROWS:-1,2,3,4,5,6,7,8,9}"
GRID="${GRID:-3}"
MAX_SECONDS="${MAX_SECONDS:-60}"
OUT="${OUT:-$HOME/.cache/descent-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if [[ ! -x "$PY" ]]; then
    cat >&2 <<EOF
error: no PyTorch virtualenv at $TORCH_VENV (missing $PY).
Set it up as described in $TORCH_BENCH_DIR/README.md, section "Setup"
(a CPU-only use of the PyPI torch wheel: python3 -m venv ~/.cache/torch-venv, then the pip
commands listed there), or point TORCH_VENV at an existing one.
EOF
    exit 1
fi
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "error: $PY cannot import torch; see $TORCH_BENCH_DIR/README.md, section \"Setup\"" >&2
    exit 1
fi
if [[ ! -f "$TORCH_BENCH_DIR/bench_vgg.py" ]]; then
    echo "error: PyTorch scripts not found in $TORCH_BENCH_DIR (set TORCH_BENCH_DIR)" >&2
    exit 1
fi

if [[ "${MALLOC_TUNED:-}" == 1 ]]; then
    export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=268435456
fi

mkdir -p "$OUT"
TORCH_OUT="$OUT/torch.jsonl"
OURS_OUT="$OUT/descent.jsonl"

if [[ -n "${SUITE:-}" ]]; then
    if [[ ! -x "$SUITE" ]]; then
        echo "error: SUITE=$SUITE is not an executable suite binary" >&2
        exit 1
    fi
    echo "using the suite binary $SUITE" >&2
else
    echo "building the suite (profile dev, target $CARGO_TARGET_DIR) ..." >&2
    BUILD_LOG="$OUT/build.log"
    if ! (cd "$ROOT" && cargo bench --bench suite --profile dev --no-run ${CARGO_FEATURES:+$CARGO_FEATURES}) >"$BUILD_LOG" 2>&1; then
        cat "$BUILD_LOG" >&2
        echo "error: building the suite failed" >&2
        exit 1
    fi
    SUITE="$(sed -n 's/.*Executable benches\/suite.rs (\(.*\)).*/\1/p' "$BUILD_LOG" | tail -1)"
    if [[ -z "$SUITE" || ! -x "$SUITE" ]]; then
        echo "error: could not find the suite binary in $BUILD_LOG" >&2
        exit 1
    fi
fi

steps_args=()
[[ -n "${STEPS:-}" ]] && steps_args+=(--steps "$STEPS")
[[ -n "${WARMUP:-}" ]] && steps_args+=(--warmup "$WARMUP")

# torch ROUND SCRIPT ARGS..: one PyTorch run, its JSON lines tagged with the round.
torch() {
    local round="$1"
    shift
    echo "  torch: $*" >&2
    (cd "$TORCH_BENCH_DIR" && "$PY" "$@" --run "$round") | tee -a "$TORCH_OUT" >/dev/null
}

# ours ROUND ROW: one row of the suite on every backend.
ours() {
    local round="$1" row="$2"
    local extra=("${steps_args[@]}")
    # Row 5 is defined by its 1000 steps (and 100 warm-up), as on the PyTorch side.
    [[ "$row" == 5 ]] && extra=()
    echo "  descent: row $row on $BACKENDS" >&2
    "$SUITE" --json --rows "$row" --backends "$BACKENDS" --grid "$GRID" \
        --max-seconds "$MAX_SECONDS" "${extra[@]}" |
        "$PY" -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); r["round"] = int(sys.argv[1]); print(json.dumps(r), flush=True)' "$round" \
        >>"$OURS_OUT"
}

has_row() { [[ ",$ROWS," == *",$1,"* ]]; }

torch_steps=()
[[ -n "${STEPS:-}" ]] && torch_steps+=(--steps "$STEPS")
[[ -n "${WARMUP:-}" ]] && torch_steps+=(--warmup "$WARMUP")

for round in $(seq 1 "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    if has_row 1; then
        torch "$round" bench_mlp.py --preset cifar "${torch_steps[@]}"
        ours "$round" 1
    fi
    if has_row 2; then
        torch "$round" bench_vgg.py --width full --mode train "${torch_steps[@]}"
        ours "$round" 2
    fi
    if has_row 3; then
        torch "$round" bench_vgg.py --width narrow --mode train "${torch_steps[@]}"
        torch "$round" bench_vgg.py --width narrow --mode infer "${torch_steps[@]}"
        torch "$round" bench_vgg.py --width narrow --mode infer --batch 512 "${torch_steps[@]}"
        ours "$round" 3
    fi
    if has_row 4; then
        torch "$round" bench_landscape.py --grid "$GRID"
        torch "$round" bench_loss_landscapes_pkg.py --grid "$GRID"
        ours "$round" 4
    fi
    if has_row 5; then
        torch "$round" bench_mlp.py --preset tiny
        ours "$round" 5
    fi
    if has_row 6; then
        ours "$round" 6
    fi
    if has_row 7; then
        torch "$round" "$ROOT/bench/torch/bench_resnet.py" --depth 20 "${torch_steps[@]}"
        ours "$round" 7
    fi
    if has_row 8; then
        torch "$round" "$ROOT/bench/torch/bench_resnet.py" --depth 56 "${torch_steps[@]}"
        ours "$round" 8
    fi
    if has_row 9; then
        ours "$round" 9
    fi
done

echo "raw results: $OUT" >&2
echo "descent suite table (same runs):"
"$SUITE" --render "$OURS_OUT" --grid "$GRID" --max-seconds "$MAX_SECONDS"
echo
echo "descent / PyTorch:"
"$PY" "$ROOT/bench/ratios.py" "$TORCH_OUT" "$OURS_OUT"
uptime
