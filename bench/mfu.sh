#!/usr/bin/env bash
# MFU of one rank beside the machine's sgemm rate of the same minutes. On a shared VM the cores' speed
# drifts by 10% or more within minutes, while MFU is measured against one cached best sgemm call: a
# run's MFU moves with the machine. Each round runs, for 1 and 2 threads: `bench-model sgemm` on that
# many cores (the peak's shape, single-threaded loops), meshtop-rank (debugmodel, seq_len 256, local
# batch 8), and sgemm again. Per run: tokens/s and MFU as meshtop-rank prints them (mean of steps 3..),
# the sgemm median per core around it, and the run's FLOP/s as a share of those sgemm loops' median
# ("of sgemm"): the part of the drift-free gap that is the trainer's own. Then the medians over the rounds.
# Usage: bench/mfu.sh [rounds] [steps]   (default 3 rounds of 12 steps)
# Env: SEQ_LEN (256), LOCAL_BATCH (8): the run's shape.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rounds="${1:-3}"; steps="${2:-12}"
seq_len="${SEQ_LEN:-256}"; batch="${LOCAL_BATCH:-8}"
swift build -c release --product meshtop-rank --product bench-model >/dev/null
bin="$(swift build -c release --show-bin-path)"
rows=$(mktemp)
echo "seq_len $seq_len, local batch $batch; uptime: $(uptime)"
printf "%-6s %-8s %10s %8s %18s %10s %12s\n" round threads "tokens/s" "MFU %" "sgemm GF/s/core" "of sgemm" "peak RSS MiB"
median_of() {  # sgemm median per core, averaged over the threads' lines
  awk '{ for (i = 1; i <= NF; i++) if ($i == "median") { s += $(i+1); n++ } } END { printf "%.2f", s / n }' "$1"
}
for round in $(seq 1 "$rounds"); do
  for threads in 1 2; do
    before=$(mktemp); after=$(mktemp); log=$(mktemp)
    "$bin/bench-model" sgemm 2 "$threads" >"$before"
    "$bin/meshtop-rank" --steps "$steps" --threads "$threads" --seq-len "$seq_len" --local-batch-size "$batch" \
      --dump-folder /tmp/meshtop-bench >"$log"
    "$bin/bench-model" sgemm 2 "$threads" >"$after"
    core=$(awk -v a="$(median_of "$before")" -v b="$(median_of "$after")" 'BEGIN { printf "%.2f", (a + b) / 2 }')
    read -r tps mfu <<<"$(step_means "$log")"
    rss=$(grep -o 'memory: *[0-9.]*GiB' "$log" | grep -o '[0-9.]*' | sort -n | tail -1)  # the step lines' resident GiB
    awk -v round="$round" -v threads="$threads" -v tps="$tps" -v mfu="$mfu" -v core="$core" -v peak="$(peak_flops "$log")" -v rss="$rss" \
      'BEGIN { printf "%-6s %-8s %10.0f %8.2f %18.1f %9.1f%% %12.0f\n", round, threads, tps, mfu, core, mfu * peak / (threads * core * 1e9), rss * 1024 }' \
      | tee -a "$rows"
    rm -f "$before" "$after" "$log"
  done
done
# medians over the rounds, per thread count
for threads in 1 2; do
  printf "%-6s %-8s %10.0f %8.2f %18.1f %9.1f%% %12.0f\n" median "$threads" \
    "$(column_median "$rows" "$threads" 3)" "$(column_median "$rows" "$threads" 4)" \
    "$(column_median "$rows" "$threads" 5)" "$(column_median "$rows" "$threads" 6)" "$(column_median "$rows" "$threads" 7)"
done
rm -f "$rows"
