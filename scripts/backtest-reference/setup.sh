#!/usr/bin/env bash
# Installs the reference backtest engine (backtesting.py, pinned) into <repo>/.venv-bt.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.venv-bt"
PINS=(backtesting==0.6.6 pandas==3.1.1 numpy==2.4.6 bokeh==3.9.2)
# Up to date when every pin is installed at exactly its version.
if "$VENV/bin/python" - "${PINS[@]}" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(any(version(name) != want for name, want in (p.split("==") for p in sys.argv[1:])))
PY
then
  exit 0
fi
echo "== installing ${PINS[*]} into $VENV"
# Debian's python3 without python3-venv has no ensurepip: make the venv without pip and
# install into it with the system pip.
if python3 -m venv --clear "$VENV" >/dev/null 2>&1 && [ -x "$VENV/bin/pip" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
else
  python3 -m venv --clear --without-pip "$VENV"
  python3 -m pip --python "$VENV/bin/python" install --quiet --disable-pip-version-check "${PINS[@]}"
fi
