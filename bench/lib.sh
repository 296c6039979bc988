# Shared by the bench scripts (source it): medians over rounds, since single rounds swing with the VM.

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# column_median FILE THREADS COLUMN: the median of field COLUMN (a trailing % or x dropped) over the
# rows of FILE whose second field (the thread count) is THREADS.
column_median() { awk -v t="$2" -v c="$3" '$2 == t { sub("[%x]$", "", $c); print $c }' "$1" | median; }
