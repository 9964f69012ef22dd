"""Issue 19 item 3: no part of a name survives when spans of different sources overlap.

A known identifier ("Hope", learned from the record) and a longer detected name
("Hope Brown") used to resolve by precedence: the known match won and the detected name was
dropped whole, so ``[NAME-…] Brown`` reached the index. Overlapping spans of every pair of
sources (known identifier, written date, detector span) are now replaced as their union.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinvault.clock import FixedClock, seeded_random
from clinvault.ingest.note_scrubber import scrub
from clinvault.keys import KeyRing
from clinvault.phi import PhiType, Span
from clinvault.settings import Settings
from clinvault.vault import PatientContext, Vault
from clinvault.vault.policy import load_policy
from clinvault.vault.store_sql import SqlVaultStore

FILLER = ("patient", "seen", "today", "with", "cough", "and", "her", "brother", "visited", "by")
"""Lowercase note words; generated names are capitalized, so they never collide."""


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    policy = load_policy(Settings.load(home=tmp_path).vault.policy_file)
    store = SqlVaultStore(f"sqlite:///{tmp_path / 'vault.db'}")
    yield Vault(
        store=store,
        keys=KeyRing.from_master(bytes(range(32))),
        policy=policy,
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), timedelta(seconds=1)),
        random=seeded_random(19),
    )
    store.close()


def _name(text: str, phrase: str, start_at: int = 0) -> Span:
    start = text.index(phrase, start_at)
    return Span(start, start + len(phrase), PhiType.NAME, 0.85, phrase, "test")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text))


def test_known_given_name_inside_a_detected_full_name_hides_the_whole_name(vault: Vault) -> None:
    ctx = vault.context("Patient/hope-1")
    ctx.learn("NAME", "Hope")
    text = "Seen with Hope Brown today."
    out = scrub(text, ctx, [_name(text, "Hope Brown")])
    assert not _words(out) & {"Hope", "Brown"}, out
    assert re.fullmatch(r"Seen with \[NAME-[0-9A-F]{8,16}\] today\.", out)
    assert ctx.value_of(re.findall(r"\[NAME-[0-9A-F]+\]", out)[0]) == "Hope Brown"


def test_partly_overlapping_known_and_detected_spans_are_replaced_as_their_union(
    vault: Vault,
) -> None:
    ctx = vault.context("Patient/hope-2")
    ctx.learn("NAME", "Ada Quill")  # known phrase; the detector sees "Quill Marsh"
    text = "Ada Quill Marsh called."
    out = scrub(text, ctx, [_name(text, "Quill Marsh")])
    assert not _words(out) & {"Ada", "Quill", "Marsh"}, out


def test_a_written_date_overlapping_a_detected_name_leaves_no_part_of_either(
    vault: Vault,
) -> None:
    ctx = vault.context("Patient/hope-3")
    text = "Letter from March 3, 2020 Holloway about the visit."
    # a detector that reads "2020 Holloway" as a name overlaps the written date
    out = scrub(text, ctx, [_name(text, "2020 Holloway")])
    assert not _words(out) & {"Holloway"}, out
    assert "2020" not in out, out


def test_overlapping_detected_date_and_name_spans_leave_no_part_of_the_name(vault: Vault) -> None:
    ctx = vault.context("Patient/hope-4")
    text = "Seen on 03/04 Kessler by the team."
    date = Span(8, 13, PhiType.DATE, 0.9, "03/04", "test")
    out = scrub(text, ctx, [date, _name(text, "03/04 Kessler")])
    assert "Kessler" not in out, out
    assert "03/04" not in out, out


def test_dates_alone_still_shift_as_dates(vault: Vault) -> None:
    ctx = vault.context("Patient/hope-5")
    text = "Seen on March 3, 2020 in clinic."
    start = text.index("on March")
    end = start + len("on March 3, 2020")
    out = scrub(text, ctx, [Span(start, end, PhiType.DATE, 0.9, text[start:end], "test")])
    assert "March 3, 2020" not in out
    assert "[" not in out, out
    assert re.fullmatch(r"Seen on \w+ \d{1,2}, \d{4} in clinic\.", out), out


NAME_WORD = st.from_regex(r"\A[A-Z][a-z]{3,8}\Z").filter(
    lambda w: not re.fullmatch(r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*", w)
)


@st.composite
def notes(draw: st.DrawFn) -> tuple[list[str], list[list[str]], str, list[Span]]:
    """(known words, planted names, note text, detector spans): each planted name shares at
    least one word with the known identifiers; the detector reports each name, sometimes
    stretched over a neighbouring word or cut to its unknown part, plus stray partial spans."""
    pool = draw(st.lists(NAME_WORD, min_size=3, max_size=8, unique=True))
    known = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool) - 1, unique=True))
    names: list[list[str]] = []
    for _ in range(draw(st.integers(1, 4))):
        shared = draw(st.sampled_from(known))
        others = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2))
        words = [shared, *others] if draw(st.booleans()) else [*others, shared]
        names.append(words)
    text = ""
    spans: list[Span] = []
    for words in names:
        before = draw(st.sampled_from(FILLER))
        text += before + " "
        name = " ".join(words)
        start = len(text)
        text += name + " " + draw(st.sampled_from(FILLER)) + ". "
        style = draw(st.sampled_from(["full", "with-word-before", "unknown-part", "word-by-word"]))
        if style == "full":
            pieces = [(start, start + len(name))]
        elif style == "with-word-before":
            pieces = [(start - len(before) - 1, start + len(name))]
        elif style == "unknown-part":
            cut = len(words[0]) + 1 if words[0] in known else 0
            end = start + len(name)
            if words[-1] in known and len(words) > 1:
                end -= len(words[-1]) + 1
            pieces = [(start + cut, end)]
        else:
            offset = start
            pieces = []
            for word in words:
                pieces.append((offset, offset + len(word)))
                offset += len(word) + 1
        if draw(st.booleans()):  # a stray span over the tail of the name and the next word
            tail = start + len(name) - len(words[-1])
            pieces.append(
                (tail, start + len(name) + 1 + len(text[start + len(name) + 1 :].split()[0]))
            )
        for s, e in pieces:
            if s < e:  # a name of known words only needs no detector span
                spans.append(Span(s, e, PhiType.NAME, 0.8, text[s:e], "test"))
    return known, names, text, spans


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=notes(), patient=st.integers(0, 10**9))
def test_no_word_of_a_planted_name_survives(
    vault: Vault, case: tuple[list[str], list[list[str]], str, list[Span]], patient: int
) -> None:
    known, names, text, spans = case
    ctx: PatientContext = vault.context(f"Patient/p{patient}")
    for word in known:
        ctx.learn("NAME", word)
    out = scrub(text, ctx, spans)
    planted = {word for words in names for word in words}
    survivors = _words(out) & planted
    assert not survivors, (survivors, text, out)
