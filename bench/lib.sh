# Shared by the bench scripts (source it): medians over rounds, since single rounds swing with the VM.

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# column_median FILE THREADS COLUMN: the median of field COLUMN (a trailing % or x dropped) over the
# rows of FILE whose second field (the thread count) is THREADS.
column_median() { awk -v t="$2" -v c="$3" '$2 == t { sub("[%x]$", "", $c); print $c }' "$1" | median; }

# step_means LOG: "tokens/s MFU" of a meshtop-rank log, the means over its step lines from step 3 on
# (steps 1 and 2 warm up).
step_means() {
  awk '/^step:/ { n++; if (n > 2) { for (i = 1; i <= NF; i++) { if ($i == "tps:") { t = $(i+1); gsub(",", "", t); tps += t }
                                                             if ($i == "mfu:") { m = $(i+1); sub("%", "", m); mfu += m } }; k++ } }
       END { printf "%.2f %.4f", tps / k, mfu / k }' "$1"
}

# peak_flops LOG: the FLOP/s a meshtop-rank log's MFU is measured against (its start-up line).
peak_flops() { grep -o 'Peak FLOPS used for computing MFU: [0-9.e+]*' "$1" | awk '{ print $NF }'; }
