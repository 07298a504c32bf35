#!/usr/bin/env bash
# The whole test suite: install kodo, then what only the tests need, then lint, format check,
# type check, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/apt.sh
need=()
command -v tmux >/dev/null || need+=(tmux)                   # drives the interactive shell
command -v npm >/dev/null || need+=(nodejs npm)               # real MCP servers from npm
command -v chromium-headless-shell >/dev/null || need+=(chromium-headless-shell)  # eval report
command -v slurmctld >/dev/null || need+=(slurm-wlm munge)     # a real Slurm for tests/jobs
apt_install "${need[@]}"
# The CPU build of torch that lies on this kind of machine (pip's find-links); a bare `torch`
# requirement would otherwise fetch a multi-GB CUDA build.
.venv/bin/python -c 'import torch' 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev]"
# Real MCP servers from npm that tests/mcp starts (locked in tests/mcp/servers/package-lock.json).
[ tests/mcp/servers/node_modules/.package-lock.json -nt tests/mcp/servers/package-lock.json ] ||
  npm ci --prefix tests/mcp/servers --no-audit --no-fund --loglevel=error
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
