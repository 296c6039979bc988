#!/usr/bin/env bash
# Bytes that cross hosts per training step, by mesh: 2 test hosts x 2 ranks (scripts/testhosts.sh),
# counted on each host's veth, against the bytes the ranks record (the ring volume of each call,
# CollectiveKind.bytesSent). The difference of a long and a short run removes set-up traffic.
# Usage: bench/multihost-bytes.sh [--flavor tiny|debugmodel] [MESH ...]   (default: 4x1 2x2 1x4; root)
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=tiny
if [ "${1:-}" = "--flavor" ]; then flavor=$2; shift 2; fi
meshes=("$@"); [ ${#meshes[@]} -gt 0 ] || meshes=(4x1 2x2 1x4)
meshtop=.build/release/meshtop
[ -x "$meshtop" ] || { echo "build first: swift build -c release" >&2; exit 2; }
dir=$(bash scripts/testhosts.sh up 2)
trap 'bash scripts/testhosts.sh down "$dir"' EXIT
eval "$(bash scripts/testhosts.sh env "$dir")"
read -r k _ < "$dir/state"
work=$(mktemp -d); trap 'bash scripts/testhosts.sh down "$dir"; rm -rf "$work"' EXIT
bytes() {  # both directions of both hosts' links, as the bridge side counts them
    local total=0
    for i in 1 2; do
        for d in rx tx; do total=$((total + $(cat /sys/class/net/mt${k}v$i/statistics/${d}_bytes))); done
    done
    echo $((total / 2))   # each byte between the hosts passes both veths
}
run() {  # mesh steps -> bytes on the links during the run
    local before after
    before=$(bytes)
    "$meshtop" run --no-tui --hostfile "$dir/hostfile" --mesh "$1" --flavor "$flavor" --seq-len 64 --steps "$2" \
        --peak-tflops 0.1 --dump-folder "$work/out" --metrics-file "$work/m-$1-$2.jsonl" >/dev/null 2>&1
    after=$(bytes)
    echo $((after - before))
}
recorded() {  # sum over ranks of the bytes the ranks recorded per step (the last step)
    python3 - "$1" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"event":"step"' in l]
last = steps[-1]
print(sum(sum(c["bytes"] for c in r.get("communication", {}).values()) for r in last["ranks"]))
PY
}
printf "%-6s %16s %20s\n" mesh "link bytes/step" "recorded bytes/step"
for mesh in "${meshes[@]}"; do
    short=$(run "$mesh" 2); long=$(run "$mesh" 6)
    printf "%-6s %16d %20d\n" "$mesh" $(((long - short) / 4)) "$(recorded "$work/m-$mesh-6.jsonl")"
done
