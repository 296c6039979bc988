#!/usr/bin/env bash
# Installs what meshtop needs on Debian and is missing; running it again does nothing.
# Debian packages: compilers' C libraries (MPI, BLAS, ncursesw), tmux for the TUI tests, and
# iproute2 (ip, tc) and Slurm with munge for the multi-host tests (scripts/testhosts.sh, testslurm.sh).
# Python packages (only for the cross-check tests): tokenizers, safetensors, numpy in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libncursesw5-dev libopenmpi-dev openmpi-bin libopenblas-dev tmux pkg-config iproute2 \
           slurmd slurmctld slurm-client munge; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "install-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: swift 6.3 is not on PATH; install the Swift toolchain first (https://swift.org/install)" >&2
  exit 1
fi

# The cross-check tests compare against Hugging Face `tokenizers` and `safetensors`, and TensorBoard's
# `tensorboard` and `tensorboardX`, in a venv of the project's own; without network they skip, saying so.
if [[ "${1:-}" == "--python" ]]; then
  if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv || { echo "install-deps: could not create .venv; Python cross-checks will skip" >&2; exit 0; }
  fi
  if ! .venv/bin/python -c "import tokenizers, safetensors, numpy, tensorboard, tensorboardX" 2>/dev/null; then
    .venv/bin/pip install -q --disable-pip-version-check tokenizers safetensors numpy tensorboard tensorboardX </dev/null \
      || echo "install-deps: pip install failed; Python cross-checks will skip" >&2
  fi
fi
