#!/usr/bin/env bash
# Installs what is missing, builds meshtop in release mode and runs the main job.
# Extra arguments go to `meshtop run` (e.g. --mesh 4x1, --steps 100, --metrics-file run.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"
# meshtop run starts 4 ranks of meshtop-rank under mpirun (oversubscribed, one BLAS thread each,
# --allow-run-as-root as root) and prints torchtitan's log lines; later options win.
exec "$bin/meshtop" run --no-tui --mesh 2x2 "$@" </dev/null
