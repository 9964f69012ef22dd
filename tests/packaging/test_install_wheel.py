"""The built wheel, installed into a fresh venv outside the checkout, runs synth -> ingest -> ask.

The wheel is built from this checkout (``python -m build --wheel --no-isolation``: hatchling
comes from the dev extra, nothing is downloaded) and installed with ``--no-deps`` into a new
venv under the pytest temp folder. The heavy dependencies (torch, presidio, spaCy model, ...)
come from this project's venv through one ``.pth`` line; a ``.pth`` folder's own ``.pth`` files
are not processed, so the editable install's path to ``src/`` does not come along, and the
tests assert that ``clinvault`` and every config default are read from the fresh venv.
Commands run with a temporary directory as the working directory and a temporary
CLINVAULT_HOME, with the hashing embedder and the offline evidence model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinvault.config_files import DEFAULT_FILES
from clinvault.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

BODY_WEIGHT = "29463-7"
CLINICIAN = "dr.install"


@dataclass(frozen=True)
class Installed:
    venv: Path
    site_packages: Path
    workdir: Path
    env: dict[str, str]

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.workdir,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def clinvault(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = self.run(str(self.venv / "bin" / "clinvault"), *args, env=env)
        assert result.returncode == 0, f"clinvault {args[0]}: {result.stderr[-2000:]}"
        return result.stdout

    def python(self, code: str) -> str:
        result = self.run(str(self.venv / "bin" / "python"), "-c", code)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel-install")
    assert not _inside(root, PROJECT_ROOT)
    dist = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("clinvault-*.whl")

    env_dir = root / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site_packages / "zz_project_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )

    workdir = root / "elsewhere"
    workdir.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CLINVAULT_") and name not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env["CLINVAULT_HOME"] = str(root / "home")
    env["CLINVAULT_INDEX__EMBEDDER__BACKEND"] = "hashing"
    return Installed(venv=env_dir, site_packages=site_packages, workdir=workdir, env=env)


def test_clinvault_is_imported_from_the_wheel_not_the_checkout(installed: Installed) -> None:
    module = Path(installed.python("import clinvault; print(clinvault.__file__)").strip())
    assert _inside(module, installed.venv)
    assert not _inside(module, PROJECT_ROOT)


def test_every_config_default_is_the_packaged_copy_of_the_top_level_file(
    installed: Installed,
) -> None:
    code = (
        "import json\n"
        "from clinvault.config_files import DEFAULT_FILES\n"
        "from clinvault.settings import Settings\n"
        "s = Settings.load()\n"
        "out = {}\n"
        "for setting in DEFAULT_FILES:\n"
        "    value = s\n"
        "    for part in setting.split('.'):\n"
        "        value = getattr(value, part)\n"
        "    out[setting] = str(value)\n"
        "print(json.dumps(out))\n"
    )
    paths = {setting: Path(p) for setting, p in json.loads(installed.python(code)).items()}
    assert set(paths) == set(DEFAULT_FILES)
    packaged = installed.site_packages / "clinvault" / "_config"
    for setting, parts in DEFAULT_FILES.items():
        assert paths[setting] == packaged.joinpath(*parts), setting
        assert paths[setting].read_bytes() == PROJECT_ROOT.joinpath(*parts).read_bytes(), setting


def test_every_packaged_config_file_loads(installed: Installed) -> None:
    code = (
        "from clinvault.settings import Settings\n"
        "from clinvault.vault.policy import load_policy\n"
        "from clinvault.index.collection import CollectionConfig\n"
        "from clinvault.index.pins import load_pins\n"
        "from clinvault.phi.allow_list import AllowList\n"
        "from clinvault.phi.recognizer_config import RecognizerConfig\n"
        "from clinvault.phi.model_pins import verify_model\n"
        "s = Settings.load()\n"
        "load_policy(s.vault.policy_file)\n"
        "CollectionConfig.load(s.index.collection_file)\n"
        "print(len(load_pins(s.index.embedder.pins_file, s.index.embedder.model)))\n"
        "print(len(AllowList.load(s.phi.allow_list_file).terms))\n"
        "RecognizerConfig.load(s.phi.recognizers_file)\n"
        "verify_model(s.phi.spacy_model, s.phi.model_pins_file)\n"
    )
    embedder_pins, allowed_terms = (int(n) for n in installed.python(code).split())
    assert embedder_pins > 0
    assert allowed_terms > 0


def test_synth_ingest_and_ask_run_from_another_directory(installed: Installed) -> None:
    installed.clinvault("synth", "--patients", "2", "--seed", "7", "--out", "cohort")
    truth = [
        json.loads(line)
        for line in (installed.workdir / "cohort" / "truth.jsonl").read_text().splitlines()
    ]
    patient = next(row for row in truth if BODY_WEIGHT in row["facts"]["latest_labs"])
    weight = patient["facts"]["latest_labs"][BODY_WEIGHT]

    installed.clinvault("ingest", "cohort")
    installed.clinvault("access", "add-user", "--user", CLINICIAN, "--role", "clinician")
    reference = f"Patient/{patient['patient_id']}"
    installed.clinvault("access", "grant", "--user", CLINICIAN, "--patient", reference)
    answer = json.loads(
        installed.clinvault(
            "ask", "--user", CLINICIAN, "--patient", reference, "--json",
            "What is the latest body weight?",
        )
    )  # fmt: skip

    assert answer["outcome"] == "answered"
    value, unit = weight["value"], weight["unit"]
    assert f"{value} {unit}" in answer["answer"] or f"{value:g} {unit}" in answer["answer"]
    assert [c["reference"] for c in answer["citations"]] == [weight["resource_id"]]
    assert sorted(p.name for p in installed.workdir.iterdir()) == ["cohort"]


def test_a_set_config_path_that_is_missing_stops_the_command_naming_the_setting(
    installed: Installed,
) -> None:
    result = installed.run(
        str(installed.venv / "bin" / "clinvault"),
        "show",
        env={"CLINVAULT_VAULT__POLICY_FILE": str(installed.workdir / "no-such-policy.toml")},
    )
    assert result.returncode != 0
    assert "vault.policy_file" in result.stderr
    assert "Traceback" not in result.stderr
