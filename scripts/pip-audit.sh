#!/usr/bin/env bash
# Audit the installed environment (.venv, editable otklik skipped) for known vulnerabilities.
#
# pip-audit prints "No known vulnerabilities found" even when it could not look a single
# package up (no route to the vulnerability service), so this script counts what was
# actually audited and says so.
#
# When pip-audit's services answer for no package (this build machine: PyPI's per-version
# JSON gives 404, OSV is unreachable), scripts/pypi_latest_audit.py audits every package
# installed at its latest release through PyPI's project JSON and names the rest.
#
# Exit status: 0 clean (in what was audited); 1 vulnerabilities found; 2 nothing could be
# audited -- set OTKLIK_PIP_AUDIT_OFFLINE_OK=1 to turn that case into 0 with a warning on
# machines that are offline by design.
# Extra arguments go to pip-audit (e.g. `-s osv` for the OSV service instead of PyPI).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
OUT="$(mktemp)"
ERR="$(mktemp)"
trap 'rm -f "$OUT" "$ERR"' EXIT

# When pip-audit's services answer for nothing, audit what PyPI's project API can vouch for.
fallback() {
    echo "pip-audit: falling back to PyPI's project JSON (vulnerabilities of each latest release)" >&2
    "$BIN/python" "$ROOT/scripts/pypi_latest_audit.py"
    local frc=$?
    if [[ $frc -eq 2 && "${OTKLIK_PIP_AUDIT_OFFLINE_OK:-0}" == "1" ]]; then
        echo "pip-audit: NOT AUDITED (OTKLIK_PIP_AUDIT_OFFLINE_OK=1, not failing)" >&2
        exit 0
    fi
    exit $frc
}

"$BIN/pip-audit" --skip-editable --progress-spinner off --format json --output "$OUT" "$@" 2>"$ERR"
rc=$?
if [[ ! -s "$OUT" ]]; then
    echo "pip-audit: FAILED to run (exit $rc); the vulnerability service is probably unreachable:" >&2
    tail -n 3 "$ERR" >&2
    fallback
fi

"$BIN/python" - "$OUT" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
deps = report.get("dependencies", [])
skipped = [d for d in deps if d.get("skip_reason")]
audited = [d for d in deps if not d.get("skip_reason")]
vulnerable = [d for d in audited if d.get("vulns")]
for d in vulnerable:
    for v in d["vulns"]:
        fixes = ", ".join(v.get("fix_versions") or []) or "no fix yet"
        print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in: {fixes})")
print(f"pip-audit: {len(deps)} packages, {len(audited)} audited, {len(skipped)} could not be looked up, "
      f"{len(vulnerable)} vulnerable")
if vulnerable:
    sys.exit(1)
if deps and not audited:
    print("pip-audit: the vulnerability service answered for none of the packages "
          f"(e.g. {skipped[0]['skip_reason']!r}).", file=sys.stderr)
    sys.exit(2)
for d in skipped[:10]:
    print(f"not audited: {d['name']} ({d['skip_reason']})", file=sys.stderr)
print("pip-audit: clean" + (" (some packages not audited, listed above)" if skipped else ""))
PY
rc=$?
[[ $rc -eq 2 ]] && fallback
exit $rc
