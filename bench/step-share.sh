#!/usr/bin/env bash
# The share of the sgemm rate a training step reaches, what the planner's time model multiplies the
# probe's rate by (TimeModel.defaultShareOfSgemm, docs/planner.md). Each round: meshtop-probe on one
# rank (the trainer's sgemm call sustained over --sgemm-seconds 2), one meshtop-rank (debugmodel,
# seq_len 256, local batch 8, one thread, no communication), the probe again. The share is the
# step's model FLOP/s (flops per token x tokens over the step, mean of the steps after 2) over the
# mean of the two probes. Then the median over the rounds. Figures for the notes (a quiet machine).
# Usage: bench/step-share.sh [rounds] [steps]   (default 5 rounds of 8 steps)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rounds="${1:-5}"; steps="${2:-8}"
bin=.build/release
for exe in meshtop-rank meshtop-probe; do [ -x "$bin/$exe" ] || { echo "build first: swift build -c release" >&2; exit 2; }; done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sgemm() {  # one rank's sustained sgemm FLOP/s (a world of one: no mpirun needed)
  OPENBLAS_NUM_THREADS=1 "$bin/meshtop-probe" --sgemm-seconds 2 | sed -n 's/^meshtop-probe-result //p' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["compute"]["rank_flops_all_busy"][0])'
}
echo "uptime before: $(uptime)"
printf "%-6s %14s %14s %14s %9s\n" round "sgemm GF/s" "step GF/s" "step s" share
for round in $(seq 1 "$rounds"); do
  before=$(sgemm)
  OPENBLAS_NUM_THREADS=1 "$bin/meshtop-rank" --steps "$steps" --peak-tflops 0.1 --dump-folder "$work/out" \
    --metrics-file "$work/m.jsonl" >/dev/null
  after=$(sgemm)
  python3 - "$work/m.jsonl" "$before" "$after" "$round" <<'PY' | tee -a "$work/rows"
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"event":"step"' in l or '"step"' in l]
steps = [s for s in steps if s.get("step", 0) > 2]
flops = sum(s["local"]["throughput"]["tflops"] * 1e12 for s in steps) / len(steps)
seconds = sum(s["local"]["seconds"]["total"] for s in steps) / len(steps)
sgemm = (float(sys.argv[2]) + float(sys.argv[3])) / 2
print(f"{sys.argv[4]:<6} {sgemm / 1e9:14.1f} {flops / 1e9:14.1f} {seconds:14.3f} {100 * flops / sgemm:8.1f}%")
PY
  rm -f "$work/m.jsonl"
done
printf "%-6s %14s %14s %14s %8s%%\n" median "$(awk '{print $2}' "$work/rows" | median)" "$(awk '{print $3}' "$work/rows" | median)" \
  "$(awk '{print $4}' "$work/rows" | median)" "$(awk '{sub("%", "", $5); print $5}' "$work/rows" | median)"
echo "uptime after: $(uptime)"
