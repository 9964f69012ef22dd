"""The chat page in headless Chromium while the model writes slowly (the loopback fake OpenAI
server, 0.2 s before every chunk): the answer appears, re-identified, while the model is
still writing, and grows as it writes; the page ends with the checked answer and its
citations."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.api.conftest import Api
from tests.api.slow_model import serve
from tests.ask.ask_factories import NAME_FAMILY, NAME_GIVEN, PATIENT_ID
from tests.ask.conftest import CLINICIAN
from tests.llm.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.browser

CHUNK_DELAY_S = 0.2


@pytest.fixture(scope="module")
def slow(api: Api) -> Iterator[tuple[str, FakeOpenAIServer]]:
    vault = api.services.vault
    token = vault.scan(vault.patient_token(f"Patient/{PATIENT_ID}"), f"{NAME_GIVEN} {NAME_FAMILY}")
    reply = f"Patient {token} had an HbA1c measured last spring and it was stable [1]."
    settings = api.cohort.settings(api={"demo_sign_in": True})
    with FakeOpenAIServer(reply=reply) as model, serve(settings, api.services, model) as url:
        yield url, model


def test_page_shows_the_answer_while_the_model_is_still_writing(
    browser: object, slow: tuple[str, FakeOpenAIServer]
) -> None:
    url, model = slow
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/chat")
    page.locator(f"#demo-list button[data-user='{CLINICIAN}']").click()
    page.wait_for_selector("#chat:not([hidden])")
    page.select_option("#patient", f"Patient/{PATIENT_ID}")
    page.fill("#question", "What is the latest HbA1c?")
    model.chunk_delay_s = CHUNK_DELAY_S
    model.last_chunk_at = None
    try:
        page.click("#ask")
        page.wait_for_function(
            "() => (document.querySelector('#turns li:last-child .a') || {}).textContent"
        )
        shown_at = time.perf_counter()
        first_shown = page.locator("#turns li:last-child .a").text_content()
        page.wait_for_selector("#turns li[data-state='done']", timeout=30_000)
    finally:
        model.chunk_delay_s = 0.0
    final = page.locator("#turns li:last-child .a").text_content()

    assert model.last_chunk_at is not None
    # 14 chunks 0.2 s apart: the page showed text while the model had > 1 s still to write
    assert shown_at < model.last_chunk_at - 5 * CHUNK_DELAY_S
    assert first_shown
    assert final.startswith(first_shown)
    assert first_shown != final
    assert f"{NAME_GIVEN} {NAME_FAMILY}" in final
    assert "[NAME-" not in final
    assert page.locator("#turns li:last-child .sources li").count() == 1
    page.close()
