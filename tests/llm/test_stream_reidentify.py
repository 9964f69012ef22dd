"""``StreamingReidentifier``: any split of a stream re-identifies like the whole text, and
only a partial token or date is ever held back."""

from __future__ import annotations

import pytest

from clinvault.llm.stream_reidentify import StreamingReidentifier, unfinished_from
from clinvault.vault.dates import shift_text_dates
from clinvault.vault.tokens import find_value_tokens

VALUES = {"[NAME-7F3A2C91]": "Anna Quillfeather", "[PHONE-0A1B2C3D]": "555-867-5309"}


def reidentify(text: str) -> str:
    text = shift_text_dates(text, -40)
    for match in reversed(find_value_tokens(text)):
        value = VALUES.get(match.canonical)
        if value is not None:
            text = text[: match.start] + value + text[match.end :]
    return text


TEXTS = (
    "Patient [NAME-7F3A2C91] was seen on 2021-03-04 [1]; call [PHONE-0A1B2C3D].",
    "HbA1c 7.9 % on March 4, 2021 and 6.1 % on 4 May 2019 [2], again 3/4/2020 [3].",
    "no tokens at all, just prose that goes on for a while",
)


@pytest.mark.parametrize("text", TEXTS)
def test_every_two_way_split_matches_whole_text_reidentification(text: str) -> None:
    expected = reidentify(text)
    for cut in range(len(text) + 1):
        stream = StreamingReidentifier(reidentify)
        out = stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.finish()
        assert out == expected, cut


@pytest.mark.parametrize("text", TEXTS)
def test_character_by_character_stream_matches_and_holds_back_little(text: str) -> None:
    stream = StreamingReidentifier(reidentify)
    out = []
    for char in text:
        out.append(stream.feed(char))
        assert len(stream.held_back) <= len("September 30, 2021")
    out.append(stream.finish())
    assert "".join(out) == reidentify(text)


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("seen on [NA", "[NA"),
        ("seen on [NAME-7F3A", "[NAME-7F3A"),
        ("on 2021-0", "2021-0"),
        ("on March 4,", "March 4,"),
        ("see Observation/RES-00AB", "Observation/RES-00AB"),
        ("value 6.8 % [1]. Done.", ""),
        ("prose ending in a word like Done", "e"),  # could start a lenient "EMAIL 1A2B…" token
    ],
)
def test_only_the_unfinished_tail_is_held(text: str, held: str) -> None:
    assert text[unfinished_from(text) :] == held
