#!/usr/bin/env bash
# The planner's step time against the measured one, by mesh and placement: 2 test hosts x 2 slots
# (scripts/testhosts.sh) with every host's link shaped by tbf, the debugmodel at seq_len 256, the
# four cases of issue 16: (4,1), (2,2) with each replica's shards on one host (by slot), (2,2) with
# shards across hosts (by node), (1,4). Each round runs every case: `meshtop probe`, `meshtop plan
# --topology`, then the mesh for --steps steps; the measured step is the median over the steps
# after --warmup of the slowest rank's step. This VM's cores drift by tens of percent within
# minutes (bench/README.md), so each case is predicted from the probe just before it ("probe per
# run"), and also, as a user would, all from the first round's first probe ("one probe").
# Prints every run, then per case the medians over the rounds, the errors and both rankings.
# Figures for the notes, not a test (root; a quiet machine).
# Usage: bench/multihost-time.sh [--link-mbit M] [--steps N] [--warmup W] [--rounds R] [--keep DIR]
#        (defaults 200, 8, 2, 2; --keep copies every run's probe, plan and metrics into DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
mbit=200 steps=8 warmup=2 rounds=2 keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --link-mbit) mbit=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: bench/multihost-time.sh [--link-mbit M] [--steps N] [--warmup W] [--rounds R] [--keep DIR]" >&2; exit 2 ;;
  esac
done
[ "$steps" -gt "$warmup" ] || { echo "--steps must exceed --warmup" >&2; exit 2; }
meshtop=.build/release/meshtop
for exe in meshtop meshtop-rank meshtop-probe; do
  [ -x ".build/release/$exe" ] || { echo "build first: swift build -c release" >&2; exit 2; }
done
dir=$(bash scripts/testhosts.sh up 2 --link-mbit "$mbit")
work=$(mktemp -d)
trap 'bash scripts/testhosts.sh down "$dir"; if [ -n "$keep" ]; then mkdir -p "$keep"; cp "$work"/*.json* "$work"/*.txt "$work"/*.log "$keep"/ 2>/dev/null || true; fi; rm -rf "$work"' EXIT
eval "$(bash scripts/testhosts.sh env "$dir")"
cases=("4x1 slot" "2x2 slot" "2x2 node" "1x4 slot")

echo "uptime before: $(uptime)"
for round in $(seq 1 "$rounds"); do
  for c in "${cases[@]}"; do
    read -r mesh place <<<"$c"
    run="$work/r$round-$mesh-$place"
    # The probe places its ranks by slot (as it measures links by host); only the job is by node.
    unset OMPI_MCA_rmaps_base_mapping_policy
    "$meshtop" probe --hostfile "$dir/hostfile" -o "$run.topology.json" > "$run.probe.txt" 2>&1
    "$meshtop" plan --np 4 --hostfile "$dir/hostfile" --topology "$run.topology.json" --json > "$run.plan.jsonl"
    if [ "$round" = 1 ] && [ "$c" = "${cases[0]}" ]; then
      echo "The first probe, and the planner's table from it:"
      grep '^probe:' "$run.probe.txt"
      "$meshtop" plan --np 4 --hostfile "$dir/hostfile" --topology "$run.topology.json" | sed -n '/^Step time/,$p'
      cp "$run.plan.jsonl" "$work/first.plan.jsonl"
      echo
    fi
    if [ "$place" = node ]; then export OMPI_MCA_rmaps_base_mapping_policy=node; fi
    echo "round $round: $mesh by $place ($steps steps; $(uptime | sed 's/.*load/load/'); probe: $(grep -o 'every rank at once: [0-9.]* GF/s' "$run.probe.txt" | sed 's/every rank at once: //') a rank)"
    "$meshtop" run --no-tui --hostfile "$dir/hostfile" --mesh "$mesh" --steps "$steps" --peak-tflops 0.1 \
      --dump-folder "$work/out" --metrics-file "$run.metrics.jsonl" > "$run.log" 2>&1 \
      || { echo "the run failed:"; tail -5 "$run.log"; exit 1; }
  done
done
unset OMPI_MCA_rmaps_base_mapping_policy
echo "uptime after: $(uptime)"

python3 - "$work" "$warmup" "$rounds" "${cases[@]}" <<'PY'
import json, statistics, sys
work, warmup, rounds, cases = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [c.split() for c in sys.argv[4:]]
median = statistics.median
def plan(path): return {(r["mesh"], r.get("placement")): r for r in map(json.loads, open(path))}
first = plan(f"{work}/first.plan.jsonl")
runs = {}
print(f"\n{'run':<20} {'predicted':>9} {'compute':>8} {'exposed':>8} | {'measured':>8} {'compute':>8} {'waited':>7} {'steps':>11} | {'error':>7}")
for r in range(1, rounds + 1):
    for mesh, place in cases:
        base = f"{work}/r{r}-{mesh}-{place}"
        t = plan(f"{base}.plan.jsonl")[(mesh, place)]["time"]
        steps = [json.loads(l) for l in open(f"{base}.metrics.jsonl") if '"event":"step"' in l]
        steps = [s for s in steps if s["step"] > warmup]
        timed = [max(x["seconds"]["total"] for x in s["ranks"]) for s in steps]
        m = dict(step=median(timed), compute=median(statistics.mean(x["seconds"]["compute"] for x in s["ranks"]) for s in steps),
                 waited=median(max(x["seconds"]["communication"] for x in s["ranks"]) for s in steps),
                 tokens=sum(x["tokens"] for x in steps[-1]["ranks"]), predicted=t["step_seconds"])
        runs.setdefault((mesh, place), []).append(m)
        print(f"{f'round {r} {mesh} by {place}':<20} {t['step_seconds']:9.2f} {t['compute_seconds']:8.2f} {t['exposed_seconds']:8.2f} | "
              f"{m['step']:8.2f} {m['compute']:8.2f} {m['waited']:7.2f} {f'{min(timed):.2f}-{max(timed):.2f}':>11} | "
              f"{100 * (t['step_seconds'] - m['step']) / m['step']:+6.1f}%")
rows = []
for mesh, place in cases:
    ms = runs[(mesh, place)]
    measured, per_run = median(m["step"] for m in ms), median(m["predicted"] for m in ms)
    one = first[(mesh, place)]["time"]["step_seconds"]
    rows.append(dict(case=f"{mesh} by {place}", measured=measured, per_run=per_run, one=one, tokens=ms[0]["tokens"]))
print(f"\nmedians over {rounds} rounds (seconds per step; tokens/s of all ranks)")
print(f"{'case':<12} {'measured':>8} {'tok/s':>6} | {'probe per run':>13} {'tok/s':>6} {'error':>7} | {'one probe':>9} {'tok/s':>6} {'error':>7}")
for x in rows:
    e1, e2 = (100 * (x[k] - x["measured"]) / x["measured"] for k in ("per_run", "one"))
    x["e_per_run"], x["e_one"] = e1, e2
    print(f"{x['case']:<12} {x['measured']:8.2f} {x['tokens'] / x['measured']:6.0f} | {x['per_run']:13.2f} {x['tokens'] / x['per_run']:6.0f} "
          f"{e1:+6.1f}% | {x['one']:9.2f} {x['tokens'] / x['one']:6.0f} {e2:+6.1f}%")
order = lambda key: [x["case"] for x in sorted(rows, key=lambda x: x[key])]
print(f"\nmeasured ranking       (fastest first): {' < '.join(order('measured'))}")
for key, name in (("per_run", "probe per run"), ("one", "one probe")):
    within = all(abs(x["e_" + key]) <= 25 for x in rows)
    print(f"predicted, {name:<13}(fastest first): {' < '.join(order(key))}   "
          f"within 25%: {'yes' if within else 'no'}; same ranking: {'yes' if order(key) == order('measured') else 'no'}")
PY
