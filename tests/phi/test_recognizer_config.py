from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.errors import ConfigError
from clinvault.phi.base import PhiType
from clinvault.phi.recognizer_config import RecognizerConfig
from clinvault.settings import PhiSettings

VALID = """
[presidio]
recognizers = ["EmailRecognizer"]
[presidio.entity_types]
EMAIL_ADDRESS = "EMAIL"
[spacy]
labels = { PERSON = "PERSON" }
default_score = 0.85
"""


def test_project_config_disables_the_noisy_presidio_recognizers() -> None:
    config = RecognizerConfig.load(PhiSettings().recognizers_file)
    for noisy in (
        "UsLicenseRecognizer",
        "NhsRecognizer",
        "UsBankRecognizer",
        "UsPassportRecognizer",
    ):
        assert noisy not in config.presidio.recognizers
    assert config.presidio.entity_types["PERSON"] is PhiType.NAME
    assert {p.type for p in config.identifier_patterns()} >= {PhiType.MRN, PhiType.ID}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[identifier]]\nname = "x"\ntype = "MRN"\npattern = "("\nscore = 0.9\n', "regular"),
        ('[[identifier]]\nname = "x"\ntype = "NOPE"\npattern = "a"\nscore = 0.9\n', "identifier"),
    ],
)
def test_invalid_entries_are_config_errors_naming_the_place(
    tmp_path: Path, extra: str, message: str
) -> None:
    path = tmp_path / "phi_recognizers.toml"
    path.write_text(VALID + extra)
    with pytest.raises(ConfigError, match=message):
        RecognizerConfig.load(path)
