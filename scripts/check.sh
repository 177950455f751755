#!/usr/bin/env bash
# The project's checks: ruff, mypy, pytest. Each runs even when an earlier one
# failed, so one run shows every problem; the exit status is pytest's when pytest
# failed, else 1 when a linter failed, else 0. Arguments go to pytest.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
BIN="$ROOT/.venv/bin"

section() { printf '\n==== %s ====\n' "$*"; }

section "ruff check ."
"$BIN/ruff" check .
ruff_rc=$?

section "mypy"
"$BIN/mypy"
mypy_rc=$?

section "pytest $*"
bash "$ROOT/scripts/pytest.sh" "$@"
pytest_rc=$?

section "summary"
printf 'ruff: %s\nmypy: %s\npytest: %s\n' \
    "$([[ $ruff_rc -eq 0 ]] && echo ok || echo "FAILED ($ruff_rc)")" \
    "$([[ $mypy_rc -eq 0 ]] && echo ok || echo "FAILED ($mypy_rc)")" \
    "$([[ $pytest_rc -eq 0 ]] && echo ok || echo "FAILED ($pytest_rc)")"

if [[ $pytest_rc -ne 0 ]]; then
    exit "$pytest_rc"
fi
if [[ $ruff_rc -ne 0 || $mypy_rc -ne 0 ]]; then
    exit 1
fi
exit 0
