"""``Runtime``: the one composition root. Parts open once, on first use; everything opened
is closed once, last opened first, also when a later part failed to open or a closer fails;
the model client is chosen by ``llm.client`` through its registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.access import AccessStore
from clinvault.api.services import ApiServices
from clinvault.ask import AskService
from clinvault.audit import AuditLog
from clinvault.errors import ConfigError
from clinvault.index.chunk_index import ChunkIndex
from clinvault.llm.guarded import GuardedLLM
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault import Vault
from tests.ask.ask_doubles import ScriptedLLM


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("CLINVAULT_MASTER_KEY", raising=False)
    return Settings.load(
        home=tmp_path / "home",
        index={"embedder": {"backend": "hashing"}, "path": str(tmp_path / "home" / "index")},
        ingest={"detect_phi": False},
    )


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order in which vault, index, access store and audit log are closed."""
    order: list[str] = []
    for name, cls in (
        ("vault", Vault),
        ("index", ChunkIndex),
        ("access", AccessStore),
        ("audit", AuditLog),
    ):
        original = cls.close

        def recording(self: object, _name: str = name, _original: object = original) -> None:
            order.append(_name)
            _original(self)  # type: ignore[operator]

        monkeypatch.setattr(cls, "close", recording)
    return order


def test_parts_open_once_on_first_use_and_close_in_reverse_order(
    settings: Settings, closed: list[str]
) -> None:
    with Runtime.open(settings) as runtime:
        assert runtime.vault is runtime.vault
        index = runtime.index
        assert runtime.index is index
        assert runtime.access_store is runtime.access_store
        assert runtime.audit_log is runtime.audit_log
        assert closed == []
    assert closed == ["audit", "access", "index", "vault"]
    with pytest.raises(RuntimeError, match="closed"):
        runtime.vault  # noqa: B018


def test_only_what_was_used_is_opened(settings: Settings, closed: list[str]) -> None:
    with Runtime.open(settings) as runtime:
        runtime.audit_log  # noqa: B018
    assert closed == ["audit"]
    assert not (settings.home / "vault").exists()
    assert not (settings.home / "index").exists()


def test_a_part_failing_to_open_closes_what_was_opened(
    settings: Settings, closed: list[str]
) -> None:
    broken = settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"url": "mysql://x/y"})}
    )
    with (
        pytest.raises(ConfigError, match="unsupported database backend"),
        Runtime.open(broken) as runtime,
    ):
        runtime.vault  # noqa: B018
        runtime.index  # noqa: B018
        runtime.audit_log  # noqa: B018
    assert closed == ["index", "vault"]


def test_api_services_failing_at_startup_leave_nothing_open(
    settings: Settings, closed: list[str]
) -> None:
    broken = settings.model_copy(
        update={"access": settings.access.model_copy(update={"url": "mysql://x/y"})}
    )
    with pytest.raises(ConfigError):
        ApiServices.open(broken, llm=ScriptedLLM("[1]"))
    assert closed == ["index", "vault"]


def test_every_closer_runs_when_one_fails(
    settings: Settings, closed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: AccessStore) -> None:
        closed.append("access")
        raise OSError("disk gone")

    monkeypatch.setattr(AccessStore, "close", failing)
    runtime = Runtime.open(settings)
    runtime.vault  # noqa: B018
    runtime.access_store  # noqa: B018
    runtime.audit_log  # noqa: B018
    with pytest.raises(OSError, match="disk gone"):
        runtime.close()
    assert closed == ["audit", "access", "vault"]


def test_a_bad_master_key_fails_at_open(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINVAULT_MASTER_KEY", "not base64!")
    with pytest.raises(ConfigError, match="CLINVAULT_MASTER_KEY"):
        Runtime.open(settings)


def test_the_model_client_is_chosen_by_name(settings: Settings) -> None:
    unknown = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"client": "mine"})}
    )
    with Runtime.open(unknown) as runtime, pytest.raises(ConfigError, match="litellm"):
        runtime.llm  # noqa: B018
    with Runtime.open(settings) as runtime:
        from clinvault.llm.litellm_client import LiteLLMClient

        assert isinstance(runtime.llm, LiteLLMClient)


def test_ask_services_borrow_the_parts_and_always_guard(settings: Settings) -> None:
    llm = ScriptedLLM("[1]")
    with Runtime.open(settings, llm=llm) as runtime:
        first, second = runtime.ask_service(), runtime.ask_service()
        assert first is not second
        assert isinstance(first, AskService)
        guarded = first._llm
        assert isinstance(guarded, GuardedLLM)
        assert guarded.client is llm
