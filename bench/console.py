"""Console latency: p95 of the curator queue and the R27 registry with 100,000 cases in PostgreSQL,
under 20 concurrent signed-in users (httpx against uvicorn in its own process). Target: p95 < 300 ms.

    python -m bench.console [--dsn postgresql+psycopg://postgres@127.0.0.1:5432/otklik_bench]
                            [--cases 100000] [--users 20] [--requests 30] [--reseed]

The database is created and seeded on first use (COPY, ~seconds) and reused after. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cases.db import make_engine, migrate, session_factory
from cases.models import Case, Person
from cases.seed import load_region
from console.passwords import hash_password
from otklik.settings import REPO_ROOT

DEFAULT_DSN = "postgresql+psycopg://postgres@127.0.0.1:5432/otklik_bench"
PASSWORD = "bench-password-123"
REGION = REPO_ROOT / "regions" / "kuzbass"
QUEUE_OPEN = 400  # cases waiting for the curator, the rest published or in work
NETWORKS = ["vk", "ok", "twitter", "telegram", "instagram", "blog"]
PLACES = ["kemerovo", "novokuznetsk", "prokopyevsk", "belovo", "mezhdurechensk", "kiselevsk", "yurga"]
TOPICS = ["ЖКХ", "Дороги", "Здравоохранение", "Образование", "Транспорт", "Благоустройство"]
TEXTS = [
    "Во дворе на улице {n} в Кемерове неделю не вывозят мусор.",
    "Новокузнецк, остановка у дома {n}: автобус 28 не ходит по расписанию.",
    "Прокопьевск, поликлиника №{n}: не дозвониться до регистратуры.",
    "Белово, улица Советская {n}: яма на дороге, машины объезжают по тротуару.",
]


def _bench_dsn() -> str:
    """The test server's address with our own database: the seed truncates tables, never the shared test DB."""
    test = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    return make_url(test).set(database="otklik_bench").render_as_string(hide_password=False) if test else DEFAULT_DSN


def _pg_url(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(dsn: str) -> None:
    url = make_url(dsn)
    admin = url.set(database="postgres", drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{url.database}"')


def seed(dsn: str, n: int, reseed: bool) -> int:
    """Bulk rows through COPY; the engine's own actions are too slow for 100k and are tested elsewhere."""
    engine = make_engine(dsn)
    migrate(engine)
    with session_factory(engine)() as db:
        load_region(db, REGION)
        pw = hash_password(PASSWORD)
        for person in db.scalars(select(Person)):
            person.password_hash = pw
        db.commit()
        have = int(db.scalar(select(func.count(Case.id))) or 0)
    engine.dispose()
    if have >= n and not reseed:
        return have
    rnd = random.Random(65)
    now = datetime.now(UTC)
    agencies = [f"adm-{p}" for p in PLACES] + ["min-zhkh", "min-health", "min-transport"]
    with psycopg.connect(_pg_url(dsn)) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE posts, suggestions, cases, assignments, clocks, drafts, audit_log, audit_heads, outbox, "
                    "case_repeats, breaches RESTART IDENTITY CASCADE")
        with cur.copy("COPY posts (id, uid, network, url, author_id, author_name, text, created_at, collected_at, "
                      "surfaced_at, version, deleted, raw) FROM STDIN") as cp:
            for i in range(1, n + 1):
                at = now - timedelta(minutes=(n - i) * 3)
                net = NETWORKS[i % len(NETWORKS)]
                cp.write_row((i, f"{net}:-{1000 + i % 97}:{i}", net, f"https://vk.com/wall-1_{i}", f"id{i}",
                              "Житель Кузбасса", rnd.choice(TEXTS).format(n=i % 300), at, at, at, 1, False,
                              json.dumps({"metrics": {"likes": i % 40, "reposts": i % 7, "comments": i % 13,
                                                      "views": i % 900},
                                          "author": {"id": f"id{i}", "name": "Житель Кузбасса",
                                                     "followers": None if i % 10 == 0 else (i * 37) % 25000}})))
        open_from = n - QUEUE_OPEN
        with cur.copy("COPY suggestions (post_id, post_version, model_version, data, created_at) FROM STDIN") as cp:
            for i in range(open_from, n + 1):
                cp.write_row((i, 1, "bench", json.dumps({
                    "topics": [{"topic": TOPICS[i % len(TOPICS)], "confidence": 0.8}],
                    "location": {"municipality": PLACES[i % len(PLACES)], "confidence": 0.9},
                    "importance": {"label": "high" if i % 11 == 0 else "normal", "reasons": []},
                    "routes": [{"agency": agencies[i % len(agencies)], "confidence": 0.7}]}), now))
        with cur.copy("COPY cases (id, post_id, state, topic, municipality, importance, shortened, detected_at, "
                      "opened_at, updated_at, closed_at) FROM STDIN") as cp:
            for i in range(1, n + 1):
                at = now - timedelta(minutes=(n - i) * 3)
                state = "published" if i < open_from else ("detected" if i % 5 else "in_work")
                closed = at + timedelta(hours=2 + i % 9) if state == "published" else None
                cp.write_row((i, i, state, TOPICS[i % len(TOPICS)], PLACES[i % len(PLACES)],
                              "high" if i % 11 == 0 else "normal", False, at, at, closed or at, closed))
        with cur.copy("COPY assignments (case_id, agency_code, order_no, round_no, state, routed_at) FROM STDIN") as cp:
            for i in range(1, n + 1):
                if i >= open_from and i % 5:
                    continue
                at = now - timedelta(minutes=(n - i) * 3)
                cp.write_row((i, agencies[i % len(agencies)], 1, 1, "closed" if i < open_from else "received", at))
        with cur.copy("COPY clocks (case_id, kind, started_at, due_at, warn_at, stopped_at) FROM STDIN") as cp:
            for i in range(1, n + 1):
                at = now - timedelta(minutes=(n - i) * 3)
                due = at + timedelta(hours=8)
                if i < open_from:
                    cp.write_row((i, "reply", at, due, due - timedelta(hours=1), at + timedelta(hours=2 + i % 9)))
                else:
                    for kind, hours in (("routing", 0.5), ("draft", 4), ("reply", 8)):
                        d = at + timedelta(hours=hours)
                        cp.write_row((i, kind, at, d, d - timedelta(minutes=10), None))
        for table in ("posts", "cases", "assignments", "clocks"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return n


def app_factory() -> Any:
    """Each uvicorn worker builds its own app (and connection pool) from the environment."""
    from console.app import create_app
    from console.config import ConsoleConfig

    config = ConsoleConfig(database_dsn=os.environ["OTKLIK_BENCH_DSN"], secret_key="bench-" + "k" * 40,
                           region_dir=REGION)
    return create_app(config)


def serve(dsn: str, port: int, workers: int) -> None:
    import uvicorn

    os.environ["OTKLIK_BENCH_DSN"] = dsn
    uvicorn.run("bench.console:app_factory", factory=True, host="127.0.0.1", port=port, workers=workers,
                log_level="warning", access_log=False, timeout_keep_alive=30)


async def _user(base: str, login: str, paths: list[str], requests: int, out: dict[str, list[float]],
                think: float, rnd: random.Random) -> None:
    """One official: sign in, then page after page with an exponential pause (mean ``think`` s) between."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        page = (await client.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        r = await client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token.group(1)})
        if r.status_code != 303:
            raise RuntimeError(f"sign-in as {login} failed: HTTP {r.status_code}")
        for k in range(requests):
            if think > 0:
                await asyncio.sleep(rnd.expovariate(1 / think))
            path = paths[k % len(paths)]
            start = time.perf_counter()
            r = await client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
            if r.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {r.status_code}")
            out.setdefault(path.split("?")[0] + ("?filtered" if "?" in path else ""), []).append(elapsed)


def _tree_cpu_s(pid: int) -> float:
    """User+system CPU seconds of a process and its live children (the uvicorn workers), from /proc.

    Wall-clock latency on a shared 2-core machine swings with everyone else's load; CPU per request
    is the number that says whether a change made the console cheaper.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f"/proc/{p}/task"):
                todo.extend(int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def load(base: str, users: int, requests: int, think: float) -> dict[str, list[float]]:
    """Half the users are curators (queue + registry), half analysts (registry with filters and paging)."""
    out: dict[str, list[float]] = {}
    rnd = random.Random(27)
    jobs = []
    for u in range(users):
        if u % 2 == 0:
            jobs.append(_user(base, "curator" if u % 4 == 0 else "curator2", ["/queue", "/registry"], requests, out,
                              think, rnd))
        else:
            jobs.append(_user(base, "analyst", ["/registry", "/registry?network=vk&timely=on_time&page=3",
                                                "/registry?municipality=kemerovo&importance=high"], requests, out,
                              think, rnd))
    await asyncio.gather(*jobs)
    return out


def _summary(timings: dict[str, list[float]], wall: float, server_cpu_s: float) -> dict[str, Any]:
    n = sum(len(v) for v in timings.values())
    endpoints = {
        path: {"n": len(v), "p50_ms": _p(v, 0.5), "p95_ms": _p(v, 0.95), "max_ms": round(max(v), 1),
               "mean_ms": round(statistics.fmean(v), 1)}
        for path, v in sorted(timings.items())
    }
    return {"requests": n, "throughput_rps": round(n / wall, 1),
            "server_cpu_ms_per_request": round(server_cpu_s * 1000 / max(n, 1), 1), "endpoints": endpoints,
            "p95_ok": all(e["p95_ms"] < 300 for e in endpoints.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default=_bench_dsn(), help="its database is TRUNCATEd and re-seeded")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30, help="requests per user")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's requests, s")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.dsn, args.port, args.workers)
        return
    ensure_database(args.dsn)
    t0 = time.perf_counter()
    cases = seed(args.dsn, args.cases, args.reseed)
    seed_s = time.perf_counter() - t0
    server = subprocess.Popen([sys.executable, "-m", "bench.console", "--serve", "--dsn", args.dsn,
                               "--port", str(args.port), "--workers", str(args.workers)], cwd=str(REPO_ROOT))
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("console did not start")
            time.sleep(0.2)
        asyncio.run(load(base, 4, 4, 0))  # warm-up: templates compiled, pools filled, in every worker
        c1, t1 = _tree_cpu_s(server.pid), time.perf_counter()
        paced = asyncio.run(load(base, args.users, args.requests, args.think))
        c2, t2 = _tree_cpu_s(server.pid), time.perf_counter()
        saturated = asyncio.run(load(base, args.users, max(5, args.requests // 3), 0))
        c3, t3 = _tree_cpu_s(server.pid), time.perf_counter()
    finally:
        server.terminate()
        server.wait(timeout=15)
    result: dict[str, Any] = {
        "bench": "console",
        "cases": cases,
        "users": args.users,
        "workers": args.workers,
        "seed_s": round(seed_s, 1),
        "target_p95_ms": 300,
        "load_average": round(os.getloadavg()[0], 1),
        f"paced_think_{args.think}s": _summary(paced, t2 - t1, c2 - c1),
        "saturated_no_think": _summary(saturated, t3 - t2, c3 - c2),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
