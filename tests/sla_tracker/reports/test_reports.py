"""R25 monthly and R24 deficiencies reports over a generated month; figures re-computed in plain Python."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from otklik.settings import REPO_ROOT
from sla_tracker.analytics.store import AnalyticsStore
from sla_tracker.reports import deficiencies, monthly, render
from sla_tracker.reports.model import Report, Section
from sla_tracker.reports.region import RegionLabels, load_labels
from tests.sla_tracker.analytics.conftest import open_store
from tests.sla_tracker.analytics.month import NETWORKS, Month, generate, quantile
from tests.sla_tracker.analytics.test_store_queries import load

NOW = datetime(2026, 4, 2, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def month() -> Month:
    return generate(seed=11)


@pytest.fixture(scope="module")
def labels() -> RegionLabels:
    return load_labels(REPO_ROOT / "regions" / "kuzbass")


@pytest.fixture
def store(tmp_path: Path, month: Month) -> Iterator[AnalyticsStore]:
    s = open_store("chdb", tmp_path)
    load(s, month)
    yield s
    s.close()


def section(report: Report, title: str) -> Section:
    return next(s for s in report.sections if s.title.startswith(title))


def test_r25_monthly_report_figures(store: AnalyticsStore, month: Month, labels: RegionLabels) -> None:
    report = monthly.build(store, 2026, 3, labels, now=NOW)
    per_agency = {row[0]: row[1:] for row in section(report, "Своевременность по органам").rows}
    expected = month.timeliness("agency")
    assert set(per_agency) == {labels.agency(a) for a in expected}
    for agency, (clocks, on_time, breached, median, p90) in expected.items():
        got = per_agency[labels.agency(agency)]
        assert got[0] == clocks and got[1] == pytest.approx(on_time / clocks) and got[2] == breached
        assert got[3] == pytest.approx(median) and got[4] == pytest.approx(p90)
    per_clock = {row[0]: row[1] for row in section(report, "Своевременность по срокам").rows}
    assert per_clock[monthly.CLOCK_LABELS["reply"]] == month.timeliness("kind")["reply"][0]

    quality = {row[0]: row[1:] for row in section(report, "Качество работы").rows}
    revisions, drafts = month.transitions("revision"), month.transitions("under_approval")
    assert quality["Возвраты проектов на доработку (R15)"] == [revisions, pytest.approx(revisions / drafts)]
    accepted = sum(a for a, _ in month.acceptance().values())
    decided = sum(d for _, d in month.acceptance().values())
    assert quality["Подсказки системы приняты куратором (R7.1)"] == [accepted, pytest.approx(accepted / decided)]

    networks = {row[0]: row[1:] for row in section(report, "Динамика сообщений по социальным сетям").rows}
    networks = {code: networks[label] for code, label in monthly.VALUE_LABELS["network"].items() if label in networks}
    now_counts, before = month.posts_by("network"), month.posts_by("network", previous=True)
    for net in set(now_counts) | set(before):
        n, b = now_counts.get(net, 0), before.get(net, 0)
        assert networks[net] == [n, b, n - b]
    delay = {row[0]: row[1:] for row in section(report, "Задержка обнаружения").rows}
    delay = {code: delay[label] for code, label in monthly.VALUE_LABELS["network"].items() if label in delay}
    opened_uids = [e.data["post_uid"] for e in month.events if e.type == "opened" and month.in_month(e.at)]
    for net in NETWORKS:
        values = [month.delays[u] for u in opened_uids if u.startswith(f"{net}:")]
        assert delay[net] == [len(values), pytest.approx(quantile(values, 0.5)), pytest.approx(quantile(values, 0.9))]
    munis = {row[0] for row in section(report, "Динамика сообщений по муниципальным").rows}
    assert "Новокузнецкий городской округ" in munis


def test_r25_monthly_report_renders_html_pdf_xlsx_with_charts(store: AnalyticsStore, labels: RegionLabels,
                                                               tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is required to check the PDF renders")
    report = monthly.build(store, 2026, 3, labels, now=NOW)
    paths = render.write_all(report, tmp_path / "out")
    html = paths["html"].read_text("utf-8")
    assert "Своевременность по органам" in html
    charted = sum(1 for s in report.sections if s.chart and s.rows)
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', html)) == charted >= 6
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(paths["pdf"]), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= len(report.sections) + 1
    assert all(p.stat().st_size > 3_000 for p in pages)
    text = subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert "Своевременность по срокам Регламента" in text and "Качество работы" in text
    book = openpyxl.load_workbook(paths["xlsx"])
    assert sum(len(ws._charts) for ws in book.worksheets) == charted


def test_html_escapes_hostile_labels(labels: RegionLabels) -> None:
    report = Report("Отчёт", "<script>alert(1)</script>", NOW,
                    [Section("Темы", ["Тема", "Число"], ["text", "int"], [["<img src=x onerror=1>", 3]])])
    html = render.html(report)
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;img src=x" in html


def test_xlsx_never_stores_formulas_from_labels(tmp_path: Path) -> None:
    report = Report("Отчёт", "", NOW, [Section("Темы", ["Тема", "Число"], ["text", "int"], [["=HYPERLINK(1)", 3]])])
    render.xlsx(report, tmp_path / "r.xlsx")
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[1]["A2"].value == "'=HYPERLINK(1)"


def test_r24_deficiencies_per_agency_and_person_grouped_by_sphere(store: AnalyticsStore, month: Month,
                                                                   labels: RegionLabels, tmp_path: Path) -> None:
    report = deficiencies.build(store, date(2026, 3, 1), date(2026, 3, 31), labels, now=NOW)
    breached = [c for c in month.clocks if month.breached(c) and month.in_month(c.due)]
    spheres = {row[0]: row[1] for row in report.sections[0].rows}
    expected: dict[str, int] = {}
    for c in breached:
        name = labels.sphere(labels.sphere_of(c.agency))
        expected[name] = expected.get(name, 0) + 1
    assert spheres == expected
    assert "Заместитель Губернатора Кузбасса (по внутренней политике)" in spheres  # municipal administrations
    people = {}
    for s in report.sections:
        if s.title.endswith("по исполнителям"):
            people.update({(row[0], row[1]): row[2] for row in s.rows})
    for c in breached:
        assert people[(labels.agency(c.agency), c.person)] == sum(
            1 for d in breached if (d.agency, d.person) == (c.agency, c.person))
    assert len(report.sections[-1].rows) == len(breached)
    paths = render.write_all(report, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths.values())


def test_deficiencies_refuse_a_reversed_period(store: AnalyticsStore, labels: RegionLabels) -> None:
    with pytest.raises(ValueError, match="before it starts"):
        deficiencies.build(store, date(2026, 3, 31), date(2026, 3, 1), labels)
