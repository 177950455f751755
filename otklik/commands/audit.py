"""``otklik audit verify``: prove the audit log (R23) is intact, or say exactly where it was tampered with.

Exit codes: 0 intact, 1 tampering found, 2 usage, connection or anchor-file errors. The printed anchor
digest (and the file written by ``--save-anchor``) belongs outside the database: a later
``--anchor FILE`` then exposes even a rewrite that recomputed every hash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, TextIO

import typer
from sqlalchemy.exc import SQLAlchemyError

from cases.audit import AnchorError, AuditReport, read_anchor, verify
from cases.db import check, make_engine, session_factory
from otklik.settings import get_settings

NAME = "audit"
APP = typer.Typer(help="Журнал аудита (R23): проверка цепочек хешей.", no_args_is_help=True)

MAX_ANCHOR_LINE = 200


def _lines(f: TextIO) -> Iterator[str]:
    """Anchor lines, each cut at a sane length (a cut line is then refused as malformed)."""
    return iter(lambda: f.readline(MAX_ANCHOR_LINE), "")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"ERROR: {message}", err=True)
    return typer.Exit(code=2)


def _print(report: AuditReport, saved: Path | None) -> None:
    status = "INTACT" if report.ok else "TAMPERING FOUND"
    typer.echo(f"audit log: {status}: {report.records} records in {report.chains} chains checked")
    if report.anchor_checked:
        typer.echo(f"anchor: {report.anchor_checked} anchored chain heads checked")
    for f in report.findings:
        seq = "-" if f.seq is None else f.seq
        rid = "-" if f.record_id is None else f.record_id
        typer.echo(f"  {f.chain} seq={seq} record={rid} {f.problem}: {f.message}")
    if report.findings_total > len(report.findings):
        typer.echo(f"  ... and {report.findings_total - len(report.findings)} more findings")
    typer.echo(f"anchor digest: {report.anchor}")
    if saved is not None:
        typer.echo(f"anchor saved to {saved}: keep it (and the digest) outside this database")


@APP.command("verify")
def verify_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    anchor: Annotated[
        Path | None, typer.Option("--anchor", help="Anchor file from an earlier run: its records must still match.")
    ] = None,
    save_anchor: Annotated[
        Path | None,
        typer.Option("--save-anchor", help="Write the current chain heads here (new file, only if intact)."),
    ] = None,
) -> None:
    """Re-hash every audit chain and compare it with the stored heads (and an earlier anchor)."""
    if save_anchor is not None and save_anchor.exists():
        raise _fail(f"{save_anchor} already exists; an earlier anchor is never overwritten")
    if anchor is not None and not anchor.is_file():
        raise _fail(f"anchor file {anchor} not found")
    dsn = get_settings().database_dsn
    problem = check(dsn)
    if problem is not None:
        raise _fail(problem)
    tmp = save_anchor.with_name(save_anchor.name + ".part") if save_anchor is not None else None
    intact = False
    try:
        report = _run(dsn, anchor, tmp)
        intact = report.ok
    except AnchorError as exc:
        raise _fail(f"anchor file {anchor}: {exc}") from exc
    except ValueError as exc:  # a stored value the database itself cannot read back (SQLite types are loose)
        typer.echo(f"audit log: TAMPERING FOUND: a record cannot be read: {str(exc)[:200]}")
        raise typer.Exit(code=1) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise _fail(f"cannot read the workflow database: {reason}") from exc
    except OSError as exc:
        raise _fail(f"cannot use the anchor file: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None and tmp.exists() and not intact:
            tmp.unlink()  # half-written, or the log is not intact: never a trusted anchor
    saved = None
    if tmp is not None and save_anchor is not None and tmp.exists():
        os.replace(tmp, save_anchor)
        saved = save_anchor
    if as_json:
        out = report.to_dict()
        out["anchor_saved"] = str(saved) if saved is not None else None
        typer.echo(json.dumps(out, ensure_ascii=False))
    else:
        _print(report, saved)
        if save_anchor is not None and saved is None:
            typer.echo("anchor NOT saved: the log is not intact")
    raise typer.Exit(code=0 if report.ok else 1)


def _run(dsn: str, anchor: Path | None, heads_to: Path | None) -> AuditReport:
    engine = make_engine(dsn)
    try:
        with ExitStack() as files, session_factory(engine)() as session:
            anchor_in = files.enter_context(anchor.open(encoding="ascii", errors="replace")) if anchor else None
            heads_out = files.enter_context(heads_to.open("w", encoding="ascii")) if heads_to else None
            return verify(
                session,
                anchor=read_anchor(_lines(anchor_in)) if anchor_in is not None else None,
                heads_out=heads_out,
            )
    finally:
        engine.dispose()
