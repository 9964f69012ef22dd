"""Config defaults: one source of truth shipped in the wheel; a set path wins and must exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from clinvault import config_files
from clinvault.config_files import DEFAULT_FILES
from clinvault.errors import ConfigError
from clinvault.settings import PROJECT_ROOT, Settings, project_file


def _value(settings: Settings, setting: str) -> object:
    value: object = settings
    for part in setting.split("."):
        value = getattr(value, part)
    return value


def _nested(setting: str, value: object) -> dict[str, object]:
    first, *rest = setting.split(".")
    return {first: _nested(".".join(rest), value) if rest else value}


def _packaged_tree(root: Path, *, leave_out: str | None = None) -> Path:
    packaged = root / "_config"
    for setting, parts in DEFAULT_FILES.items():
        if setting == leave_out:
            continue
        target = packaged.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("# packaged copy\n", encoding="utf-8")
    return packaged


def test_the_wheel_force_includes_exactly_the_default_files() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    forced = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    expected = {
        "/".join(parts): "clinvault/_config/" + "/".join(parts) for parts in DEFAULT_FILES.values()
    }
    assert forced == expected


def test_a_source_checkout_reads_the_top_level_files_in_place(settings: Settings) -> None:
    assert not config_files.PACKAGED_CONFIG_DIR.exists()
    for setting, parts in DEFAULT_FILES.items():
        assert _value(settings, setting) == project_file(*parts), setting
        assert project_file(*parts).is_file(), setting


def test_an_installed_package_reads_its_packaged_copies(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = _packaged_tree(tmp_path)
    monkeypatch.setattr(config_files, "PACKAGED_CONFIG_DIR", packaged)
    installed = Settings.load(home=settings.home)
    for setting, parts in DEFAULT_FILES.items():
        assert _value(installed, setting) == packaged.joinpath(*parts), setting


def test_a_file_missing_from_the_package_is_an_error_not_the_checkout_copy(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = _packaged_tree(tmp_path, leave_out="phi.recognizers_file")
    monkeypatch.setattr(config_files, "PACKAGED_CONFIG_DIR", packaged)
    assert project_file("vault", "phi_recognizers.toml").is_file()  # there, and not used
    with pytest.raises(ConfigError, match=re.escape("phi.recognizers_file")):
        Settings.load(home=settings.home)


@pytest.mark.parametrize("setting", sorted(DEFAULT_FILES))
def test_a_set_path_wins_over_the_packaged_default(
    setting: str, settings: Settings, tmp_path: Path
) -> None:
    own = tmp_path / "own-copy.toml"
    own.write_text("# edited copy\n", encoding="utf-8")
    chosen = Settings.load(home=settings.home, **_nested(setting, str(own)))
    assert _value(chosen, setting) == own


@pytest.mark.parametrize("setting", sorted(DEFAULT_FILES))
def test_a_set_path_that_is_not_a_file_is_an_error_naming_the_setting(
    setting: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINVAULT_" + setting.upper().replace(".", "__"), str(tmp_path / "gone"))
    with pytest.raises(ConfigError, match=re.escape(setting)):
        Settings.load(home=settings.home)


@pytest.mark.parametrize("setting", ["index.embedder.pins_file", "phi.model_pins_file"])
def test_pins_can_still_be_switched_off_explicitly(setting: str, settings: Settings) -> None:
    assert _value(Settings.load(home=settings.home, **_nested(setting, None)), setting) is None


def test_neither_package_data_nor_a_checkout_is_an_error_naming_the_setting(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_files, "PACKAGED_CONFIG_DIR", tmp_path / "site" / "_config")
    monkeypatch.setattr(config_files, "SOURCE_CHECKOUT", tmp_path / "lib")
    with pytest.raises(ConfigError, match=re.escape("set vault.policy_file to a file")):
        Settings.load(home=settings.home)


@pytest.mark.parametrize("setting", ["index.embedder.pins_file", "phi.model_pins_file"])
def test_pins_are_switched_off_by_the_word_none_in_the_environment(
    setting: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINVAULT_" + setting.upper().replace(".", "__"), "none")
    assert _value(Settings.load(home=settings.home), setting) is None
