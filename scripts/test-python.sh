#!/usr/bin/env bash
# Python client tests: creates clients/python/.venv with the pinned dependencies (reinstalled whenever the lock files
# change), installs the client in editable mode and runs pytest, which starts a real server on a free port.
# Usage: scripts/test-python.sh [pytest args...]     (TWINGYM_URL=ws://host:port tests an already running server)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/clients/python"
VENV="$PKG/.venv"

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
  done
fi
if [ -z "$PYTHON" ]; then echo "test-python: no python3 interpreter found" >&2; exit 1; fi

LOCK_HASH="$(cat "$PKG/requirements.txt" "$PKG/requirements-test.txt" "$PKG/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.lock-hash" 2>/dev/null)" != "$LOCK_HASH" ]; then
  echo "test-python: creating $VENV with the pinned dependencies"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PKG/requirements-test.txt"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps -e "$PKG"
  echo "$LOCK_HASH" > "$VENV/.lock-hash"
fi

cd "$PKG"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
