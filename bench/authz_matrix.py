"""Writes docs/authorization-matrix.md from the console's real answers and prints a JSON summary.

Run: .venv/bin/python -m bench.authz_matrix [--out docs/authorization-matrix.md]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from console.authz_matrix import ROLES, markdown, prepare, probe_all

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "authorization-matrix.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = probe_all(prepare(Path(tmp)))
    args.out.write_text(markdown(result), encoding="utf-8")
    per_role = {role: dict(Counter(row[role] for row in result.values())) for role in ROLES}
    print(json.dumps({"routes": len(result), "roles": len(ROLES), "checks": len(result) * len(ROLES),
                      "outcomes_per_role": per_role, "written": str(args.out)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
