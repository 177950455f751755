"""Fallback vulnerability audit through PyPI's project JSON API.

Where pip-audit cannot reach its services (this build machine answers PyPI's per-version
JSON with 404 and has no route to OSV), PyPI's project endpoint still answers, and it lists
the known vulnerabilities of the project's latest release. So a package installed at its
latest release can be audited for real; any other package is reported as not audited,
never as clean.

    python scripts/pypi_latest_audit.py [--json]

Exit status: 0 no vulnerability found in what was audited; 1 vulnerabilities found;
2 nothing could be audited.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

INDEX = "https://pypi.org/pypi/{name}/json"


@dataclass
class Finding:
    name: str
    version: str
    status: str  # audited | vulnerable | not-latest | unreachable
    latest: str | None = None
    vulns: list[dict[str, object]] = field(default_factory=list)


def installed() -> dict[str, str]:
    """Installed distributions except editable/local ones (this project itself)."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        direct = dist.read_text("direct_url.json") or ""
        if '"editable": true' in direct or '"dir_info"' in direct:
            continue
        found[canonicalize_name(name)] = dist.version
    return found


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def check(name: str, version: str) -> Finding:
    try:
        with urllib.request.urlopen(INDEX.format(name=name), timeout=20) as response:
            project = json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        return Finding(name, version, "unreachable", vulns=[{"error": str(exc)[:200]}])
    latest = str(project.get("info", {}).get("version", ""))
    if not _same(latest, version):
        return Finding(name, version, "not-latest", latest)
    vulns = [
        {"id": v.get("id"), "fixed_in": v.get("fixed_in") or [], "aliases": v.get("aliases") or []}
        for v in project.get("vulnerabilities") or []
    ]
    return Finding(name, version, "vulnerable" if vulns else "audited", latest, vulns)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print every package's finding as JSON")
    args = parser.parse_args()
    packages = installed()
    with ThreadPoolExecutor(max_workers=16) as pool:
        findings = list(pool.map(lambda item: check(*item), sorted(packages.items())))
    by_status: dict[str, list[Finding]] = {}
    for finding in findings:
        by_status.setdefault(finding.status, []).append(finding)
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=1))
    for finding in by_status.get("vulnerable", []):
        for vuln in finding.vulns:
            print(f"VULNERABLE {finding.name} {finding.version}: {vuln['id']} (fixed in: {vuln['fixed_in']})")
    audited = len(by_status.get("audited", [])) + len(by_status.get("vulnerable", []))
    stale = ", ".join(f"{f.name} {f.version} (latest {f.latest})" for f in by_status.get("not-latest", []))
    print(
        f"pypi-latest-audit: {len(findings)} packages, {audited} audited at their latest release, "
        f"{len(by_status.get('vulnerable', []))} vulnerable, "
        f"{len(by_status.get('not-latest', []))} not audited (older than latest), "
        f"{len(by_status.get('unreachable', []))} unreachable"
    )
    if stale:
        print(f"not audited (older than the latest release): {stale}", file=sys.stderr)
    if by_status.get("vulnerable"):
        return 1
    return 0 if audited else 2


if __name__ == "__main__":
    sys.exit(main())
