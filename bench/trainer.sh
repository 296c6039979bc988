#!/usr/bin/env bash
# Trainer throughput on one rank: tokens/s, MFU and peak resident memory for the debugmodel at
# local batch 8, seq_len 256 and 1024, with 1 and 2 threads (--threads: lanes of the batch). Not a test: figures for notes.
# Usage: bench/trainer.sh [steps]   (default 12; the first 2 steps are warm-up and not averaged)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-12}"
swift build -c release --product meshtop-rank >/dev/null
bin="$(swift build -c release --show-bin-path)/meshtop-rank"
printf "%-8s %-8s %10s %8s %12s %10s\n" seq_len threads "tokens/s" "MFU %" "peak RSS MiB" "peak GF/s"
for seq in 256 1024; do
  for threads in 1 2; do
    log=$(mktemp)
    /usr/bin/time -f "%M" -o "$log.rss" "$bin" --steps "$steps" --seq-len "$seq" --local-batch-size 8 \
      --threads "$threads" --dump-folder /tmp/meshtop-bench >"$log"
    peak=$(grep -o 'Peak FLOPS used for computing MFU: [0-9.e+]*' "$log" | awk '{print $NF/1e9}')
    awk -v seq="$seq" -v threads="$threads" -v rss="$(cat "$log.rss")" -v peak="$peak" '
      /^step:/ { n++; if (n > 2) { for (i = 1; i <= NF; i++) { if ($i == "tps:") { t = $(i+1); gsub(",", "", t); tps += t }
                                                                 if ($i == "mfu:") { m = $(i+1); sub("%", "", m); mfu += m } }; k++ } }
      END { printf "%-8s %-8s %10.0f %8.2f %12.1f %10.1f\n", seq, threads, tps / k, mfu / k, rss / 1024, peak }' "$log"
    rm -f "$log" "$log.rss"
  done
done
