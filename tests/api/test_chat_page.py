"""The chat page in headless Chromium (Debian ``chromium``, driven by Playwright): demo sign-in,
pick a patient, ask, streamed answer with numbered citations, click a citation for its source,
break-glass dialog. The screenshot is kept under ``.artifacts/``.

The server is wrapped in :class:`PacedStream`, which holds each chunk of the ``/v1/chat``
event stream back a little, as a slow network would: the page must show the answer growing
while the stream is still open, not only once it has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinvault.api import create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from tests.api.conftest import Api
from tests.api.live_server import live_server
from tests.ask.ask_factories import LATEST_HBA1C, NAME_FAMILY, PATIENT_ID
from tests.ask.conftest import CARE_TEAM_LESS, CLINICIAN

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
CHUNK_DELAY_S = 0.03

RECORD_RENDERING = """() => {
  window.renders = [];
  const snapshot = () => {
    const turn = document.querySelector("#turns li:last-child");
    if (!turn) return;
    window.renders.push({
      text: turn.querySelector(".a").textContent,
      links: turn.querySelectorAll(".a .cite").length,
      sources: turn.querySelectorAll(".sources li").length,
      done: turn.dataset.state === "done",
    });
  };
  new MutationObserver(snapshot).observe(document.getElementById("turns"), {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
}"""
"""Records what the newest turn shows after every DOM change (a MutationObserver callback
runs once per task, so chunks read in one go count as one state)."""


class PacedStream:
    """Delays every body chunk of ``POST /v1/chat`` responses by ``delay_s``."""

    def __init__(self, app: ASGIApp, delay_s: float) -> None:
        self.app = app
        self.delay_s = delay_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/chat":
            await self.app(scope, receive, send)
            return

        async def paced(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                await asyncio.sleep(self.delay_s)
            await send(message)

        await self.app(scope, receive, paced)


@pytest.fixture(scope="module")
def page_url(api: Api) -> Iterator[str]:
    settings = api.cohort.settings(api={"demo_sign_in": True})
    app = create_app(settings, services=api.services, limiter=InProcessRateLimiter(1000))
    paced = PacedStream(app, CHUNK_DELAY_S)
    with live_server(paced) as url:
        yield url


def test_clinician_asks_and_opens_a_citation(browser: object, page_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
    page.goto(f"{page_url}/chat")
    page.locator(f"#demo-list button[data-user='{CLINICIAN}']").click()
    page.wait_for_selector("#chat:not([hidden])")
    options = page.locator("#patient option").all_text_contents()
    assert any(NAME_FAMILY in option for option in options)
    page.select_option("#patient", f"Patient/{PATIENT_ID}")
    page.fill("#question", "What is the latest HbA1c?")
    page.evaluate(RECORD_RENDERING)
    page.click("#ask")
    page.wait_for_selector("#turns li[data-state='done']")
    final = page.locator(".a").first.text_content()
    assert LATEST_HBA1C in final
    _assert_rendered_incrementally(page.evaluate("window.renders"), final)
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


def _assert_rendered_incrementally(renders: list[dict[str, object]], final: str) -> None:
    """Tokens grew the answer through several visible states while the stream was open; the
    citations (links and sources) came after the whole answer; ``done`` came last."""
    texts = [str(r["text"]) for r in renders]
    partial = {t for t, r in zip(texts, renders, strict=True) if t and t != final and not r["done"]}
    assert len(partial) >= 2, f"the answer appeared in {len(partial)} partial states"
    assert all(final.startswith(t) for t in texts), "a shown state is not a prefix of the answer"
    lengths = [len(t) for t in texts]
    assert lengths == sorted(lengths), "the shown answer shrank while streaming"
    first_cited = next(i for i, r in enumerate(renders) if r["sources"])
    assert texts[first_cited] == final
    assert all(not r["links"] for r in renders[:first_cited])
    first_done = next(i for i, r in enumerate(renders) if r["done"])
    assert first_cited < first_done
    assert all(not r["done"] for r in renders[:first_done])
