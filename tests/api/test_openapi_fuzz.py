"""schemathesis against the app's own OpenAPI schema, in process (ASGI): every operation, valid
and invalid inputs, as a clinician with a grant for the test patient. No request may end in a
server error, and every response must match what the schema declares for it (status code,
content type, body schema). Derandomized, so CI runs the same cases every time.

Each operation is driven through ``APIOperation.as_strategy`` under ``@given`` (schemathesis'
pytest plugin needs ``Node._nodeid``, which pytest 9 removed); a separate test keeps the list
of fuzzed operations equal to the schema's, so a new endpoint cannot go unfuzzed.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinvault.api import create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from tests.api.conftest import API_TEST_SETTINGS, Api
from tests.ask.ask_factories import PATIENT_ID
from tests.ask.conftest import CLINICIAN

QUESTION = "What is the latest HbA1c?"
EXAMPLES_PER_MODE = 25
"""Per operation and mode: ~1 minute for the file on 2 cores (150 found nothing more)."""
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
ANSWERING = ("POST /v1/chat", "POST /v1/chat/completions")
WITHOUT_INPUTS = ("GET /healthz", "GET /readyz", "GET /metrics", "GET /v1/dev/sign-in")
"""Operations with no parameter, body or credentials: nothing to make invalid."""
OPERATIONS = (
    "POST /v1/chat",
    "GET /v1/models",
    "POST /v1/chat/completions",
    "GET /v1/patients",
    "GET /v1/patients/{patient}/resources/{resource_token}",
    "GET /v1/responses/{response_id}",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /v1/dev/sign-in",
)


@pytest.fixture(scope="module")
def fuzz_schema(api: Api) -> Any:
    """A second app over the same services: its own (ample) rate budget, demo sign-in on."""
    app_settings = api.cohort.settings(api={**API_TEST_SETTINGS, "demo_sign_in": True})
    app = create_app(app_settings, services=api.services, limiter=InProcessRateLimiter(10**6))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_operation_is_fuzzed(fuzz_schema: Any) -> None:
    labels = {result.ok().label for result in fuzz_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


def _answerable(case: Any) -> Any:
    """Name the test patient and the served model (and no unknown conversation), so valid
    cases reach the answering paths instead of stopping at unknown-patient or model_not_found.
    The question, purpose, stream flag and other fields stay as generated."""
    if case.headers:
        unbound = ("X-Conversation-Id", "X-Patient-Id")
        case.headers = {k: v for k, v in case.headers.items() if k not in unbound}
    if case.path_parameters and "patient" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "patient": PATIENT_ID}
    if not isinstance(case.body, dict):
        return case
    if case.operation.path == "/v1/chat":
        case.body = {**case.body, "patient": f"Patient/{PATIENT_ID}", "conversation_id": None}
    elif case.operation.path == "/v1/chat/completions":
        last = case.body["messages"][-1].get("content")
        question = last if isinstance(last, str) and last.strip() else QUESTION
        case.body = {
            **case.body,
            "model": "clinvault",
            "user": PATIENT_ID,
            "metadata": None,
            "messages": [{"role": "user", "content": question}],
        }
    return case


@pytest.mark.parametrize(
    ("label", "mode"),
    [
        (label, mode)
        for label in OPERATIONS
        for mode in MODES
        if mode is GenerationMode.POSITIVE or label not in WITHOUT_INPUTS
    ],
    ids=str,
)
def test_no_server_errors_and_responses_match_the_schema(
    fuzz_schema: Any, api: Api, label: str, mode: GenerationMode
) -> None:
    method, path = label.split(" ", 1)
    operation = fuzz_schema[path][method]
    headers = {"Authorization": f"Bearer {api.token(CLINICIAN, 'clinician', ttl_s=3600)}"}
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), answerable=st.booleans())
    def run(case: Any, answerable: bool) -> None:
        if answerable and mode is GenerationMode.POSITIVE:
            case = _answerable(case)
        response = case.call_and_validate(headers=headers, checks=list(CHECKS))
        statuses.append(response.status_code)

    run()
    assert statuses, "no case was sent"
    if mode is GenerationMode.POSITIVE and label in ANSWERING:
        assert 200 in statuses, "no generated case reached the answering path"
