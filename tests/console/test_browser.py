"""Real headless Chromium through Playwright: one case from a new post to a published reply, through the pages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.testing import TEST_PASSWORD, ConsoleFixture, FakeClock, SamplePost, make_console, serve
from tests.conftest import in_ci

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=ru-RU"]
SHOTS_ENV = "OTKLIK_SCREENSHOTS_DIR"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if in_ci():
            pytest.fail(f"CI=true but {CHROMIUM} is missing (apt-get install chromium)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("CI=true but playwright is not installed", pytrace=False)
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def live_fx(tmp_path: Path) -> ConsoleFixture:
    """Near the real time, so the browser's own countdowns agree with the server's."""
    return make_console(tmp_path, clock=FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)))


def _login(page: Any, base: str, login: str) -> None:
    page.context.clear_cookies()  # a signed-in visitor of /login is sent home instead
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _shot(page: Any, tmp: Path, name: str) -> None:
    path = tmp / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    target = os.environ.get(SHOTS_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def test_r27_curator_and_executor_take_a_post_to_a_published_reply(browser: Any, live_fx: ConsoleFixture,
                                                                   tmp_path: Path) -> None:
    fx = live_fx
    hostile = fx.add_post(SamplePost("Кемерово <script>window.pwned=1</script><img src=x onerror=window.pwned=2>"),
                          "vk:-40001:1")
    case_id = fx.case_ids[0]
    errors: list[str] = []
    with serve(fx.app) as base:
        cur_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        exe_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        cur, exe = cur_ctx.new_page(), exe_ctx.new_page()
        for p in (cur, exe):
            p.on("pageerror", lambda e: errors.append(str(e)))

        # curator: queue -> accept the suggestion and route with one action
        _login(cur, base, "curator")
        assert cur.url.endswith("/queue")
        assert cur.evaluate("window.pwned") is None  # the hostile post stayed text
        assert "<script>window.pwned=1</script>" in cur.inner_text(f"article[data-case='{hostile}'] .post-text")
        _shot(cur, tmp_path, "queue")
        item = cur.locator(f"article[data-case='{case_id}']")
        assert item.locator("input[name=agencies]").input_value() == "adm-kemerovo"
        item.locator("button:has-text('Принять и направить')").click()
        cur.wait_for_load_state()
        assert "классифицировано и направлено" in cur.inner_text(".flash")

        fx.clock.advance(minutes=7)
        # executor: inbox -> receive -> draft with a live length counter
        _login(exe, base, "kem-exec1")
        assert exe.url.endswith("/inbox")
        exe.locator(f"article[data-case='{case_id}'] button:has-text('Принять в работу')").click()
        exe.wait_for_load_state()
        _shot(exe, tmp_path, "inbox")
        exe.goto(f"{base}/cases/{case_id}")
        reply = "Здравствуйте! Аварийная бригада устранила порыв, горячая вода подана в 16:00."
        exe.fill("textarea[name=text]", reply)
        assert exe.inner_text(".counter").startswith(f"{len(reply)} / 4096")
        _shot(exe, tmp_path, "draft")
        exe.click("button:has-text('Направить куратору')")
        exe.wait_for_load_state()
        assert "на согласование" in exe.inner_text(".flash")

        fx.clock.advance(minutes=7)
        # curator: approval
        cur.goto(f"{base}/approval")
        _shot(cur, tmp_path, "approval")
        cur.locator(f"article[data-case='{case_id}'] button:has-text('Согласовать')").click()
        cur.wait_for_load_state()
        assert "согласован" in cur.inner_text(".flash")

        fx.clock.advance(minutes=7)
        # executor: posted by hand with the link (R16)
        exe.goto(f"{base}/cases/{case_id}")
        exe.fill("input[name=url]", "https://vk.com/wall-10001_501?reply=88")
        exe.click("button:has-text('Отметить размещение')")
        exe.wait_for_load_state()
        assert "ответ опубликован" in exe.inner_text("h1")
        _shot(exe, tmp_path, "case")

        fx.clock.advance(minutes=7)
        # registry shows it
        cur.goto(f"{base}/registry")
        row = cur.locator(f"table.registry a[href='/cases/{case_id}']")
        assert row.count() == 1
        _shot(cur, tmp_path, "registry")
        cur.goto(f"{base}/cases/{case_id}")
        assert "ответ опубликован" in cur.inner_text("h1")
        _login(cur, base, "admin")
        _shot(cur, tmp_path, "admin")
        cur_ctx.close()
        exe_ctx.close()
    assert errors == []


def test_queue_is_live_and_keyboard_accepts_the_first_post(browser: Any, live_fx: ConsoleFixture) -> None:
    """A post arriving while the curator watches appears by HTMX polling; j then a accepts and routes it."""
    fx = live_fx
    with serve(fx.app) as base:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        page = context.new_page()
        _login(page, base, "curator")
        new_id = fx.add_post(SamplePost("Междуреченск, улица Кузнецкая: опять отключили свет без предупреждения",
                                        municipality="mezhdurechensk", importance="high"), "vk:-60001:9")
        page.wait_for_selector(f"article[data-case='{new_id}']", timeout=15_000)
        first = page.locator("article.item").first.get_attribute("data-case")
        page.keyboard.press("j")
        assert "selected" in (page.locator("article.item").first.get_attribute("class") or "")
        page.keyboard.press("a")
        page.wait_for_selector(".flash")
        assert f"Дело {first}: классифицировано и направлено" in page.inner_text(".flash")
        context.close()


def test_admin_edits_region_data_and_people_in_the_browser(browser: Any, tmp_path: Path) -> None:
    """A broken routing rule is refused with the loader's message and the text kept; the fix saves; a person is made."""
    from cases.config import DEFAULT_REGION_DIR

    regions = tmp_path / "regions"
    shutil.copytree(DEFAULT_REGION_DIR, regions / "kuzbass")
    shutil.copytree(DEFAULT_REGION_DIR.parent / "calendars", regions / "calendars")
    fx = make_console(tmp_path, region_dir=regions / "kuzbass", samples=())
    routing = regions / "kuzbass" / "routing.yaml"
    original = routing.read_text(encoding="utf-8")
    with serve(fx.app) as base:
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        page = ctx.new_page()
        _login(page, base, "admin")
        page.goto(f"{base}/admin/region/routing.yaml")
        broken = original + "\n  - {group: no-such-group, agencies: [min-zhkh]}\n"
        page.fill("textarea[name=text]", broken)
        page.click("button:has-text('Проверить и сохранить')")
        page.wait_for_load_state()
        assert "Не сохранено" in page.inner_text(".flash.error")
        assert page.input_value("textarea[name=text]") == broken  # the user's text is kept
        assert routing.read_text(encoding="utf-8") == original
        _shot(page, tmp_path, "admin-region")
        page.fill("textarea[name=text]", original + "\n# проверено администратором\n")
        page.click("button:has-text('Проверить и сохранить')")
        page.wait_for_load_state()
        assert "routing.yaml сохранён" in page.inner_text(".flash")
        assert routing.read_text(encoding="utf-8").endswith("# проверено администратором\n")

        page.goto(f"{base}/admin/people")
        page.fill("input[name=login]", "nkz-exec7")
        page.fill("input[name=full_name]", "Орлова Наталья Сергеевна")
        page.select_option("select[name=role]", "executor")
        page.select_option("select[name=agency]", "adm-novokuznetsk")
        page.fill("input[name=password]", "Novokuznetsk-2026")
        page.click("button:has-text('Создать')")
        page.wait_for_load_state()
        assert "nkz-exec7 создан" in page.inner_text(".flash")
        _shot(page, tmp_path, "admin-people")
        ctx.close()
