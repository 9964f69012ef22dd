"""The small parts: ids, identifiers, date formats, span-recording notes."""

from __future__ import annotations

import random
from datetime import date

from clinvault.synth import dates
from clinvault.synth.identifiers import IdentifierBook, npi_check_digit
from clinvault.synth.ids import IdFactory
from clinvault.synth.mentions import Eponym, NoteBuilder, Phi
from clinvault.synth.places import CITY_BY_KEY


def test_id_factory_is_deterministic_and_scoped() -> None:
    a, b = IdFactory(1, "patient/0"), IdFactory(1, "patient/0")
    assert [a.new("Observation") for _ in range(3)] == [b.new("Observation") for _ in range(3)]
    assert IdFactory(2, "patient/0").new("Observation") != IdFactory(1, "patient/0").new(
        "Observation"
    )
    assert a.new("Observation") != a.new("Observation")


def test_npi_check_digit_matches_the_published_example() -> None:
    assert npi_check_digit("123456789") == "3"  # CMS example NPI 1234567893


def test_identifier_book_never_repeats() -> None:
    book, rng = IdentifierBook(), random.Random(0)
    city = CITY_BY_KEY["boston"]
    phones = [book.phone(rng, city) for _ in range(150)]
    assert len(set(phones)) == 150
    assert all(p.startswith(("(617) 555-01", "(857) 555-01")) for p in phones)
    ssns = {book.ssn(rng) for _ in range(50)}
    assert len(ssns) == 50


def test_date_formats() -> None:
    day = date(2024, 3, 5)
    assert dates.iso(day) == "2024-03-05"
    assert dates.us(day) == "03/05/2024"
    assert dates.long(day) == "March 5, 2024"
    assert dates.shorthand(day) == "3/5"
    assert dates.weekday_shorthand(day) == "Tues 3/5"
    assert dates.us_short_year(day) == "3/5/24"


def test_note_builder_records_spans() -> None:
    note = NoteBuilder()
    note.line("Seen {d} by {who}.", d=Phi("3/4", "DATE", False), who="the team")
    note.write(
        "No tremor; {e} unlikely. Call {n}.",
        e=Eponym("Parkinson"),
        n=Phi("Hope", "OTHER_PERSON", False),
    )
    text = note.text
    assert text == "Seen 3/4 by the team.\nNo tremor; Parkinson unlikely. Call Hope."
    assert [text[s.start : s.end] for s in note.spans] == ["3/4", "Parkinson", "Hope"]
