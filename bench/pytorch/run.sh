#!/usr/bin/env bash
# The PyTorch reference of issues 4/5 measured on this machine: the llama3 debugmodel at 1 and 2
# threads in one process, then replicate (2,1) and fully_shard (1,2) on 2 ranks and HSDP (2,2) on
# 4 oversubscribed ranks (torchrun, gloo, 1 thread a rank). Not a test: figures for bench/README.md.
# Usage: bash bench/pytorch/run.sh [steps]   (default 12; the first 2 are warm-up, not averaged)
# Env: TORCHREF_VENV (default .venv-torch at the repo root, git-ignored), SEQ_LEN (256),
#      LOCAL_BATCH (8), TORCHREF_LOGS (where each run's log goes; default a fresh temp folder),
#      TORCHREF_CUDA_WHEELS=1 (allow PyPI's 2.15.0 with its CUDA packages, ~5 GB, when no
#      CPU-only 2.15.0 imports). An existing venv whose torch imports is used as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps="${1:-12}"
seq_len="${SEQ_LEN:-256}"
batch="${LOCAL_BATCH:-8}"
venv="${TORCHREF_VENV:-.venv-torch}"
logs="${TORCHREF_LOGS:-$(mktemp -d /tmp/torchref.XXXXXX)}"
mkdir -p "$logs"
py="$venv/bin/python"
pure_deps=(filelock typing-extensions sympy networkx jinja2 fsspec "setuptools>=77.0.3")

torch_works() { "$py" -c "import torch; assert not torch.cuda.is_available(); torch.ones(2) @ torch.ones(2)" >/dev/null 2>&1; }

install_torch() {
  # 1. PyPI's 2.15.0 without its CUDA packages: usable only if it imports without them;
  if "$py" -m pip install -q --no-deps torch==2.15.0 >>"$logs/install.log" 2>&1 && torch_works; then
    return
  fi
  # 2. only when asked (TORCHREF_CUDA_WHEELS=1): 2.15.0 with its CUDA packages, about 5 GB;
  if [ "${TORCHREF_CUDA_WHEELS:-0}" = 1 ]; then
    "$py" -m pip install -q torch==2.15.0 >>"$logs/install.log" 2>&1 && torch_works && return
  fi
  echo "no torch 2.15.0 that imports without CUDA packages could be installed" \
       "(TORCHREF_CUDA_WHEELS=1 allows them, about 5 GB): falling back to the local wheel"
  "$py" -m pip uninstall -q -y torch >>"$logs/install.log" 2>&1 || true
  # 3. the machine's local CPU wheel (an older version: the output says which).
  local wheel
  wheel=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -1)
  [ -n "$wheel" ] || { echo "no torch could be installed (see $logs/install.log)" >&2; exit 1; }
  "$py" -m pip install -q --no-deps "$wheel" >>"$logs/install.log" 2>&1
  torch_works || { echo "torch from $wheel does not import (see $logs/install.log)" >&2; exit 1; }
}

if [ ! -x "$py" ]; then
  python3 -m venv "$venv"
fi
if ! torch_works || ! "$py" -c "import tokenizers, numpy" >/dev/null 2>&1; then
  echo "installing torch into $venv (log: $logs/install.log)"
  "$py" -m pip install -q "${pure_deps[@]}" tokenizers numpy >>"$logs/install.log" 2>&1
  torch_works || install_torch
fi
echo "using torch $("$py" -c 'import torch; print(torch.__version__)') from $venv"

export GLOO_SOCKET_IFNAME=lo OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
common=(--steps "$steps" --seq-len "$seq_len" --local-batch-size "$batch")
run() {  # name, then the command
  local name="$1"; shift
  echo "== $name"
  "$@" "${common[@]}" 2>&1 | tee "$logs/$name.log"
}

echo "load before: $(uptime)"
run "1 thread" "$py" bench/pytorch/reference.py --threads 1 --gemm-probe
run "2 threads" env OMP_NUM_THREADS=2 "$py" bench/pytorch/reference.py --threads 2 --gemm-probe
run "replicate (2,1)" "$venv/bin/torchrun" --standalone --nproc-per-node 2 bench/pytorch/reference.py --mesh 2x1
run "fully_shard (1,2)" "$venv/bin/torchrun" --standalone --nproc-per-node 2 bench/pytorch/reference.py --mesh 1x2
run "HSDP (2,2)" "$venv/bin/torchrun" --standalone --nproc-per-node 4 bench/pytorch/reference.py --mesh 2x2
echo "load after: $(uptime)"

echo
printf "%-20s %12s %12s %14s %16s\n" run "tok/s rank" "tok/s all" "best step all" "peak RSS MiB"
for name in "1 thread" "2 threads" "replicate (2,1)" "fully_shard (1,2)" "HSDP (2,2)"; do
  awk -v name="$name" '
    /^mean tokens\/s/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "rank") r = $(i+1); if ($i == "all") a = $(i+1) } }
    /^best step/ { gsub(",", ""); b = $NF }
    /^peak RSS per rank/ { sub(/.*: /, ""); gsub(", ", "/"); rss = $0 }
    END { printf "%-20s %12s %12s %14s %16s\n", name, r, a, b, rss }' "$logs/$name.log"
done
echo "logs: $logs"
