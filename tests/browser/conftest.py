"""The review console in headless Chromium (Debian's /usr/bin/chromium driven by Playwright for
Python; never `playwright install`, see (docs/stack-notes.md, "Browser tests")) against the local runtime
started as a subprocess on free ports by ``local.launcher`` (the same helper the end-to-end
suite and the bench use).

Screenshots of the main views go to ``artifacts/screenshots/`` (git-ignored); one of them is
copied to ``docs/console.png`` for the README.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.e2e.conftest as e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LAPTOP = {"width": 1366, "height": 820}
TABLET = {"width": 768, "height": 1024}


# The end-to-end suite's fixtures, shared rather than copied: `runtime` (python -m local as a
# subprocess on free ports, with its demo data) and `api` (a client with tokens per user). This
# directory gets its own session instance, so moving the clock here never disturbs e2e journeys.
runtime = e2e.runtime
api = e2e.api


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Console:
    """One person's browser tab on the console (its own context: own sessionStorage)."""

    def __init__(self, browser: Any, runtime: Any, viewport: dict[str, int] = LAPTOP) -> None:
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.url = runtime.urls["console"]
        self.errors: list[str] = []  # uncaught exceptions and missing i18n keys
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if "missing i18n key" in m.text else None,
        )

    def open(self, lang: str | None = None) -> Any:
        if lang:  # the saved choice, as a returning user would have it
            self.page.add_init_script(f"localStorage.setItem('cancelflow.lang', '{lang}')")
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready=true]")
        return self.page

    def sign_in(self, sub: str) -> Any:
        self.page.locator(f"button.user-choice[data-sub='{sub}']").click()
        self.page.wait_for_selector("#sign-out")
        return self.page

    def status(self) -> str:
        return str(self.page.locator("#status").get_attribute("data-message") or "")

    def wait_status(self, text: str) -> str:
        """Wait until the status line (the aria-live region) says ``text``; the page answers a
        response a moment after the browser received it."""
        self.page.wait_for_function(
            "(t) => (document.querySelector('#status').dataset.message || '').includes(t)", arg=text
        )
        return self.status()

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser: Any, runtime: Any) -> Iterator[Console]:
    c = Console(browser, runtime)
    yield c
    c.close()
    assert not c.errors, c.errors


@pytest.fixture
def second_console(browser: Any, runtime: Any) -> Iterator[Console]:
    c = Console(browser, runtime)
    yield c
    c.close()
    assert not c.errors, c.errors


def publish_readme_shot(path: Path) -> None:
    """docs/console.png, the screenshot the README shows: written when missing, or renewed with
    ``CANCELFLOW_UPDATE_DOCS_SHOT=1`` (so an ordinary test run leaves the working tree clean)."""
    target = ROOT / "docs" / "console.png"
    if not target.exists() or os.environ.get("CANCELFLOW_UPDATE_DOCS_SHOT") == "1":
        shutil.copyfile(path, target)
