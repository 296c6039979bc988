#!/usr/bin/env bash
# Trainer throughput on one rank: tokens/s, MFU and peak resident memory for the debugmodel at
# local batch 8, seq_len 256 and 1024, with 1 and 2 threads (--threads: lanes of the batch). Not a test: figures for notes.
# Usage: bench/trainer.sh [steps]   (default 12; the first 2 steps are warm-up and not averaged)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
steps="${1:-12}"
swift build -c release --product meshtop-rank >/dev/null
bin="$(swift build -c release --show-bin-path)/meshtop-rank"
printf "%-8s %-8s %10s %8s %12s %10s\n" seq_len threads "tokens/s" "MFU %" "peak RSS MiB" "peak GF/s"
for seq in 256 1024; do
  for threads in 1 2; do
    log=$(mktemp)
    /usr/bin/time -f "%M" -o "$log.rss" "$bin" --steps "$steps" --seq-len "$seq" --local-batch-size 8 \
      --threads "$threads" --dump-folder /tmp/meshtop-bench >"$log"
    read -r tps mfu <<<"$(step_means "$log")"
    printf "%-8s %-8s %10.0f %8.2f %12.1f %10.1f\n" "$seq" "$threads" "$tps" "$mfu" "$(awk -v k="$(cat "$log.rss")" 'BEGIN { print k / 1024 }')" \
      "$(awk -v p="$(peak_flops "$log")" 'BEGIN { print p / 1e9 }')"
    rm -f "$log" "$log.rss"
  done
done
