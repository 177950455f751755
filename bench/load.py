"""Sustained load through the real pipeline: stages as separate processes on Kafka + PostgreSQL.

    python -m bench.load --kafka 127.0.0.1:9096 --postgres postgresql+psycopg://postgres@127.0.0.1:5440/postgres \
        --rate 200 --seconds 60 [--classifiers 1 --intakes 1] [--skip-classifier]

Use a broker of its own (the stages use the fixed topic and group names). Each run gets a fresh
PostgreSQL database and chDB folder. Prints one JSON object: achieved feed rate, sustained
throughput, consumer lag over time, collection -> curator-queue latency p50/p99, peak RSS per
process and the reconciliation (``otklik.reconcile``).

``--skip-classifier`` feeds ``posts.classified`` directly with a neutral suggestion (for
measuring intake + SLA when the classifier is not installed); the JSON says so.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from otklik.bus import BusError, open_bus
from otklik.bus.kafka import KafkaBus
from schemas import Author, ClassifiedPost, Post, Suggestion
from schemas.posts import Geo, Metrics, Network
from schemas.topics import ALL_TOPICS, Topic

REPO = Path(__file__).resolve().parent.parent
OTKLIK = str(Path(sys.executable).with_name("otklik"))

# Synthetic posts: our own sentences, set in Kuzbass; varied enough to exercise the classifier.
PLACES = ["Кемерово", "Новокузнецк", "Прокопьевск", "Междуреченск", "Ленинск-Кузнецкий", "Киселёвск",
          "Белово", "Юрга", "Анжеро-Судженск", "Берёзовский", "Мыски", "Осинники", "Таштагол", "Топки"]
STREETS = ["ул. Весенняя", "пр. Ленина", "ул. Кирова", "пр. Металлургов", "ул. Шахтёров", "ул. Садовая",
           "пр. Октябрьский", "ул. Горная", "ул. Рудничная", "ул. Мира"]
TEMPLATES = [
    "{place}, {street}: третью неделю нет горячей воды, управляющая компания не отвечает.",
    "В {place} на {street} огромная яма на дороге, вчера две машины пробили колёса.",
    "Автобус №{n} в {place} не пришёл утром, люди стояли на остановке больше часа.",
    "{place}: во дворе на {street} не вывозят мусор уже десять дней, контейнеры переполнены.",
    "В поликлинике {place} не записаться к терапевту, талонов нет на две недели вперёд.",
    "Спасибо администрации {place} за новый сквер на {street}, детям очень нравится!",
    "{place}, {street} {n}: после аварии на теплотрассе в квартирах +14, дети болеют.",
    "Когда в {place} отремонтируют школу №{n}? Крыша течёт, в спортзале вёдра.",
    "На {street} в {place} не горят фонари, вечером идти страшно.",
    "В {place} опять угольная пыль от разреза, дышать нечем, куда смотрит экология?",
    "Чиновники {place} — идиоты и бездельники, ничего не делают на {street}.",
    "{place}: в детском саду №{n} нет мест, очередь не движется второй год.",
]
NETWORKS = [Network.VK, Network.VK, Network.VK, Network.OK, Network.TELEGRAM, Network.TWITTER]
STAGE_TOPICS = {"classifier": [Topic.POSTS_RAW], "intake": [Topic.POSTS_CLASSIFIED],
                "sla": [Topic.POSTS_CLASSIFIED, Topic.CASES_EVENTS]}


def make_post(i: int, run: str, rnd: random.Random) -> Post:
    """One synthetic post with a unique uid ``network:owner:run-i``."""
    network = rnd.choice(NETWORKS)
    place = rnd.choice(PLACES)
    body = rnd.choice(TEMPLATES).format(place=place, street=rnd.choice(STREETS), n=rnd.randint(1, 99))
    now = datetime.now(UTC)
    owner = str(rnd.randint(1000, 999_999))
    return Post(uid=f"{network.value}:{owner}:{run}-{i}", network=network, url=f"https://example.org/{run}/{i}",
                author=Author(id=f"id{rnd.randint(1, 10**7)}", name="Житель"), text=body, created_at=now,
                collected_at=now, metrics=Metrics(likes=rnd.randint(0, 300)),
                geo=Geo(lat=55.35, lon=86.08, place_name=place) if rnd.random() < 0.1 else None)


def classifier_problem() -> str | None:
    """Why ``otklik run classifier`` cannot start here (no package, no trained model), or None.

    Checked in a child process so the bench never holds a model it does not run."""
    code = ("from otklik.settings import get_settings\n"
            "from otklik.wiring import classifier_from\n"
            "classifier_from(get_settings())\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    except subprocess.TimeoutExpired:
        return "the classifier did not load within 300 s"
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1][:300] if lines else f"exit code {done.returncode}"


def fresh_database(admin_url: str, name: str) -> str:
    """CREATE DATABASE ``name`` on the server of ``admin_url``; returns its URL."""
    url = make_url(admin_url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(make_url(admin_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _rss_kb(pid: int) -> tuple[int, int]:
    """(current, peak) resident set of ``pid`` from /proc, in KiB; zeros when it is gone."""
    cur = peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return cur, peak


def _system_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving ``database`` (their title names it)."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            found[int(entry.name)] = _cpu_s(int(entry.name))
    return found


@dataclass
class StageProcess:
    """One ``otklik run STAGE`` process; restarted by :class:`Pipeline` when it dies."""

    name: str
    slot: int
    env: dict[str, str]
    logdir: Path
    proc: subprocess.Popen[bytes] | None = None
    peak_rss_kb: int = 0
    cpu_s_done: float = 0.0
    cpu_s_now: float = 0.0
    starts: int = 0
    crashes: int = 0
    hold_until: float = 0.0

    def start(self) -> None:
        self.cpu_s_done += self.cpu_s_now
        self.cpu_s_now = 0.0
        log = (self.logdir / f"{self.name}-{self.slot}.log").open("ab")
        self.proc = subprocess.Popen([OTKLIK, "run", self.name], env=self.env, stdout=log, stderr=log,
                                     cwd=REPO, start_new_session=True)
        log.close()
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sample(self) -> None:
        if self.alive and self.proc is not None:
            self.peak_rss_kb = max(self.peak_rss_kb, _rss_kb(self.proc.pid)[1])
            self.cpu_s_now = max(self.cpu_s_now, _cpu_s(self.proc.pid))

    def kill9(self, hold_s: float = 0.0) -> None:
        if self.proc is not None and self.alive:
            self.sample()
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.hold_until = time.monotonic() + hold_s

    def stop(self) -> None:
        if self.proc is not None and self.alive:
            self.sample()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Services:
    bootstrap: str
    database_url: str
    data_dir: Path
    partitions: int = 6

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
        env.update(OTKLIK_KAFKA_BOOTSTRAP=self.bootstrap, OTKLIK_DATABASE_URL=self.database_url,
                   OTKLIK_DATA_DIR=str(self.data_dir), OTKLIK_KAFKA_PARTITIONS=str(self.partitions),
                   OTKLIK_LOG_LEVEL="WARNING")
        return env


@dataclass
class Pipeline:
    """The stage processes of one run, supervised like ``restart: unless-stopped`` in compose."""

    services: Services
    counts: dict[str, int]
    procs: list[StageProcess] = field(default_factory=list)
    backend_cpu: dict[int, float] = field(default_factory=dict)

    def prepare(self) -> None:
        """Topics, workflow schema and analytics schema, once, before any stage starts."""
        self.services.data_dir.mkdir(parents=True, exist_ok=True)
        bus = open_bus(f"kafka://{self.services.bootstrap}", partitions=self.services.partitions)
        bus.ensure_topics(ALL_TOPICS)
        bus.close()
        subprocess.run([OTKLIK, "migrate"], env=self.services.env(), cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        env = self.services.env()
        for name, count in self.counts.items():
            for slot in range(count):
                proc = StageProcess(name, slot, env, self.services.data_dir)
                proc.start()
                self.procs.append(proc)

    def stage(self, name: str) -> list[StageProcess]:
        return [p for p in self.procs if p.name == name]

    def supervise(self) -> None:
        """Restart every stage that exited (crash or our kill) once its hold time is over."""
        now = time.monotonic()
        database = self.services.database_url.rsplit("/", 1)[-1]
        for pid, cpu in _backend_cpu(database).items():
            self.backend_cpu[pid] = max(self.backend_cpu.get(pid, 0.0), cpu)
        for p in self.procs:
            p.sample()
            if not p.alive and now >= p.hold_until:
                if p.proc is not None and p.proc.returncode not in (None, -signal.SIGKILL):
                    p.crashes += 1
                p.hold_until = now + 1.0  # back off: a stage that cannot start is retried each second
                p.start()

    def stop(self) -> None:
        for p in self.procs:
            p.stop()

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in self.procs:
            out[f"{p.name}-{p.slot}"] = {"peak_rss_mb": round(p.peak_rss_kb / 1024, 1),
                                         "cpu_s": round(p.cpu_s_done + p.cpu_s_now, 1), "starts": p.starts,
                                         "crashes": p.crashes}
        out["postgres-backends"] = {"cpu_s": round(sum(self.backend_cpu.values()), 1)}
        return out


class Feeder:
    """Publishes synthetic posts at a set rate; a batch the broker refused is sent again (at least once)."""

    def __init__(self, bus: KafkaBus, run: str, skip_classifier: bool, seed: int = 8,
                 edit_share: float = 0.02, resend_share: float = 0.01) -> None:
        self.bus = bus
        self.producer = bus.producer()
        self.run = run
        self.skip_classifier = skip_classifier
        self.rnd = random.Random(seed)
        self.edit_share = edit_share
        self.resend_share = resend_share
        self.sent: list[str] = []
        self.messages = 0
        self.retries = 0
        self._recent: list[Post] = []

    def _encode(self, post: Post) -> tuple[str, bytes]:
        if self.skip_classifier:
            return Topic.POSTS_CLASSIFIED, ClassifiedPost(
                post=post, suggestion=Suggestion(model_version="bench-passthrough")).to_bytes()
        return Topic.POSTS_RAW, post.to_bytes()

    def send(self, n: int, run: str | None = None) -> None:
        """``run`` tags the uids (default: this run's); warm-up posts get their own tag so the latency
        figures leave them out, while the reconciliation still counts them."""
        batch: list[Post] = []
        for _ in range(n):
            roll = self.rnd.random()
            if self._recent and roll < self.edit_share:
                old = self.rnd.choice(self._recent)
                batch.append(old.model_copy(update={"version": 2, "collected_at": datetime.now(UTC),
                                                    "text": old.text + " Дополнение: ничего не изменилось."}))
                continue
            if self._recent and roll < self.edit_share + self.resend_share:
                batch.append(self.rnd.choice(self._recent))  # a collector delivering the same version twice
                continue
            post = make_post(len(self.sent), run or self.run, self.rnd)
            self.sent.append(post.uid)
            self._recent = [*self._recent[-200:], post]
            batch.append(post)
        encoded = [(post.uid, *self._encode(post)) for post in batch]
        while True:
            try:
                for uid, topic, value in encoded:
                    self.producer.publish(topic, uid, value)
                self.producer.flush()
                self.messages += len(encoded)
                return
            except BusError:
                self.retries += 1
                time.sleep(1.0)

    def close(self) -> None:
        self.producer.close()


def group_lag(bus: KafkaBus, admin: Any, group: str, topics: list[str]) -> int:
    from kafka.structs import TopicPartition

    committed = admin.list_group_offsets(group).get(group, {})
    total = 0
    for topic in topics:
        for partition, end in bus.end_offsets(topic).items():
            meta = committed.get(TopicPartition(topic, partition))
            total += end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
    return total


class LagSampler:
    """Consumer lag per group, by an admin client rebuilt after a failure: a broker that is down (a drill)
    or still creating its offsets topic (just started) gives no sample, and the next call tries again."""

    def __init__(self, services: Any, groups: dict[str, list[str]]) -> None:
        self.bootstrap = services.bootstrap
        self.groups = groups
        self.bus = KafkaBus(services.bootstrap, partitions=services.partitions)
        self.admin: Any = None
        self.error: str | None = None

    def sample(self) -> dict[str, int] | None:
        from kafka import KafkaAdminClient

        try:
            if self.admin is None:
                self.admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
            lags = {g: group_lag(self.bus, self.admin, g, t) for g, t in self.groups.items()}
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self._close_admin()
            return None
        self.error = None
        return lags

    def _close_admin(self) -> None:
        if self.admin is not None:
            self.admin.close()
        self.admin = None

    def close(self) -> None:
        self._close_admin()
        self.bus.close()


def outbox_pending(sessions: Callable[[], Any]) -> int:
    with sessions() as session:
        return int(session.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() or 0)


def latencies(sessions: Callable[[], Any], run: str) -> dict[str, Any]:
    """Collection -> surfaced in the curator queue, for this run's posts (uids ``net:owner:RUN-i``), first
    versions only (an edit rewrites collected_at); leftovers of an earlier run on the same broker don't count."""
    pattern = {"p": f"%:{run}-%"}
    with sessions() as session:
        rows = session.execute(text(
            "SELECT EXTRACT(EPOCH FROM surfaced_at - collected_at) FROM posts WHERE version = 1 AND uid LIKE :p"),
            pattern).scalars().all()
        span = session.execute(text("SELECT min(surfaced_at), max(surfaced_at), count(*) FROM posts"
                                    " WHERE uid LIKE :p"), pattern).one()
    values = sorted(float(v) for v in rows)
    if not values:
        return {"count": 0}

    def pct(q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))], 3)

    seconds = (span[1] - span[0]).total_seconds() if span[2] > 1 else 0.0
    return {"count": len(values), "p50_s": pct(0.50), "p99_s": pct(0.99), "max_s": round(values[-1], 3),
            "cases_per_s_while_surfacing": round(span[2] / seconds, 1) if seconds else None}


@contextmanager
def services_for_run(bootstrap: str, admin_url: str, workdir: Path, partitions: int,
                     keep: bool = False) -> Iterator[Services]:
    name = f"otklik_load_{uuid.uuid4().hex[:8]}"
    url = fresh_database(admin_url, name)
    try:
        yield Services(bootstrap, url, workdir / name, partitions)
    finally:
        if not keep:
            drop_database(admin_url, name)


Tick = Callable[[float], None]


def drive(pipeline: Pipeline, feeder: Feeder, rate: float, seconds: float, *,
          on_tick: Tick | None = None, drain_timeout_s: float = 120.0) -> dict[str, Any]:
    """Feed for ``seconds`` at ``rate``, then wait for every group to drain; ``on_tick(elapsed)`` lets a
    drill inject faults. Returns feed, lag and drain figures."""
    groups = {name: [str(t) for t in STAGE_TOPICS[name]] for name in pipeline.counts}
    lagger = LagSampler(pipeline.services, groups)
    lag_series: list[dict[str, Any]] = []
    sessions = _sessions(pipeline.services.database_url)

    def sample_lag(elapsed: float) -> dict[str, int] | None:
        lags = lagger.sample()
        if lags is not None:
            lag_series.append({"t": round(elapsed, 1), **lags})
        return lags

    sent0, messages0 = len(feeder.sent), feeder.messages  # a warm-up before is not part of the figures
    start = time.monotonic()
    busy0, total0 = _system_busy()
    load0 = os.getloadavg()
    next_sample = 0.0
    step = 0.1
    owed = 0.0
    while (elapsed := time.monotonic() - start) < seconds:
        owed += rate * step
        n = int(owed)
        owed -= n
        if n:
            feeder.send(n)
        if on_tick is not None:
            on_tick(elapsed)
        if elapsed >= next_sample:
            pipeline.supervise()
            sample_lag(elapsed)
            next_sample += 1.0
        time.sleep(max(0.0, start + elapsed + step - time.monotonic()))
    feed_s = time.monotonic() - start
    busy1, total1 = _system_busy()
    load1 = os.getloadavg()
    drained_at = None
    while time.monotonic() - start < seconds + drain_timeout_s:
        elapsed = time.monotonic() - start
        if on_tick is not None:
            on_tick(elapsed)
        pipeline.supervise()
        lags = sample_lag(elapsed)
        try:
            pending = outbox_pending(sessions)
        except Exception:
            pending = -1
        if lags is not None and not any(lags.values()) and pending == 0:
            drained_at = elapsed
            break
        time.sleep(1.0)
    lagger.close()
    posts = len(feeder.sent) - sent0
    return {
        "feed_rate_target": rate,
        "feed_s": round(feed_s, 1),
        "posts_sent": posts,
        "messages_sent": feeder.messages - messages0,
        "feed_rate_achieved": round((feeder.messages - messages0) / feed_s, 1),
        "feed_retries": feeder.retries,
        "machine_cpu_busy_while_feeding_pct": round(100 * (busy1 - busy0) / max(1.0, total1 - total0), 1),
        # The machine is shared: other work competes for the same cores, so say how busy it was.
        "load_average_1_5_15": {"feed_start": [round(v, 2) for v in load0], "feed_end": [round(v, 2) for v in load1]},
        "lag_at_start": lag_series[0] if lag_series else None,
        "drained": drained_at is not None,
        "drain_after_feed_s": round(drained_at - feed_s, 1) if drained_at is not None else None,
        "sustained_posts_per_s": round(posts / drained_at, 1) if drained_at else None,
        "lag_max": {g: max((s.get(g, 0) for s in lag_series), default=0) for g in groups},
        "lag_final": {g: lag_series[-1].get(g) for g in groups} if lag_series else {},
        "lag_series": lag_series[:: max(1, len(lag_series) // 30)],
    }


def warm_up(pipeline: Pipeline, feeder: Feeder, posts: int, timeout_s: float = 300.0) -> float:
    """Send ``posts`` and wait until every group has drained them and the outbox is empty; returns the
    seconds it took. Stages load models and join their groups first: a feed started at once measures
    that start-up backlog instead of the sustained pipeline (the figure is reported on its own)."""
    start = time.monotonic()
    feeder.send(posts, run=f"{feeder.run}w")
    lagger = LagSampler(pipeline.services, {g: [str(t) for t in STAGE_TOPICS[g]] for g in pipeline.counts})
    sessions = _sessions(pipeline.services.database_url)
    try:
        while time.monotonic() - start < timeout_s:
            pipeline.supervise()
            lags = lagger.sample()  # None on a fresh broker until it has created its offsets topic
            if lags is not None and not any(lags.values()) and outbox_pending(sessions) == 0:
                return round(time.monotonic() - start, 1)
            time.sleep(0.5)
    finally:
        lagger.close()
    raise RuntimeError(f"the pipeline did not drain {posts} warm-up posts within {timeout_s:.0f} s"
                       + (f" (last lag query failed: {lagger.error})" if lagger.error else ""))


def _sessions(url: str) -> Callable[[], Any]:
    from cases.db import make_engine, session_factory

    return session_factory(make_engine(url))


def result_of(pipeline: Pipeline, feeder: Feeder, figures: dict[str, Any], skip_classifier: bool) -> dict[str, Any]:
    """Latency, memory and the reconciliation of one finished run."""
    from otklik.reconcile import reconcile, rejected_keys

    sessions = _sessions(pipeline.services.database_url)
    bus = KafkaBus(pipeline.services.bootstrap)
    rejected = rejected_keys(bus, f"reconcile-{uuid.uuid4().hex[:8]}") & set(feeder.sent)
    bus.close()
    return {
        **figures,
        "classifier": "skipped (posts.classified fed directly)" if skip_classifier else "real",
        "latency_collect_to_queue": latencies(sessions, feeder.run),
        "processes": pipeline.report(),
        "reconciliation": reconcile(sessions, feeder.sent, rejected),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kafka", default=os.environ.get("OTKLIK_LOAD_KAFKA", "127.0.0.1:9096"))
    parser.add_argument("--postgres", default=os.environ.get("OTKLIK_LOAD_POSTGRES",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5440/postgres"))
    parser.add_argument("--rate", type=float, default=200.0, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--classifiers", type=int, default=1)
    parser.add_argument("--intakes", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--skip-classifier", action="store_true")
    parser.add_argument("--warm-up", type=int, default=200,
                        help="posts sent (and drained) before the timed feed starts; 0 starts it at once")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "otklik-load")
    parser.add_argument("--keep", action="store_true", help="keep the run's database")
    parser.add_argument("--broker-pid", type=int, default=None,
                        help="the Kafka broker's process id: its CPU seconds over the run are reported too")
    parser.add_argument("--drain-timeout", type=float, default=120.0,
                        help="seconds to wait after the feed for every group to drain before reconciling; "
                             "posts still in flight then count as lost")
    args = parser.parse_args(argv)
    counts = {"intake": args.intakes, "sla": 1}
    if not args.skip_classifier:
        problem = classifier_problem()
        if problem is not None:
            parser.error(f"the classifier cannot run ({problem}); use --skip-classifier")
        counts = {"classifier": args.classifiers, **counts}
    with services_for_run(args.kafka, args.postgres, args.workdir, args.partitions, args.keep) as services:
        pipeline = Pipeline(services, counts)
        pipeline.prepare()
        pipeline.start()
        bus = KafkaBus(args.kafka, partitions=args.partitions)
        feeder = Feeder(bus, uuid.uuid4().hex[:8], args.skip_classifier)
        broker_cpu0 = _cpu_s(args.broker_pid) if args.broker_pid else 0.0
        try:
            warm_s = warm_up(pipeline, feeder, args.warm_up) if args.warm_up else None
            figures = drive(pipeline, feeder, args.rate, args.seconds, drain_timeout_s=args.drain_timeout)
            figures = {"warm_up": {"posts": args.warm_up, "drained_after_s": warm_s}, **figures}
        finally:
            feeder.close()
            pipeline.stop()
            bus.close()
        result = result_of(pipeline, feeder, figures, args.skip_classifier)
        if args.broker_pid:
            result["processes"]["kafka-broker"] = {"cpu_s": round(_cpu_s(args.broker_pid) - broker_cpu0, 1)}
    import resource

    result["bench_process_cpu_s"] = round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1)
    result["config"] = {"rate": args.rate, "seconds": args.seconds, "classifiers": args.classifiers,
                        "intakes": args.intakes, "partitions": args.partitions, "cpus": os.cpu_count(),
                        "drain_timeout_s": args.drain_timeout}
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["reconciliation"]["lost"] == 0 and result["reconciliation"]["applied_twice"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
