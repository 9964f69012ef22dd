"""docker-compose.yml, the Dockerfile and the Keycloak realm, checked without a Docker engine:
every ``CLINVAULT_*`` variable names a setting, the required ones are set, the vault is off the
API's public network, secrets come from files, the realm defines what the API expects, and
the Dockerfile follows hadolint-style rules."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import BaseModel

from clinvault.access.principal import Role
from clinvault.keys import records_key_configured
from clinvault.settings import Settings
from clinvault.vault_service.remote import is_remote_vault
from tests.conftest import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
REALM = REPO_ROOT / "deploy" / "keycloak" / "clinvault-realm.json"
PROMETHEUS = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
CLINVAULT_SERVICES = ("api", "vault", "ingest")
SECRET_WORDS = re.compile(r"(PASSWORD|SECRET|TOKEN|MASTER_KEY|API_KEY)(?!_FILE|_PROVIDER|_ENV)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def setting_exists(name: str) -> bool:
    """Whether ``CLINVAULT_A__B`` names a field of the Settings tree."""
    model: type[BaseModel] = Settings
    parts = name.removeprefix("CLINVAULT_").lower().split("__")
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        if i < len(parts) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def test_the_setting_walker_can_fail() -> None:
    assert setting_exists("CLINVAULT_VAULT__URL")
    assert setting_exists("CLINVAULT_INDEX__EMBEDDER__BACKEND")
    assert not setting_exists("CLINVAULT_VAULT__URLS")
    assert not setting_exists("CLINVAULT_HOME__X")


def test_every_clinvault_variable_is_a_setting(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for variable in _env(service):
            if variable.startswith("CLINVAULT_"):
                assert setting_exists(variable), f"{name}: {variable} is not a setting"


def test_the_settings_each_service_needs_are_set(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api, vault, ingest = (_env(services[n]) for n in CLINVAULT_SERVICES)
    assert api["CLINVAULT_VAULT__URL"].startswith("https://vault:")
    for name in ("TLS_CA", "TLS_CERT", "TLS_KEY"):
        assert api[f"CLINVAULT_VAULT__{name}"].startswith("/run/secrets/")
    assert api["CLINVAULT_INDEX__BACKEND"] == "qdrant"
    assert api["CLINVAULT_AUTH__JWKS_URL"].startswith("http://keycloak:")
    assert json.loads(api["CLINVAULT_AUTH__ALGORITHMS"]) == ["RS256"]
    for env in (vault, ingest):
        assert not env["CLINVAULT_VAULT__URL"].startswith("https://")
        assert env["CLINVAULT_VAULT__MASTER_KEY_FILE"] == "/run/secrets/vault_master_key"
    # the API holds no master key: its audit chain and access store use the records key
    assert not [name for name in api if "MASTER_KEY" in name]
    assert "vault_master_key" not in json.dumps(services["api"])
    Settings.model_validate({"vault": {"url": api["CLINVAULT_VAULT__URL"]}})
    for name in CLINVAULT_SERVICES:
        assert _env(services[name])["CLINVAULT_HOME"]


def test_the_vault_is_off_the_public_network(compose: dict[str, Any]) -> None:
    services, networks = compose["services"], compose["networks"]
    api_nets = set(services["api"]["networks"])
    vault_nets = set(services["vault"]["networks"])
    public = {n for n in api_nets if not networks[n] or not networks[n].get("internal")}
    assert public, "the API has a public network"
    assert not vault_nets & public
    assert all(networks[n].get("internal") for n in vault_nets)
    assert "ports" not in services["vault"]
    assert set(services["vault-db"]["networks"]) == {"vault"}
    assert "vault" not in api_nets  # the vault's database segment
    assert services["api"]["deploy"]["replicas"] >= 2


def test_secrets_come_from_files_never_inline(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for variable, value in _env(service).items():
            if SECRET_WORDS.search(variable):
                assert value.startswith("/run/secrets/") or variable.endswith("_FILE"), (
                    f"{name}: {variable} is inline"
                )
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"}, name
        assert secret["file"].startswith("deploy/secrets/"), name
    ignored = (REPO_ROOT / "deploy" / "secrets" / ".gitignore").read_text().split()
    assert ignored[0] == "*"


def test_the_services_the_issue_names(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api", "vault", "postgres", "qdrant", "redis", "keycloak", "prometheus"):
        assert name in services, name
    assert services["ingest"]["profiles"] == ["ingest"]
    assert services["ollama"]["profiles"] == ["ollama"]
    assert "replication_factor=2" in COMPOSE.read_text()
    assert "vault serve" in services["vault"]["command"]


def test_prometheus_scrapes_both_services() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"clinvault-api", "clinvault-vault"}
    assert jobs["clinvault-vault"]["scheme"] == "https"
    assert jobs["clinvault-vault"]["tls_config"]["cert_file"].startswith("/run/secrets/")
    assert jobs["clinvault-api"]["authorization"]["credentials_file"].startswith("/run/secrets/")


def test_the_realm_defines_the_roles_and_scopes_the_api_expects() -> None:
    realm = json.loads(REALM.read_text())
    roles = {r["name"] for r in realm["roles"]["realm"]}
    assert roles == {r.value for r in Role}
    scopes = {s["name"] for s in realm["clientScopes"]}
    assert {"patient/*.read", "user/*.read", "launch/patient"} <= scopes
    mappers = [m for s in realm["clientScopes"] for m in s.get("protocolMappers", [])]
    claims = {m["config"].get("claim.name") for m in mappers}
    audiences = {m["config"].get("included.custom.audience") for m in mappers}
    defaults = Settings.model_validate({})
    assert defaults.auth.role_claim in claims
    assert defaults.auth.audience in audiences


def _dockerfile_stages() -> list[list[str]]:
    stages: list[list[str]] = []
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_rules() -> None:
    stages = _dockerfile_stages()
    assert len(stages) >= 2, "multi-stage"
    for stage in stages:
        base = stage[0].split()[1]
        assert re.search(r":\d+\.\d+\.\d+|@sha256:[0-9a-f]{64}", base), f"unpinned base {base}"
        assert ":latest" not in base
    final = stages[-1]
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users, "the final stage sets a USER"
    assert not users[-1].startswith(("root", "0")), users[-1]
    text = "\n".join(final)
    assert "build-essential" not in text, "no build tools in the image"
    assert "gcc" not in text, "no build tools in the image"
    for stage in stages:
        for line in stage:
            assert not line.upper().startswith("ADD "), f"use COPY, not ADD: {line}"
            assert not re.search(r"\.(key|pem)\b|master\.key|secrets", line), line
            assert not re.search(r"ENV .*(PASSWORD|SECRET|TOKEN)=", line, re.I), line


def test_dockerignore_style_no_secrets_copied() -> None:
    copies = [line for stage in _dockerfile_stages() for line in stage if line.startswith("COPY")]
    assert copies
    assert not any(" . " in f" {c} " and "--from" not in c for c in copies), "COPY . copies all"
    assert not any("deploy" in c or ".clinvault" in c for c in copies)


def test_compose_commands_use_real_cli_options(compose: dict[str, Any]) -> None:
    from typer.main import get_command

    from clinvault.cli.main import app

    root = get_command(app)
    group = root.commands["vault"]  # type: ignore[attr-defined]

    def options(command: Any) -> set[str]:
        return {opt for param in command.params for opt in param.opts}

    serve_line = compose["services"]["vault"]["command"].split()
    assert serve_line[:3] == ["clinvault", "vault", "serve"]
    used = {word for word in serve_line if word.startswith("--")}
    assert used <= options(group.commands["serve"]), used - options(group.commands["serve"])
    script = (REPO_ROOT / "deploy" / "secrets" / "make-dev-secrets.sh").read_text()
    certs_used = set(re.findall(r"--[a-z-]+", script.split("clinvault vault certs", 1)[1]))
    assert certs_used <= options(group.commands["certs"])


def _settings_of(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name.startswith("CLINVAULT_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("CLINVAULT_"):
            monkeypatch.setenv(name, value)
    return Settings.load()


def test_each_service_environment_loads_and_the_split_shares_its_records(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings each clinvault container would load, and what the split needs of them:
    the API in remote mode has a records key (the runtime refuses to start without one);
    the API, the vault service and every ingest share the records key and the access store
    (the vault authorizes re-identification against the grants and care teams the others
    write), while the vault database and the master key stay on the vault side."""
    services = compose["services"]
    clinvault = {
        name: _env(service)
        for name, service in services.items()
        if _env(service).get("CLINVAULT_HOME")
    }
    assert set(CLINVAULT_SERVICES) <= set(clinvault)
    loaded = {name: _settings_of(env, monkeypatch) for name, env in clinvault.items()}
    api = loaded["api"]
    assert is_remote_vault(api)
    assert records_key_configured(api)
    assert api.auth.algorithms == ["RS256"]
    # tokens carry the issuer the browser signs in at (keycloak's KC_HOSTNAME); the API
    # fetches the same realm's keys over the backend network (back-channel host)
    keycloak = _env(services["keycloak"])
    assert keycloak["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"
    assert api.auth.issuer == f"{keycloak['KC_HOSTNAME']}/realms/clinvault"
    jwks = urlparse(api.auth.jwks_url or "")
    assert (jwks.scheme, jwks.netloc) == ("http", "keycloak:8080")
    assert jwks.path == urlparse(api.auth.issuer).path + "/protocol/openid-connect/certs"
    records = {str(s.vault.records_key_file) for s in loaded.values()}
    assert records == {"/run/secrets/records_key"}, records
    assert len({s.access_url for s in loaded.values()}) == 1
    for name, settings in loaded.items():
        secrets = {
            item if isinstance(item, str) else item["source"]
            for item in services[name].get("secrets", [])
        }
        assert "records_key" in secrets, name
        if name != "api":
            assert not is_remote_vault(settings), name
            assert settings.vault.url == loaded["vault"].vault.url, name
            assert "vault_master_key" in secrets, name
