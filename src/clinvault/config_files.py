"""Where declarative config files come from: the path a setting names, else the packaged default.

One source of truth: the top-level ``vault/`` and ``indexing/`` folders of the source checkout
hold the default policy, allow-list, recognizer config, model pins and collection layout. The
wheel carries each of them as package data under ``clinvault/_config/`` (the hatch
``force-include`` table in ``pyproject.toml`` maps every file of :data:`DEFAULT_FILES` there;
``tests/packaging`` checks that the two lists agree), so an installed package finds its
defaults without a checkout. In a source checkout (editable install) the package directory has
no ``_config`` folder and the top-level files are read in place, so an edit there takes effect
at once. Exactly one of the two places is used; they are never mixed or tried in turn.

Which wins: a path named by a setting (keyword, environment, the ``CLINVAULT_CONFIG`` TOML)
always; the packaged default only while the setting is unset. A named path that is not a file
is an error naming the setting (:data:`ConfigFile`), never a quiet return to the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from clinvault.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_CONFIG_DIR = PACKAGE_DIR / "_config"
"""The defaults inside an installed wheel (absent in a source checkout)."""
SOURCE_CHECKOUT = PACKAGE_DIR.parents[1]
"""The checkout root when the package runs from ``src/clinvault`` (tests, eval data, docs)."""

DEFAULT_FILES: dict[str, tuple[str, ...]] = {
    "vault.policy_file": ("vault", "policy.toml"),
    "phi.allow_list_file": ("vault", "allow_list.txt"),
    "phi.recognizers_file": ("vault", "phi_recognizers.toml"),
    "phi.model_pins_file": ("vault", "phi_model_pins.toml"),
    "index.embedder.pins_file": ("indexing", "model-pins.toml"),
    "index.collection_file": ("indexing", "collection.toml"),
}
"""Each setting with a packaged default -> the file's path relative to the checkout root (and,
in the wheel, to ``clinvault/_config``)."""


def config_root() -> Path | None:
    """The packaged config folder of a wheel install, else the source checkout, else None."""
    if PACKAGED_CONFIG_DIR.is_dir():
        return PACKAGED_CONFIG_DIR
    if (SOURCE_CHECKOUT / "pyproject.toml").is_file():
        return SOURCE_CHECKOUT
    return None


def default_config_file(setting: str) -> Path:
    """The packaged default file of ``setting`` (a key of :data:`DEFAULT_FILES`).

    Raises ``ConfigError`` naming the setting when this installation lacks the file.
    """
    parts = DEFAULT_FILES[setting]
    root = config_root()
    if root is None:
        raise ConfigError(
            f"no default for {setting}: this installation has neither {PACKAGED_CONFIG_DIR} "
            f"(package data of the wheel) nor a source checkout; set {setting} to a file"
        )
    path = root.joinpath(*parts)
    if not path.is_file():
        raise ConfigError(
            f"the default of {setting} ({'/'.join(parts)}) is missing from {root}; "
            f"set {setting} to a file"
        )
    return path


def _named_file(value: Path) -> Path:
    if not value.is_file():
        raise ValueError(
            f"{value} is not a file (a path set here replaces the packaged default, "
            "which is then not used)"
        )
    return value


ConfigFile = Annotated[Path, AfterValidator(_named_file)]
"""A settings field naming a config file: a set path must be an existing file. Unset fields
take their ``default_config_file`` (defaults are not validated again)."""


def _none_word(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() == "none":
        return None
    return value


OptionalConfigFile = Annotated[ConfigFile | None, BeforeValidator(_none_word)]
"""A config file that may be switched off: ``none`` (any case; the only way to say it in an
environment variable or TOML) or ``None`` turns it off explicitly, never by default."""
