#!/usr/bin/env bash
# Installs what is missing, builds meshtop in release mode and runs the main job.
# Extra arguments go to meshtop-rank (e.g. --mesh 4x1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"
ranks=4
root=()
[[ $(id -u) == 0 ]] && root=(--allow-run-as-root)
exec mpirun -q -np "$ranks" --oversubscribe "${root[@]}" -x OPENBLAS_NUM_THREADS=1 \
  "$bin/meshtop-rank" --mesh 2x2 "$@" </dev/null
