#!/usr/bin/env bash
# Installs what is missing, builds meshtop in release mode and runs the main job.
# Extra arguments go to `meshtop run` (e.g. --mesh 2x2, --steps 100, --no-tui).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"
# meshtop run: the debugmodel with one rank per core on (N, 1) under mpirun; the dashboard on a
# terminal (it reads keys from /dev/tty), torchtitan's log lines otherwise; later options win.
exec "$bin/meshtop" run "$@" </dev/null
