#!/usr/bin/env bash
# Runs a command against the local stack: starts the stack first when it is not ready,
# and stops it afterwards only if this script started it.
set -uo pipefail
cd "$(dirname "$0")/../.."
STACK="uv run --frozen python deploy/local/stack.py"
started=0
if ! $STACK ready >/dev/null 2>&1; then
  $STACK up || { $STACK down; exit 1; }
  started=1
fi
"$@"
rc=$?
if [ "$started" = 1 ]; then $STACK down; fi
exit $rc
