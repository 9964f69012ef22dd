"""The chat page in headless Chromium (Debian ``chromium``, driven by Playwright): demo sign-in,
pick a patient, ask, streamed answer with numbered citations, click a citation for its source,
break-glass dialog. The screenshot is kept under ``.artifacts/``."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from clinvault.api import create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from tests.api.conftest import Api
from tests.ask.ask_factories import LATEST_HBA1C, NAME_FAMILY, PATIENT_ID
from tests.ask.conftest import CARE_TEAM_LESS, CLINICIAN

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def page_url(api: Api) -> Iterator[str]:
    settings = api.cohort.settings(api={"demo_sign_in": True})
    app = create_app(settings, services=api.services, limiter=InProcessRateLimiter(1000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing in CI (make setup installs it)")
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def test_clinician_asks_and_opens_a_citation(browser: object, page_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
    page.goto(f"{page_url}/chat")
    page.locator(f"#demo-list button[data-user='{CLINICIAN}']").click()
    page.wait_for_selector("#chat:not([hidden])")
    options = page.locator("#patient option").all_text_contents()
    assert any(NAME_FAMILY in option for option in options)
    page.select_option("#patient", f"Patient/{PATIENT_ID}")
    page.fill("#question", "What is the latest HbA1c?")
    page.click("#ask")
    page.wait_for_selector(".sources li")
    assert LATEST_HBA1C in page.locator(".a").first.text_content()
    page.locator(".a .cite").first.click()
    page.wait_for_selector("#source pre")
    assert '"resourceType"' in page.locator("#source pre").text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)
    page.close()


def test_break_glass_dialog(browser: object, page_url: str) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{page_url}/chat")
    page.locator(f"#demo-list button[data-user='{CARE_TEAM_LESS}']").click()
    page.wait_for_selector("#chat:not([hidden])")
    page.fill("#patient-other", f"Patient/{PATIENT_ID}")
    page.fill("#question", "What is the latest HbA1c?")
    page.click("#ask")
    page.wait_for_selector("#break-glass[open]")
    page.fill("#break-glass-reason", "unresponsive in the emergency department")
    page.click("#break-glass-proceed")
    page.wait_for_selector(".flag")
    assert LATEST_HBA1C in page.locator(".a").first.text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-break-glass.png"), full_page=True)
    page.close()
