#!/usr/bin/env bash
# Recovery time (issue 19): a 2x2 run with --on-failure POLICY (default shrink) and a checkpoint
# every 5 steps; rank 3 SIGKILLed after step 7; from the kill to the first step on the new mesh
# (the step event's time, rank 0's clock on this host), and the front end's own figure (its
# `recovery` event: from finding the loss to that step). tiny (seq 64) and the debugmodel (seq 256),
# ROUNDS rounds each (default 5), the medians. Figures for docs/recovery.md, not a test: run it
# on a quiet machine (`uptime` under 1).
# Usage: bench/recovery.sh [--rounds R] [--policy shrink|restart]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rounds=5 policy=shrink
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --policy) policy=$2; shift 2 ;;
    *) echo "usage: bench/recovery.sh [--rounds R] [--policy shrink|restart]" >&2; exit 2 ;;
  esac
done
meshtop=.build/release/meshtop
[ -x "$meshtop" ] || { echo "build first: swift build -c release" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# field LINE NAME: a number field of a JSON line.
field() { grep -o "\"$2\":[0-9.e+-]*" <<<"$1" | head -1 | cut -d: -f2; }

echo "uptime before: $(uptime)"
for flavor in tiny debugmodel; do
  seq=64; [ "$flavor" = debugmodel ] && seq=256
  : > "$work/$flavor.txt"
  for round in $(seq 1 "$rounds"); do
    run="$work/$flavor-$round"
    rm -rf "$run.ckpt" && mkdir -p "$run.out"
    "$meshtop" run --no-tui --mesh 2x2 --flavor "$flavor" --seq-len "$seq" --steps 30 --checkpoint-dir "$run.ckpt" \
      --checkpoint-every 5 --on-failure "$policy" --dump-folder "$run.out" --metrics-file "$run.jsonl" \
      > "$run.stdout" 2> "$run.stderr" &
    job=$!
    until grep -q '"event":"step".*"step":7[,}]' "$run.jsonl" 2>/dev/null; do sleep 0.02; done
    pid=$(grep -m1 '"event":"hello"' "$run.jsonl" | grep -o '"pid":[0-9]*' | sed -n 4p | cut -d: -f2)
    killed=$(date +%s.%N)
    kill -9 "$pid"
    wait "$job" || { echo "$flavor round $round: meshtop failed, see $run.stderr" >&2; tail -3 "$run.stderr" >&2; exit 1; }
    first=$(awk '/"event":"hello"/ { h++ } h == 2 && /"event":"step"/ { print; exit }' "$run.jsonl")
    resumed=$(grep -m1 '"phase":"resumed"' "$run.jsonl")
    total=$(awk -v a="$killed" -v b="$(field "$first" time)" 'BEGIN { printf "%.2f", b - a }')
    echo "$flavor round $round: kill to first step $total s; front end $(field "$resumed" seconds) s; redone $(field "$resumed" stepsRedone)" \
      | tee -a "$work/$flavor.txt"
  done
  printf '%s: median kill to first step on the new mesh %s s (front end: %s s) over %d rounds, --on-failure %s\n' "$flavor" \
    "$(awk '{ print $8 }' "$work/$flavor.txt" | median)" "$(awk '{ print $12 }' "$work/$flavor.txt" | median)" "$rounds" "$policy"
done
echo "uptime after: $(uptime)"
