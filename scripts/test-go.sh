#!/usr/bin/env bash
# Go client tests: downloads the module's pinned dependencies (go.sum), vets, and runs go test, whose live tests start
# a real server on a free port (TWINGYM_URL=ws://host:port tests an already running one). Prints a closing
# "N passed, N failed" line and exits non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/clients/go"
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; else echo "test-go: go is not installed" >&2; exit 1; fi
fi
go mod download
go vet ./...
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
set +e
go test -count=1 -v "$@" ./... 2>&1 | tee "$LOG" | grep -E '^(--- |FAIL|ok|PASS|panic)' 
STATUS=${PIPESTATUS[0]}
set -e
PASSED=$(grep -cE '^\s*--- PASS' "$LOG" || true)
FAILED=$(grep -cE '^\s*--- FAIL' "$LOG" || true)
if [ "$STATUS" -ne 0 ]; then grep -vE '^(=== RUN|--- PASS|    --- PASS)' "$LOG" | tail -40; fi
echo "go: $PASSED passed, $FAILED failed"
if [ "$PASSED" -eq 0 ] && [ "$STATUS" -eq 0 ]; then echo "test-go: no test ran" >&2; exit 1; fi
exit "$STATUS"
