"""``RemoteVaultClient``: the ``VaultClient`` of a vault service, over HTTPS with mutual TLS.

Chosen when ``vault.url`` is ``https://…`` (``CLINVAULT_VAULT__URL=https://vault:8443``);
the certificate paths are ``vault.tls_ca``, ``vault.tls_cert`` and ``vault.tls_key``. The
process holding this client holds no master key, data key or vault database.

Remote-capable: every ``VaultClient`` method (names, patient look-ups, source records,
pseudonymize, scan, tokenize, shift, re-identify, the unchanged check, quarantine, merge,
erase, counts), ``transaction()`` as a server-side transaction spanning several calls, and
``patient_session()`` as a session the service holds inside that transaction. Not remote:
the in-process-only parts of :class:`clinvault.vault.Vault` that ingest still reaches for
(``context()``, the ``PatientContext`` the note scrubber uses, ``allow_reingest``), so a
full ingest needs the in-process vault today (see the vault service notes).

The API's caller certificate is not trusted with the plain revealing calls (see
:mod:`clinvault.vault_service.app`): it re-identifies answers through :meth:`reveal`, which
the service authorizes for the named person, and the ask path reads Consent and has its
prompts screened through :class:`VaultScreen`, so no real value reaches the API process
before an answer is re-identified for a clinician who may see it.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from clinvault.access.consent import SCOPES, ConsentDeny
from clinvault.errors import ConfigError, EgressBlocked, VaultError
from clinvault.llm import Message
from clinvault.settings import Settings
from clinvault.vault.client import Revealed, RevealRequest, SourceRecord, Stored
from clinvault.vault.identifiers import KnownValue
from clinvault.vault_service import wire


def is_remote_vault(settings: Settings) -> bool:
    """Whether ``vault.url`` names a vault service (``https://…``) rather than a database."""
    return (settings.vault.url or "").startswith("https://")


class RemoteVaultClient:
    """A ``VaultClient`` talking to ``clinvault vault serve``."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http
        self._local = threading.local()

    @classmethod
    def open(cls, settings: Settings) -> RemoteVaultClient:
        v = settings.vault
        url = v.url or ""
        if not url.startswith("https://"):
            raise ConfigError("vault.url must be https://… for the remote vault client")
        ca = v.tls_ca or settings.home / "certs" / "ca.crt"
        cert = v.tls_cert or settings.home / "certs" / "client-api.crt"
        key = v.tls_key or settings.home / "certs" / "client-api.key"
        return cls.connect(url, ca=ca, cert=cert, key=key)

    @classmethod
    def connect(
        cls, url: str, *, ca: Path, cert: Path, key: Path, timeout: float = 60.0
    ) -> RemoteVaultClient:
        for name, path in (("vault.tls_ca", ca), ("vault.tls_cert", cert), ("vault.tls_key", key)):
            if not Path(path).is_file():
                raise ConfigError(f"{name}: no file at {path} (run `clinvault vault certs`)")
        context = ssl.create_default_context(cafile=str(ca))
        context.load_cert_chain(str(cert), str(key))
        http = httpx.Client(base_url=url.rstrip("/"), verify=context, timeout=timeout)
        return cls(http)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteVaultClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------------

    @property
    def _tx(self) -> str | None:
        tx: str | None = getattr(self._local, "tx", None)
        return tx

    def _post(self, path: str, args: Mapping[str, Any] | None = None) -> Any:
        headers = {wire.TRANSACTION_HEADER: self._tx} if self._tx else {}
        try:
            response = self._http.post(path, json={"args": dict(args or {})}, headers=headers)
        except httpx.HTTPError as error:
            raise VaultError(f"vault service unreachable ({type(error).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            wire.raise_error(response.status_code, body)
        if not isinstance(body, dict) or "result" not in body:
            raise VaultError("vault service answered without a result")
        return body["result"]

    def _call(self, method: str, **args: Any) -> Any:
        result = self._post(f"/v1/call/{method}", args)
        return wire.decode(wire.RETURNS.get(method, "plain"), result)

    # -- names ---------------------------------------------------------------------------------

    def patient_token(self, source_ref: str) -> str:
        return str(self._call("patient_token", source_ref=source_ref))

    def resource_token(self, source_ref: str) -> str:
        return str(self._call("resource_token", source_ref=source_ref))

    def chunk_id(self, resource_token: str, part: str) -> str:
        return str(self._call("chunk_id", resource_token=resource_token, part=part))

    # -- patients ------------------------------------------------------------------------------

    def has_patient(self, patient_token: str) -> bool:
        return bool(self._call("has_patient", patient_token=patient_token))

    def patient_tokens(self) -> list[str]:
        return [str(t) for t in self._call("patient_tokens")]

    def find_patient(self, kind: str, value: str) -> list[str]:
        return [str(t) for t in self._call("find_patient", kind=kind, value=value)]

    def source_patient(self, patient_token: str) -> str | None:
        result: str | None = self._call("source_patient", patient_token=patient_token)
        return result

    def patient_of(self, source_ref: str) -> str | None:
        result: str | None = self._call("patient_of", source_ref=source_ref)
        return result

    def patient_resource(self, patient_token: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._call("patient_resource", patient_token=patient_token)
        return result

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("patient_resources", patient_token=patient_token)
        return result

    def known_values(self, patient_token: str) -> list[KnownValue]:
        result: list[KnownValue] = self._call("known_values", patient_token=patient_token)
        return result

    def consent_resources(self, patient_token: str) -> list[dict[str, Any]]:
        """The patient's Consent resources (the ask path reads their denials)."""
        result: list[dict[str, Any]] = self._call("consent_resources", patient_token=patient_token)
        return result

    # -- resources -----------------------------------------------------------------------------

    def source_record(self, resource_token: str) -> SourceRecord | None:
        result: SourceRecord | None = self._call("source_record", resource_token=resource_token)
        return result

    def source_reference(self, resource_token: str) -> tuple[str, str] | None:
        result: tuple[str, str] | None = self._call(
            "source_reference", resource_token=resource_token
        )
        return result

    def pseudonymize_resource(
        self, patient_token: str, resource: Mapping[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "pseudonymize_resource", patient_token=patient_token, resource=dict(resource)
        )
        return result

    def pseudonymized_record(self, resource_token: str) -> SourceRecord | None:
        result: SourceRecord | None = self._call(
            "pseudonymized_record", resource_token=resource_token
        )
        return result

    def reveal_record(self, resource_token: str, *, request: RevealRequest) -> SourceRecord | None:
        """The original for the person ``request`` names: the service authorizes and audits
        it first (``AccessDenied`` when refused)."""
        result = self._post(
            "/v1/call/reveal_record",
            {"resource_token": resource_token, "request": wire.request_body(request)},
        )
        record: SourceRecord | None = wire.decode("source_record", result)
        return record

    # -- free text -----------------------------------------------------------------------------

    def scan(self, patient_token: str, text: str) -> str:
        return str(self._call("scan", patient_token=patient_token, text=text))

    def tokenize(self, patient_token: str, kind: str, value: str) -> str:
        return str(self._call("tokenize", patient_token=patient_token, kind=kind, value=value))

    def shift_date_text(self, patient_token: str, text: str) -> str | None:
        result: str | None = self._call("shift_date_text", patient_token=patient_token, text=text)
        return result

    def reidentify(self, patient_token: str, text: str, *, resolve_resources: bool = True) -> str:
        return str(
            self._call(
                "reidentify",
                patient_token=patient_token,
                text=text,
                resolve_resources=resolve_resources,
            )
        )

    def reveal(
        self, patient_token: str, texts: Sequence[str], *, request: RevealRequest
    ) -> Revealed:
        """Re-identify for the person ``request`` names: the service authorizes and audits
        it first (``AccessDenied`` when refused)."""
        result = self._post(
            "/v1/call/reveal",
            {
                "patient_token": patient_token,
                "texts": list(texts),
                "request": wire.request_body(request),
            },
        )
        if not isinstance(result, dict) or not isinstance(result.get("texts"), list):
            raise VaultError("vault service answered reveal without texts")
        ref = result.get("audit_ref")
        return Revealed(tuple(str(t) for t in result["texts"]), None if ref is None else str(ref))

    # -- what the API needs instead of real values ---------------------------------------------

    def consent_denials(self, patient_token: str) -> list[ConsentDeny]:
        """The patient's Consent denials, computed by the service (codes and tokens only)."""
        result = self._post("/v1/call/consent_denials", {"patient_token": patient_token})
        denies = []
        for scope, consent, purposes in result:
            if scope not in SCOPES or not isinstance(purposes, list):
                raise VaultError("vault service answered an unknown consent scope")
            denies.append(ConsentDeny(scope, str(consent), tuple(str(p) for p in purposes)))
        return denies

    def screen_prompt(self, patient_token: str, messages: Sequence[Message]) -> str | None:
        """The kind of the first of the patient's real values the service found in
        ``messages`` (the egress guard, run in the vault), or ``None``."""
        result = self._post(
            "/v1/call/screen_prompt",
            {"patient_token": patient_token, "messages": [dict(m) for m in messages]},
        )
        if result is None:
            return None
        return f"{result.get('kind', 'known identifier value')} in message {result.get('message_index')}"

    # -- ingest --------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._tx is not None:  # nested: join the outer transaction
            yield
            return
        tx_id = str(self._post("/v1/tx/begin"))
        self._local.tx = tx_id
        try:
            yield
        except BaseException:
            self._local.tx = None
            self._post(f"/v1/tx/{tx_id}/abort")
            raise
        self._local.tx = None
        self._post(f"/v1/tx/{tx_id}/commit")

    def stored(self, resources: Mapping[str, Mapping[str, Any]]) -> dict[str, Stored]:
        result: dict[str, Stored] = self._call(
            "stored", resources={k: dict(v) for k, v in resources.items()}
        )
        return result

    def patient_session(
        self, scope: str, *, references: Mapping[str, str] | None = None
    ) -> RemoteSession:
        if self._tx is None:
            raise VaultError("a remote patient session needs an open vault transaction")
        opened = self._post("/v1/session", {"scope": scope, "references": dict(references or {})})
        return RemoteSession(self, str(opened["session"]), str(opened["patient_token"]))

    def quarantine(self, where: str, resource_type: str, message: str, resource: Any) -> None:
        self._call(
            "quarantine",
            where=where,
            resource_type=resource_type,
            message=message,
            resource=resource,
        )

    def quarantined(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("quarantined")
        return result

    def merge_patients(self, survivor_ref: str, merged_ref: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "merge_patients", survivor_ref=survivor_ref, merged_ref=merged_ref
        )
        return result

    # -- administration ------------------------------------------------------------------------

    def erase(self, patient_token: str) -> int:
        return int(self._call("erase", patient_token=patient_token))

    def is_erased(self, patient_token: str) -> bool:
        return bool(self._call("is_erased", patient_token=patient_token))

    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self._call("counts").items()}


class RemoteSession:
    """A ``PatientSession`` the vault service holds inside the client's open transaction."""

    def __init__(self, client: RemoteVaultClient, session_id: str, patient_token: str) -> None:
        self._client = client
        self._id = session_id
        self._patient_token = patient_token

    @property
    def patient_token(self) -> str:
        return self._patient_token

    def _call(self, method: str, **args: Any) -> Any:
        result = self._client._post(f"/v1/session/{self._id}/{method}", args)
        return wire.decode(wire.RETURNS.get(method, "plain"), result)

    def pseudonymize(
        self, resource: Mapping[str, Any], *, age_over_cap: bool = False
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "pseudonymize", resource=dict(resource), age_over_cap=age_over_cap
        )
        return result

    def age(self, patient: Mapping[str, Any] | None) -> str | None:
        result: str | None = self._call(
            "age", patient=dict(patient) if patient is not None else None
        )
        return result

    def token(self, kind: str, value: str) -> str:
        return str(self._call("token", kind=kind, value=value))

    def scan(self, text: str) -> str:
        return str(self._call("scan", text=text))

    def replace_known(self, text: str) -> str:
        return str(self._call("replace_known", text=text))

    def shift(self, value: str) -> str | None:
        result: str | None = self._call("shift", value=value)
        return result

    def known_values(self) -> list[KnownValue]:
        result: list[KnownValue] = self._call("known_values")
        return result

    def seal(
        self, source_ref: str, resource: Mapping[str, Any], chunk_ids: tuple[str, ...] = ()
    ) -> None:
        self._call("seal", source_ref=source_ref, resource=dict(resource), chunk_ids=chunk_ids)

    def flush(self) -> None:
        self._call("flush")


class VaultScreen:
    """The ask path's :class:`clinvault.ask.patient_checks.PatientChecks` against a vault
    service: Consent denials and the prompt's screen for real values come from the service;
    this process gets no deny values (its own egress guard still checks identifier patterns)."""

    def __init__(self, client: RemoteVaultClient) -> None:
        self._client = client

    def consents(self, patient_token: str) -> list[ConsentDeny]:
        return self._client.consent_denials(patient_token)

    def deny_values(self, patient_token: str) -> list[str]:
        return []

    def screen(self, patient_token: str, messages: Sequence[Message]) -> None:
        hit = self._client.screen_prompt(patient_token, messages)
        if hit is not None:
            raise EgressBlocked(f"outbound message holds a {hit} (vault screen); not sent")
