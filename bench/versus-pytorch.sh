#!/usr/bin/env bash
# meshtop and the PyTorch reference (bench/pytorch) side by side at 1 and 2 threads, interleaved:
# each round runs meshtop 1 thread, PyTorch 1 thread, meshtop 2 threads, PyTorch 2 threads, so a
# drifting machine moves both alike. Prints every round's tokens/s (mean of steps 3..) and the
# ratio round by round, the same for each run's fastest step (both at their best moment: a slow
# spell in one run of a pair moves it less), then the medians per thread count. Not a test.
# Usage: bench/versus-pytorch.sh [rounds] [steps]   (default 4 rounds of 12 steps)
# Env: TORCHREF_VENV (default .venv-torch; make it with bench/pytorch/run.sh), SEQ_LEN (256).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rounds="${1:-4}"
steps="${2:-12}"
seq_len="${SEQ_LEN:-256}"
py="${TORCHREF_VENV:-.venv-torch}/bin/python"
[ -x "$py" ] || { echo "versus-pytorch: no $py; run bench/pytorch/run.sh first (or set TORCHREF_VENV)" >&2; exit 2; }
swift build -c release --product meshtop-rank >/dev/null
bin="$(swift build -c release --show-bin-path)/meshtop-rank"

# "mean best rss" tokens/s of steps 3.. (mean, and the fastest step) from step lines carrying "tps: N" (meshtop) or
# "tok/s per rank: N" (PyTorch), and the peak RSS in MiB (meshtop's step lines' "memory: G GiB", PyTorch's
# "peak RSS per rank (MiB): M")
tps() { sed 's/tok\/s per rank:/tps:/' | awk '/^step/ { n++; if (n > 2) for (i = 1; i <= NF; i++) if ($i == "tps:") { t = $(i+1); gsub(",", "", t); t += 0; s += t; k++; if (t > b) b = t } }
                                             /^step/ { if (match($0, /memory: *[0-9.]+GiB/)) { g = substr($0, RSTART, RLENGTH); gsub(/[^0-9.]/, "", g); if (g * 1024 > r) r = g * 1024 } }
                                             /^peak RSS per rank/ { sub(/.*: /, ""); r = $1 + 0 }
                                             END { printf "%.0f %.0f %.0f", s / k, b, r }'; }
meshtop() { "$bin" --steps "$steps" --seq-len "$seq_len" --threads "$1" --dump-folder /tmp/meshtop-bench 2>&1 | tps; }
pytorch() { OMP_NUM_THREADS="$1" "$py" bench/pytorch/reference.py --steps "$steps" --seq-len "$seq_len" --threads "$1" 2>&1 | tps; }

rows=$(mktemp)
ratio() { awk -v m="$1" -v p="$2" 'BEGIN { printf "%.2fx", m / p }'; }
echo "seq_len $seq_len; uptime: $(uptime)"
printf "%-6s %-8s %10s %10s %7s   %10s %10s %7s   %s   %s\n" round threads meshtop pytorch ratio "best step" "(pytorch)" ratio load \
  "peak RSS MiB (meshtop, pytorch)"
for r in $(seq "$rounds"); do
  for threads in 1 2; do
    read -r m mb mr <<<"$(meshtop "$threads")"; read -r p pb pr <<<"$(pytorch "$threads")"
    printf "%-6s %-8s %10s %10s %7s   %10s %10s %7s   %s   %s %s\n" "$r" "$threads" "$m" "$p" "$(ratio "$m" "$p")" \
      "$mb" "$pb" "$(ratio "$mb" "$pb")" "$(cut -d' ' -f1 /proc/loadavg)" "$mr" "$pr" | tee -a "$rows"
  done
done
# medians over the rounds, per thread count (a ratio's median is of the rounds' ratios)
for threads in 1 2; do
  printf "%-6s %-8s %10.0f %10.0f %6.2fx   %10.0f %10.0f %6.2fx\n" median "$threads" \
    "$(column_median "$rows" "$threads" 3)" "$(column_median "$rows" "$threads" 4)" "$(column_median "$rows" "$threads" 5)" \
    "$(column_median "$rows" "$threads" 6)" "$(column_median "$rows" "$threads" 7)" "$(column_median "$rows" "$threads" 8)"
done
rm -f "$rows"
