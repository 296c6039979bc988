#!/usr/bin/env bash
# The planner's step time against the measured one, by mesh and placement: 2 test hosts x 2 slots
# (scripts/testhosts.sh) with every host's link shaped by tbf, the debugmodel at seq_len 256.
# `meshtop probe` measures the hosts (before the runs, and again after them to show drift),
# `meshtop plan --topology` predicts, then each mesh runs for --steps steps; the measured step is
# the median over the steps after --warmup of the slowest rank's step time. Prints both tables,
# both rankings, and each mesh's error. Figures for the notes, not a test (root; a quiet machine).
# Usage: bench/multihost-time.sh [--link-mbit M] [--steps N] [--warmup W]   (defaults 200, 8, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
mbit=200 steps=8 warmup=2
while [ $# -gt 0 ]; do
  case $1 in
    --link-mbit) mbit=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    *) echo "usage: bench/multihost-time.sh [--link-mbit M] [--steps N] [--warmup W]" >&2; exit 2 ;;
  esac
done
[ "$steps" -gt "$warmup" ] || { echo "--steps must exceed --warmup" >&2; exit 2; }
meshtop=.build/release/meshtop
for exe in meshtop meshtop-rank meshtop-probe; do
  [ -x ".build/release/$exe" ] || { echo "build first: swift build -c release" >&2; exit 2; }
done
dir=$(bash scripts/testhosts.sh up 2 --link-mbit "$mbit")
work=$(mktemp -d)
trap 'bash scripts/testhosts.sh down "$dir"; rm -rf "$work"' EXIT
eval "$(bash scripts/testhosts.sh env "$dir")"
# The four cases of issue 16: replicate, HSDP with each replica's shards on one host (by slot)
# and across hosts (by node), FSDP.
cases=("4x1 slot" "2x2 slot" "2x2 node" "1x4 slot")

echo "uptime before: $(uptime)"
"$meshtop" probe --hostfile "$dir/hostfile" -o "$work/topology.json"
"$meshtop" plan --np 4 --hostfile "$dir/hostfile" --topology "$work/topology.json" | sed -n '/^Step time/,$p'
"$meshtop" plan --np 4 --hostfile "$dir/hostfile" --topology "$work/topology.json" --json > "$work/plan.jsonl"
for c in "${cases[@]}"; do
  read -r mesh place <<<"$c"
  if [ "$place" = node ]; then export OMPI_MCA_rmaps_base_mapping_policy=node; else unset OMPI_MCA_rmaps_base_mapping_policy; fi
  echo "running $mesh by $place ($steps steps; $(uptime | sed 's/.*load/load/'))"
  "$meshtop" run --no-tui --hostfile "$dir/hostfile" --mesh "$mesh" --steps "$steps" --peak-tflops 0.1 \
    --dump-folder "$work/out" --metrics-file "$work/m-$mesh-$place.jsonl" > "$work/log-$mesh-$place.txt" 2>&1 \
    || { echo "the run failed:"; tail -5 "$work/log-$mesh-$place.txt"; exit 1; }
done
unset OMPI_MCA_rmaps_base_mapping_policy
"$meshtop" probe --hostfile "$dir/hostfile" -o "$work/topology-after.json" | grep -E "sgemm|every" || true
echo "uptime after: $(uptime)"

python3 - "$work" "$warmup" "${cases[@]}" <<'PY'
import json, statistics, sys
work, warmup, cases = sys.argv[1], int(sys.argv[2]), [c.split() for c in sys.argv[3:]]
plan = {(r["mesh"], r.get("placement")): r for r in map(json.loads, open(f"{work}/plan.jsonl"))}
rows = []
for mesh, place in cases:
    steps = [json.loads(l) for l in open(f"{work}/m-{mesh}-{place}.jsonl") if '"event":"step"' in l]
    timed = [max(r["seconds"]["total"] for r in s["ranks"]) for s in steps if s["step"] > warmup]
    comm = [max(r["seconds"]["communication"] for r in s["ranks"]) for s in steps if s["step"] > warmup]
    compute = [statistics.mean(r["seconds"]["compute"] for r in s["ranks"]) for s in steps if s["step"] > warmup]
    tokens = sum(r["tokens"] for r in steps[-1]["ranks"])
    t = plan[(mesh, place)]["time"]
    measured = statistics.median(timed)
    rows.append(dict(case=f"{mesh} by {place}", p_step=t["step_seconds"], p_compute=t["compute_seconds"],
                     p_comm=t["communication_seconds"], p_exposed=t["exposed_seconds"], m_step=measured,
                     m_compute=statistics.median(compute), m_comm=statistics.median(comm), tokens=tokens,
                     spread=f"{min(timed):.2f}-{max(timed):.2f}"))
print(f"\n{'case':<12} {'predicted':>9} {'tok/s':>6} {'compute':>8} {'comm':>6} {'exposed':>8} | {'measured':>8} {'tok/s':>6} {'compute':>8} {'waited':>7} {'steps':>11} | {'error':>7}")
for r in rows:
    error = 100 * (r["p_step"] - r["m_step"]) / r["m_step"]
    r["error"] = error
    print(f"{r['case']:<12} {r['p_step']:9.2f} {r['tokens'] / r['p_step']:6.0f} {r['p_compute']:8.2f} {r['p_comm']:6.2f} {r['p_exposed']:8.2f} | "
          f"{r['m_step']:8.2f} {r['tokens'] / r['m_step']:6.0f} {r['m_compute']:8.2f} {r['m_comm']:7.2f} {r['spread']:>11} | {error:+6.1f}%")
order = lambda key: " < ".join(r["case"] for r in sorted(rows, key=lambda r: r[key]))
print(f"\npredicted ranking (fastest first): {order('p_step')}")
print(f"measured ranking  (fastest first): {order('m_step')}")
within = all(abs(r["error"]) <= 25 for r in rows)
same = [r["case"] for r in sorted(rows, key=lambda r: r["p_step"])] == [r["case"] for r in sorted(rows, key=lambda r: r["m_step"])]
print(f"every prediction within 25%: {'yes' if within else 'no'}; same ranking: {'yes' if same else 'no'}")
print("(seconds per step; measured: the median over the steps after warm-up of the slowest rank's step, the mean rank's compute, the slowest rank's wait on communication)")
PY
