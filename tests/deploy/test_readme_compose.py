"""The README's three-command compose start, checked against docker-compose.yml (no Docker
engine runs here: the README says so, and this test keeps what it says true of the file)."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
COMPOSE = REPO_ROOT / "docker-compose.yml"
SECTION = "## The split deployment (docker compose)"


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text()
    assert SECTION in text
    body = text.split(SECTION, 1)[1]
    return body.split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _commands(section: str) -> list[list[str]]:
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line) for line in lines if line]


def _profiles(service: dict[str, Any]) -> list[str]:
    return list(service.get("profiles", []))


def test_three_commands_and_they_name_real_services(section: str, compose: dict[str, Any]) -> None:
    commands = _commands(section)
    assert commands == [
        ["docker", "compose", "up", "-d"],
        ["docker", "compose", "run", "--rm", "ingest"],
    ]
    services = compose["services"]
    # `up -d` leaves the one-shot alone (a profile); `run` starts a profiled service by name
    assert _profiles(services["ingest"]) == ["ingest"]
    assert services["ingest"]["command"].split()[:2] == ["clinvault", "ingest"]
    target = services["ingest"]["command"].split()[2]
    mounts = [v.split(":") for v in services["ingest"]["volumes"]]
    assert ["./data", target, "ro"] in mounts
    assert "./data" in section
    assert "read-only" in section


def test_the_services_up_starts_are_the_ones_the_readme_lists(
    section: str, compose: dict[str, Any]
) -> None:
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    up_line = block.group(1).splitlines()[0]
    listed = {name.strip() for name in up_line.split("#", 1)[1].split(",")}
    started = {name for name, s in compose["services"].items() if not _profiles(s)}
    assert listed == started


def test_the_chat_page_url_is_the_apis_published_port(
    section: str, compose: dict[str, Any]
) -> None:
    url = re.search(r"open (http://localhost:(\d+)/chat)", section)
    assert url is not None
    port = int(url.group(2))
    api = compose["services"]["api"]
    published = []
    for mapping in api["ports"]:
        host, container = str(mapping).rsplit(":", 1)
        first = int(host.split("-")[0])
        published.append((first, int(container)))
    command = " ".join(api["command"]) if isinstance(api["command"], list) else api["command"]
    serve_port = int(re.search(r"clinvault serve .*--port (\d+)", command).group(1))  # type: ignore[union-attr]
    assert (port, serve_port) in published


def test_the_readme_says_checked_not_run(section: str) -> None:
    assert "Checked by tests, not run." in section
    assert "`tests/deploy`" in section
    assert "never been started here" in section
    assert (REPO_ROOT / "deploy" / "secrets" / "make-dev-secrets.sh").is_file()
    assert "deploy/secrets/make-dev-secrets.sh" in section
