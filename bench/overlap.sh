#!/usr/bin/env bash
# What each strategy waits for communication (issue 20): the debugmodel at seq_len 256 on one host
# ((2,1) replicate, (1,2) FSDP, (2,2) HSDP) and across 2 test hosts with links shaped by tbf
# (default 1 Gbit/s): (2,1) with a rank on each host, (2,2) with each replica's shards on one host.
# The waiting share of a step is the slowest-waiting rank's communication wait over its step time;
# a run's figure is the median over the steps after --warmup. With --baseline DIR (another build's
# .build/release, e.g. of the commit before a change), each case runs that build right after this
# one, round by round, so the machine's drift moves both alike. Prints every run, then the medians.
# Figures for the notes, not a test (root for the test hosts; a quiet machine).
# Usage: bench/overlap.sh [--link-mbit M] [--steps N] [--warmup W] [--rounds R] [--baseline DIR] [--only local|hosts]
#        (defaults 1000, 8, 2, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
mbit=1000 steps=8 warmup=2 rounds=3 baseline="" only=""
while [ $# -gt 0 ]; do
  case $1 in
    --link-mbit) mbit=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: bench/overlap.sh [--link-mbit M] [--steps N] [--warmup W] [--rounds R] [--baseline DIR] [--only local|hosts]" >&2; exit 2 ;;
  esac
done
[ "$steps" -gt "$warmup" ] || { echo "--steps must exceed --warmup" >&2; exit 2; }
builds=(".build/release")
[ -n "$baseline" ] && builds+=("$baseline")
for b in "${builds[@]}"; do
  for exe in meshtop meshtop-rank; do [ -x "$b/$exe" ] || { echo "no $b/$exe: build it first (swift build -c release)" >&2; exit 2; }; done
done
work=$(mktemp -d)
dir=""
trap '[ -n "$dir" ] && bash scripts/testhosts.sh down "$dir"; rm -rf "$work"' EXIT
cases=()
[ "$only" != hosts ] && cases+=("local 2x1" "local 1x2" "local 2x2")
[ "$only" != local ] && cases+=("hosts 2x1" "hosts 2x2")
if [ "$only" != local ]; then
  dir=$(bash scripts/testhosts.sh up 2 --link-mbit "$mbit")
fi

run_case() {  # build, where, mesh, metrics file
  local build=$1 where=$2 mesh=$3 out=$4
  local args=(run --no-tui --mesh "$mesh" --steps "$steps" --dump-folder "$work/out" --metrics-file "$out")
  if [ "$where" = hosts ]; then
    # (2,1): one rank a host (by node); (2,2): the shards of a replica on one host (by slot).
    ( eval "$(bash scripts/testhosts.sh env "$dir")"
      [ "$mesh" = 2x1 ] && export OMPI_MCA_rmaps_base_mapping_policy=node
      "$build/meshtop" "${args[@]}" --hostfile "$dir/hostfile" ) > "$out.log" 2>&1
  else
    "$build/meshtop" "${args[@]}" > "$out.log" 2>&1
  fi || { echo "the run failed ($build, $where $mesh):"; tail -5 "$out.log"; exit 1; }
}

echo "uptime before: $(uptime)"
for round in $(seq 1 "$rounds"); do
  for c in "${cases[@]}"; do
    read -r where mesh <<<"$c"
    for i in "${!builds[@]}"; do
      run_case "${builds[$i]}" "$where" "$mesh" "$work/r$round-$where-$mesh-b$i.jsonl"
    done
  done
done
echo "uptime after: $(uptime)"

python3 - "$work" "$warmup" "$rounds" "${#builds[@]}" "${builds[*]}" "${cases[@]}" <<'PY'
import json, statistics, sys
work, warmup, rounds, nbuilds, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
cases = [c.split() for c in sys.argv[6:]]
median = statistics.median
def figures(path):
    steps = [json.loads(l) for l in open(path) if '"event":"step"' in l]
    steps = [s for s in steps if s["step"] > warmup]
    share = [max(x["seconds"]["communication"] / x["seconds"]["total"] for x in s["ranks"]) for s in steps]
    step = [max(x["seconds"]["total"] for x in s["ranks"]) for s in steps]
    loss = {s["step"]: s["loss"] for s in steps}
    rss = max(x.get("peakResidentBytes", 0) for s in steps for x in s["ranks"]) / 2**20
    return median(share), median(step), loss, rss
print(f"\n{'run':<24} {'build':<28} {'waiting':>8} {'step s':>7} {'peak RSS MiB':>12}")
rows = {}
for r in range(1, rounds + 1):
    for where, mesh in cases:
        for b in range(nbuilds):
            share, step, loss, rss = figures(f"{work}/r{r}-{where}-{mesh}-b{b}.jsonl")
            rows.setdefault((where, mesh, b), []).append((share, step, loss))
            print(f"{f'round {r} {where} {mesh}':<24} {names[b][-28:]:<28} {100 * share:7.1f}% {step:7.2f} {rss:12.0f}")
print(f"\nmedians over {rounds} rounds")
print(f"{'case':<12} " + " ".join(f"{n[-28:]:>28} {'step s':>7}" for n in names) + ("  losses equal to 1e-5" if nbuilds > 1 else ""))
for where, mesh in cases:
    line = f"{where + ' ' + mesh:<12} "
    for b in range(nbuilds):
        xs = rows[(where, mesh, b)]
        line += f"{100 * median(x[0] for x in xs):27.1f}% {median(x[1] for x in xs):7.2f}"
    if nbuilds > 1:
        equal = all(abs(a[2][k] - c[2][k]) <= 1e-5 for a, c in zip(rows[(where, mesh, 0)], rows[(where, mesh, 1)]) for k in a[2])
        line += f"  {'yes' if equal else 'no'}"
    print(line)
PY
