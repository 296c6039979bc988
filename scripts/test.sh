#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds in release mode (the trainer's tests run
# real training steps), then runs every test, the multi-rank ones under real mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --python
export MESHTOP_PYTHON="$PWD/.venv/bin/python"
# mpirun refuses root unless told; the tests start it as whoever runs them.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The tests' sgemm peaks go to a cache of their own, not the user's ~/.cache/meshtop.
export MESHTOP_CACHE_DIR="${MESHTOP_CACHE_DIR:-$PWD/.build/test-cache}"
swift build -c release --build-tests
swift test -c release --skip-build --disable-swift-testing
