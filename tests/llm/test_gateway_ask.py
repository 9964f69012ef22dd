"""The gateway through the full ask path, against recording loopback servers: what leaves the
process, what is blocked, what the audit says, streaming, and injected notes."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinvault.ask import AskService
from clinvault.audit import AuditLog
from clinvault.errors import EgressBlocked
from clinvault.llm.egress import EgressGuard
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.llm.prompt import build_messages
from clinvault.runtime import Runtime
from clinvault.settings import LLMSettings
from clinvault.vault import Vault
from clinvault.vault.dates import shift_text_dates
from tests.llm.fake_openai import FakeOpenAIServer
from tests.llm.gateway_cohort import (
    CLEAN_FAMILY,
    CLEAN_GIVEN,
    CLEAN_ID,
    CLINICIAN,
    INJECTED_FAMILY,
    INJECTED_ID,
    INJECTED_MRN,
    URL_ID,
    GatewayCohort,
    build_gateway_cohort,
)
from tests.llm.llm_factories import make_chunk

CLEAN = f"Patient/{CLEAN_ID}"

KEY_ENV = "CLINVAULT_TEST_GATEWAY_KEY"
SHM = Path("/dev/shm")
QUESTIONS = (
    "What is the latest HbA1c?",
    "What allergies does the patient have?",
    "What are the current medications?",
    "Summarize the most recent note.",
)
PATTERN_TYPES = {"PHONE", "EMAIL", "SSN"}
"""Free-text-only values of these types are caught by the guard's patterns when ingestion
left them in a note; free-text-only names depend on the PHI detector and are not checked."""


@pytest.fixture(scope="module")
def gateway_cohort() -> Iterator[GatewayCohort]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        patch.setenv(KEY_ENV, "not-a-real-key")
        root = Path(tempfile.mkdtemp(prefix="clinvault-gw-", dir=SHM if SHM.is_dir() else None))
        try:
            yield build_gateway_cohort(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, FakeOpenAIServer]]:
    with (
        FakeOpenAIServer(reply="See [1].", model="primary-served") as primary,
        FakeOpenAIServer(reply="Backup says [1].", model="backup-served") as backup,
        FakeOpenAIServer(reply="never", model="vendor-served") as vendor,
    ):
        yield {"primary": primary, "backup": backup, "vendor": vendor}


def _llm(servers: dict[str, FakeOpenAIServer]) -> dict[str, object]:
    """Primary and a compliant backup on loopback, and a vendor without a BAA in between."""

    def route(name: str, **compliance: object) -> dict[str, object]:
        return {
            "name": name,
            "model": f"openai/{name}-model",
            "api_base": servers[name].base_url,
            "api_key_env": KEY_ENV,
            "max_retries": 0,
            "timeout_s": 0.5,
            **compliance,
        }

    return {
        "routes": [
            route("primary", baa=True, data_retention="none", region="on-prem"),
            route("vendor", baa=False, data_retention="30d", region="us"),
            route("backup", baa=True, data_retention="none", region="on-prem"),
        ],
        "route": "primary",
        "fallbacks": ["vendor", "backup"],
        "policy": {"require_baa": True, "allowed_retention": ["none"]},
    }


class ServicePool:
    """One open ask service at a time (an Edge shard has one opener)."""

    def __init__(self, cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]) -> None:
        self._cohort = cohort
        self._servers = servers
        self._open: tuple[str, Runtime, AskService] | None = None

    def get(self, kind: str, llm: LiteLLMClient | None = None) -> AskService:
        if self._open is not None and self._open[0] == kind and llm is None:
            return self._open[2]
        self.close()
        overrides = {} if kind == "offline" else {"llm": _llm(self._servers)}
        runtime = Runtime.open(self._cohort.settings(**overrides), llm=llm)
        self._open = (kind, runtime, runtime.ask_service())
        return self._open[2]

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None


@pytest.fixture(scope="module")
def pool(
    gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> Iterator[ServicePool]:
    services = ServicePool(gateway_cohort, servers)
    yield services
    services.close()


@pytest.fixture
def service(pool: ServicePool) -> AskService:
    return pool.get("gateway")


@pytest.fixture(autouse=True)
def _reset(servers: dict[str, FakeOpenAIServer]) -> None:
    for server in servers.values():
        server.error_status = None
        server.delay_s = 0.0


def _bodies(*servers: FakeOpenAIServer) -> str:
    return "\n".join(json.dumps(r.body, ensure_ascii=False) for s in servers for r in s.requests)


def _audit(cohort: GatewayCohort, response_id: str) -> object:
    log = AuditLog.open(cohort.settings())
    try:
        return log.get(response_id)
    finally:
        log.close()


def test_recorded_bodies_hold_no_phi_from_truth(
    service: AskService, gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> None:
    """Each patient's real values are searched in the bodies sent for that patient's asks
    only: another patient's shifted date may equal this patient's real date, which is not a
    leak. The home's keys and offsets are seeded, so the result is the same on every run."""
    answered = 0
    bodies_of: dict[str, str] = {}
    for truth in gateway_cohort.truth():
        before = {name: len(server.requests) for name, server in servers.items()}
        for question in QUESTIONS:
            for stream in (False, True):
                sent = len(servers["primary"].requests)
                try:
                    service.ask(
                        CLINICIAN, f"Patient/{truth['patient_id']}", question, stream=stream
                    )
                    answered += 1
                except EgressBlocked:  # a note still holds pattern PHI: nothing may go out
                    assert len(servers["primary"].requests) == sent
        bodies_of[truth["patient_id"]] = "\n".join(
            json.dumps(r.body, ensure_ascii=False)
            for name, server in servers.items()
            for r in server.requests[before[name] :]
        ).casefold()
    assert answered >= 2
    assert "[name-" in "".join(bodies_of.values())  # pseudonyms did go out
    for truth in gateway_cohort.truth():
        body = bodies_of[truth["patient_id"]]
        for phi in truth["phi"]:
            value = phi["value"]
            checked = phi["known_to_record"] or phi["type"] in PATTERN_TYPES
            if checked and len(value) >= 4:
                pattern = r"(?<![\w-])" + re.escape(value.casefold()) + r"(?![\w-])"
                assert re.search(pattern, body) is None, phi["type"]
    assert servers["vendor"].requests == []


def test_unpseudonymized_prompt_is_blocked_before_any_request(
    gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> None:
    truth = gateway_cohort.truth()[0]
    name = next(p["value"] for p in truth["phi"] if p["type"] == "NAME")
    messages = build_messages("latest a1c", [make_chunk(1, f"Seen today: {name}, HbA1c 7.1 %")])
    client = LiteLLMClient(LLMSettings(**_llm(servers)), guard=EgressGuard())
    before = len(servers["primary"].requests)
    with pytest.raises(EgressBlocked) as caught:
        client.complete(messages, deny_values=[name])
    assert name not in str(caught.value)
    assert len(servers["primary"].requests) == before


def test_audit_shows_route_model_and_tokens(
    service: AskService, gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> None:
    result = service.ask(CLINICIAN, CLEAN, "What is the latest potassium?")
    record = _audit(gateway_cohort, result.response_id)
    assert (result.route, result.served_model) == ("primary", "primary-served")
    assert record.route == "primary"  # type: ignore[attr-defined]
    assert record.model == "openai/primary-model (primary-served)"  # type: ignore[attr-defined]
    assert record.prompt_tokens == servers["primary"].prompt_tokens  # type: ignore[attr-defined]
    assert record.completion_tokens == servers["primary"].completion_tokens  # type: ignore[attr-defined]


@pytest.mark.parametrize("failure", ["timeout", "5xx"])
def test_fallback_skips_the_non_compliant_route(
    service: AskService,
    gateway_cohort: GatewayCohort,
    servers: dict[str, FakeOpenAIServer],
    failure: str,
) -> None:
    if failure == "timeout":
        servers["primary"].delay_s = 1.5
    else:
        servers["primary"].error_status = 503
    backup_before = len(servers["backup"].requests)
    for stream in (False, True):
        result = service.ask(CLINICIAN, CLEAN, "What is the latest potassium?", stream=stream)
        assert result.route == "backup"
        assert result.answer.startswith("Backup says")
        record = _audit(gateway_cohort, result.response_id)
        assert record.route == "backup"  # type: ignore[attr-defined]
        assert record.prompt_tokens == servers["backup"].prompt_tokens  # type: ignore[attr-defined]
    assert len(servers["backup"].requests) == backup_before + 2
    assert servers["vendor"].requests == []


def _stream_reply(gateway_cohort: GatewayCohort) -> tuple[str, str, str, str]:
    """A reply holding the patient's name token and a shifted date written over three SSE
    pieces (``March 4, 2021`` style), and the real values they stand for."""
    name = f"{CLEAN_GIVEN} {CLEAN_FAMILY}"
    vault = Vault.open(gateway_cohort.settings())
    try:
        ctx = vault.context_for_token(vault.patient_token(CLEAN))
        token = ctx.scan(name)
        real_date = "March 4, 2021"
        shifted = shift_text_dates(real_date, ctx.offset_days)
    finally:
        vault.close()
    assert token.startswith("[NAME-")
    return f"Patient {token} was seen on {shifted} [1].", token, name, real_date


def test_stream_reidentifies_across_piece_boundaries(
    service: AskService, gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> None:
    reply, token, name, real_date = _stream_reply(gateway_cohort)
    servers["primary"].reply = reply
    try:
        stream = service.ask_stream(CLINICIAN, CLEAN, "When was the potassium measured?")
        pieces = list(stream)
    finally:
        servers["primary"].reply = "See [1]."
    text = "".join(pieces)
    assert len(pieces) > 4  # it streamed
    assert name in text
    assert real_date in text
    assert token not in text
    assert stream.result is not None
    assert stream.result.answer == text
    assert stream.result.route == "primary"
    assert stream.result.prompt_tokens == servers["primary"].prompt_tokens
    assert servers["primary"].requests[-1].body["stream"] is True
    record = _audit(gateway_cohort, stream.result.response_id)
    assert record.outcome == "answered"  # type: ignore[attr-defined]
    assert record.route == "primary"  # type: ignore[attr-defined]


def test_stream_blocked_by_the_guard_raises_before_streaming(
    pool: ServicePool, gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> None:
    class LeakyGuard(EgressGuard):
        """Blocks everything: stands in for a prompt carrying PHI."""

        def check(self, messages: object, *, deny_values: object) -> None:  # type: ignore[override]
            raise EgressBlocked("outbound message 1 contains a known identifier value; not sent")

    ask = pool.get("leaky", LiteLLMClient(LLMSettings(**_llm(servers)), guard=LeakyGuard()))
    before = len(servers["primary"].requests)
    with pytest.raises(EgressBlocked):
        ask.ask_stream(CLINICIAN, gateway_cohort.patient_refs[0], "latest HbA1c?")
    assert len(servers["primary"].requests) == before
    log = AuditLog.open(gateway_cohort.settings())
    try:
        [record] = log.recent(1)
    finally:
        log.close()
    assert (record.outcome, record.reason) == ("blocked", "egress-blocked")


def test_injected_notes_cannot_steer_the_system(
    service: AskService, gateway_cohort: GatewayCohort, servers: dict[str, FakeOpenAIServer]
) -> None:
    # the "model" obeys the injection: it names the patient and cites an item it was not given
    servers["primary"].reply = f"The patient is {INJECTED_FAMILY}, see [9] and potassium [1]."
    before = len(servers["primary"].requests)
    try:
        result = service.ask(CLINICIAN, f"Patient/{INJECTED_ID}", "What was the potassium?")
    finally:
        servers["primary"].reply = "See [1]."
    sent = servers["primary"].requests[before:]
    body = _bodies_of(sent)
    assert INJECTED_FAMILY.casefold() not in body.casefold()
    assert INJECTED_MRN not in body
    assert "IGNORE PREVIOUS INSTRUCTIONS" in body  # the note went out, as labelled data
    user = sent[0].body["messages"][-1]["content"]
    evidence = user.split("<evidence>\n", 1)[1].split("\n</evidence>", 1)[0]
    assert "</evidence>" not in evidence
    assert "<question>" not in evidence
    assert "[9]" not in evidence  # no fake citation markers inside evidence
    assert result.invalid_citations == [9]
    retrieved = {chunk_id for chunk_id, _ in result.retrieved}
    assert {c.chunk_id for c in result.citations} <= retrieved


def test_note_asking_to_contact_a_url_never_reaches_a_provider(
    service: AskService, servers: dict[str, FakeOpenAIServer]
) -> None:
    before = len(servers["primary"].requests)
    with pytest.raises(EgressBlocked, match="URL"):
        service.ask(CLINICIAN, f"Patient/{URL_ID}", "What was the sodium?")
    assert len(servers["primary"].requests) == before


def _bodies_of(requests: list[object]) -> str:
    return "\n".join(json.dumps(r.body) for r in requests)  # type: ignore[attr-defined]


def test_offline_model_ignores_injected_instructions(pool: ServicePool) -> None:
    ask = pool.get("offline")
    result = ask.ask(CLINICIAN, f"Patient/{INJECTED_ID}", "What was the potassium?")
    assert "4.1" in result.answer
    assert INJECTED_FAMILY not in result.answer
    assert result.invalid_citations == []
    assert result.route == "default"
