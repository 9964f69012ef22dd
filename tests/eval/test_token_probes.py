"""Bearer-token probes through the API's JWT verification: an expired and a forged token for
the granted eval clinician are refused with their reason and audited like the API's
denials; a valid token from the same issuer verifies (so the refusals are not vacuous); a
deployment without HS256 leaves the probe unmeasured, never passed or failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinvault.api.deps import UNAUTHENTICATED
from clinvault.api.security.jwt import TokenIssuer
from clinvault.api.services import hs256_secret, verifier_for
from clinvault.audit import AuditLog
from clinvault.eval.dataset import EvalItem
from clinvault.eval.metrics.scoring import score_item
from clinvault.eval.outcome import PROBE_UNAVAILABLE, ItemOutcome
from clinvault.eval.token_probes import EXPECTED_REASON, TokenProbes
from clinvault.keys import KeyRing
from clinvault.runtime import Runtime
from clinvault.settings import Settings


@pytest.fixture
def opened(settings: Settings) -> Iterator[tuple[Settings, KeyRing, AuditLog]]:
    with Runtime.open(settings) as runtime:
        yield settings, runtime.keys, runtime.audit_log


@pytest.mark.parametrize("probe", ["expired-token", "forged-token"])
def test_probe_token_is_refused_and_audited(
    opened: tuple[Settings, KeyRing, AuditLog], probe: str
) -> None:
    settings, keys, audit = opened
    check = TokenProbes(settings.auth, keys, audit).present(probe, "eval-clinician", "clinician")
    assert check.subject is None
    assert check.reason == EXPECTED_REASON[probe]
    records = list(audit.iter_records())
    assert len(records) == 1
    record = records[0]
    assert record.kind == "access"
    assert record.outcome == "refused"
    assert record.reason == EXPECTED_REASON[probe]
    assert record.principal == UNAUTHENTICATED
    assert audit.verify().ok


def test_a_valid_token_from_the_same_issuer_verifies(
    opened: tuple[Settings, KeyRing, AuditLog],
) -> None:
    settings, keys, _audit = opened
    secret = hs256_secret(settings.auth, keys)
    assert secret is not None
    token = TokenIssuer(settings.auth, secret).issue(
        "eval-clinician", "clinician", scopes=["user/*.rs"], ttl_s=300
    )
    assert verifier_for(settings.auth, keys).verify(token).subject == "eval-clinician"


def test_without_hs256_the_probe_is_unmeasured(
    opened: tuple[Settings, KeyRing, AuditLog],
) -> None:
    settings, keys, audit = opened
    rs256 = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"algorithms": ["RS256"]})}
    )
    check = TokenProbes(rs256.auth, keys, audit).present(
        "expired-token", "eval-clinician", "clinician"
    )
    assert check == type(check)(None, PROBE_UNAVAILABLE)
    item = EvalItem(
        "p", "authorization-probe", "Patient/x", "q?", asker="expired-token", expect="refuse"
    )
    unmeasured = score_item(item, ItemOutcome("p", "error", PROBE_UNAVAILABLE))
    assert unmeasured["authorization_pass"] is None
    refused = score_item(item, ItemOutcome("p", "refused", "token-expired"))
    assert refused["authorization_pass"] == 1.0
    answered = score_item(item, ItemOutcome("p", "answered", answer="7.1 % [1]"))
    assert answered["authorization_pass"] == 0.0
