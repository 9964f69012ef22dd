"""Clinical facts that are stated only in a note's free text, never as structured data.

They test that retrieval reads notes: "when did she quit smoking?" has its answer in one
sentence of one DocumentReference and nowhere else.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from clinvault.synth.person import Person, age_on


@dataclass(frozen=True)
class NoteFact:
    question: str
    answer: str
    sentence: str


JOBS = (
    "school bus driver",
    "pastry chef",
    "welder",
    "high school chemistry teacher",
    "software developer",
    "long-haul truck driver",
    "hair stylist",
    "electrician",
    "accountant",
    "postal carrier",
    "landscaper",
    "pharmacy technician",
    "commercial fisherman",
    "librarian",
)
COUNTRIES = ("Portugal", "Vietnam", "Mexico", "Kenya", "India", "Peru", "Ireland", "Morocco")
PETS = ("dog", "cat", "parrot", "rabbit", "two cats", "beagle")
SPORTS = ("soccer", "basketball", "swimming", "violin lessons", "karate", "baseball")
AIDS = ("walker", "cane", "rollator")
GRADES = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _walk(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    miles = rng.choice((1, 2, 3, 4, 5))
    unit = "mile" if miles == 1 else "miles"
    return NoteFact(
        "How far does the patient walk each day?",
        f"{miles} {unit}",
        f"Patient reports {p.subject} walks {p.possessive} dog {miles} {unit} daily.",
    )


def _smoking(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    last = as_of.year - 1
    first = min(max(p.birth_date.year + 17, as_of.year - 35), last)
    year = rng.randint(first, last)
    packs = rng.randint(1, max(1, year - p.birth_date.year - 15))
    return NoteFact(
        "In what year did the patient quit smoking?",
        str(year),
        f"Former smoker; {p.subject} quit smoking in {year} after about {packs} pack-years.",
    )


def _job(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    job = rng.choice(JOBS)
    retired = age_on(p.birth_date, as_of) >= 67
    sentence = f"{'Retired' if retired else 'Works as a'} {job}."
    return NoteFact("What is (or was) the patient's occupation?", job, _cap(sentence.strip()))


def _coffee(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    cups = rng.randint(1, 6)
    return NoteFact(
        "How many cups of coffee does the patient drink per day?",
        str(cups),
        f"{_cap(p.subject)} drinks {cups} cup{'s' if cups > 1 else ''} of coffee a day.",
    )


def _travel(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    country = rng.choice(COUNTRIES)
    return NoteFact(
        "Which country did the patient recently travel to?",
        country,
        f"{_cap(p.subject)} recently returned from a two-week trip to {country}.",
    )


def _pet(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    pet = rng.choice(PETS)
    return NoteFact(
        "What pet does the patient live with?",
        pet,
        f"Lives with {p.possessive} {pet}; no other animal exposure.",
    )


def _mobility(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    aid = rng.choice(AIDS)
    return NoteFact(
        "What mobility aid does the patient use outdoors?",
        aid,
        f"Uses a {aid} when walking outdoors; no falls this year.",
    )


def _sport(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    sport = rng.choice(SPORTS)
    grade = rng.choice(GRADES)
    return NoteFact(
        "What after-school activity does the child do?",
        sport,
        f"In {grade} grade; does {sport} after school twice a week.",
    )


def _feeding(rng: random.Random, p: Person, as_of: date) -> NoteFact:
    feeding = rng.choice(("breast milk", "formula", "breast milk and formula"))
    hours = rng.choice((2, 3, 4))
    return NoteFact(
        "How is the infant fed?",
        feeding,
        f"Feeding {feeding} every {hours} hours with good latch and wet diapers.",
    )


FactMaker = Callable[[random.Random, Person, date], NoteFact]

ADULT_FACTS: tuple[FactMaker, ...] = (_walk, _smoking, _job, _coffee, _travel, _pet)
ELDER_FACTS: tuple[FactMaker, ...] = (_mobility, _smoking, _job, _pet, _walk)
CHILD_FACTS: tuple[FactMaker, ...] = (_sport, _pet, _travel)
INFANT_FACTS: tuple[FactMaker, ...] = (_feeding,)


def draw_note_facts(rng: random.Random, person: Person, as_of: date) -> list[NoteFact]:
    """One or two facts suited to the patient's age on ``as_of`` (the first note's date)."""
    age = age_on(person.birth_date, as_of)
    if age < 2:
        pool = INFANT_FACTS
    elif age < 18:
        pool = CHILD_FACTS
    elif age < 75:
        pool = ADULT_FACTS
    else:
        pool = ELDER_FACTS
    count = min(len(pool), rng.choice((1, 2)))
    return [make(rng, person, as_of) for make in rng.sample(pool, count)]
