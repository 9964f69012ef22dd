from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.errors import ConfigError, ModelIntegrityError
from clinvault.phi.model_pins import compute_pins, render_pins, verify_model
from clinvault.settings import PhiSettings


def fake_model(root: Path) -> Path:
    package = root / "tiny_model"
    data = package / "tiny_model-1.0"
    data.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (data / "config.cfg").write_text("[nlp]\n")
    (data / "weights").write_bytes(b"\x00\x01")
    return package


def pins_for(path: Path, package: Path) -> Path:
    pins = path / "pins.toml"
    pins.write_text(render_pins(str(package), compute_pins(package)))
    return pins


def test_matching_pins_return_the_data_folder(tmp_path: Path) -> None:
    package = fake_model(tmp_path)
    assert verify_model(str(package), pins_for(tmp_path, package)) == package / "tiny_model-1.0"


@pytest.mark.parametrize("tamper", ["change", "remove", "add"])
def test_any_difference_is_refused(tmp_path: Path, tamper: str) -> None:
    package = fake_model(tmp_path)
    pins = pins_for(tmp_path, package)
    weights = package / "tiny_model-1.0" / "weights"
    if tamper == "change":
        weights.write_bytes(b"\x00\x02")
    elif tamper == "remove":
        weights.unlink()
    else:
        (package / "extra.py").write_text("import os\n")
    with pytest.raises(ModelIntegrityError, match="does not match its pins"):
        verify_model(str(package), pins)


def test_model_without_pins_is_refused(tmp_path: Path) -> None:
    package = fake_model(tmp_path)
    pins = tmp_path / "pins.toml"
    pins.write_text('[models."other".files]\n"a" = "b"\n')
    with pytest.raises(ModelIntegrityError, match="no sha256 pins"):
        verify_model(str(package), pins)


def test_uninstalled_model_is_a_config_error_never_a_download() -> None:
    with pytest.raises(ConfigError, match="never downloaded"):
        verify_model("en_core_web_lg_not_installed", None)


def test_the_default_model_matches_the_project_pins() -> None:
    settings = PhiSettings()
    folder = verify_model(settings.spacy_model, settings.model_pins_file)
    assert (folder / "config.cfg").is_file()
