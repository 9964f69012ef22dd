from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.errors import ConfigError
from clinvault.phi.allow_list import AllowList
from clinvault.settings import PhiSettings

LIST = AllowList.from_lines(["# comment", "Parkinson", "Crohn  # inline", "Wilson disease", ""])


def test_single_words_are_allowed_anywhere_case_and_possessive_insensitive() -> None:
    assert LIST.allows("Parkinson", regions=[])
    assert LIST.allows("CROHN'S", regions=[])
    assert not LIST.allows("Maria", regions=[])
    assert not LIST.allows("", regions=[])


def test_phrase_words_are_allowed_only_inside_the_phrase() -> None:
    text = "Hx of Wilson's disease. Mr. Wilson called."
    regions = LIST.phrase_regions(text)
    first = text.index("Wilson")
    second = text.rindex("Wilson")
    assert LIST.allows("Wilson", start=first, regions=regions)
    assert not LIST.allows("Wilson", start=second, regions=regions)


def test_mixed_span_is_not_allowed() -> None:
    assert not LIST.allows("Parkinson Smith", regions=[])


def test_project_allow_list_loads_and_keeps_common_surnames_out() -> None:
    allow = AllowList.load(PhiSettings().allow_list_file)
    assert allow.allows("Hodgkin", regions=[])
    assert allow.allows("Lisinopril", regions=[])
    for surname in ("Wilson", "Graves", "Murphy", "Smith", "Johnson", "Bell"):
        assert not allow.allows(surname, regions=[]), surname


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="allow-list"):
        AllowList.load(tmp_path / "absent.txt")
