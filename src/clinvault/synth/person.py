"""A synthetic patient's identity: names, demographics, contact details, identifiers, a relative."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from clinvault.synth.cultures import (
    CULTURES,
    ETHNICITIES,
    HISPANIC_DETAILS,
    LANGUAGES,
    RACES,
    Category,
    Culture,
    Language,
)
from clinvault.synth.identifiers import IdentifierBook
from clinvault.synth.names import NICKNAMES, WORD_FIRST_NAMES, NameBook, Sex
from clinvault.synth.places import CITIES, CITY_BY_KEY, Address, City, draw_address

T = TypeVar("T")


@dataclass(frozen=True)
class PersonName:
    given: str
    family: str
    middle: str | None = None

    @property
    def full(self) -> str:
        return f"{self.given} {self.family}"


@dataclass(frozen=True)
class Relationship:
    code: str
    """v3-RoleCode."""
    display: str
    word: str
    """How a note says it: "daughter", "husband"."""


RELATIONSHIPS: dict[str, Relationship] = {
    key: Relationship(code, display, key)
    for key, code, display in (
        ("mother", "MTH", "mother"),
        ("father", "FTH", "father"),
        ("wife", "WIFE", "wife"),
        ("husband", "HUSB", "husband"),
        ("sister", "SIS", "sister"),
        ("brother", "BRO", "brother"),
        ("daughter", "DAU", "daughter"),
        ("son", "SON", "son"),
    )
}

_FEMALE_RELATION = {"mother", "wife", "sister", "daughter"}


@dataclass(frozen=True)
class Relative:
    name: PersonName
    sex: Sex
    relationship: Relationship
    phone: str


@dataclass(frozen=True)
class Person:
    sex: Sex
    birth_date: date
    today: date
    culture: Culture
    races: tuple[Category, ...]
    ethnicity: Category
    ethnicity_detail: Category | None
    language: Language
    name: PersonName
    nickname: str | None
    maiden_name: str | None
    prefix: str | None
    address: Address
    phone: str
    email: str | None
    mrn: str
    ssn: str
    relative: Relative

    @property
    def city(self) -> City:
        return self.address.city

    @property
    def age(self) -> int:
        return age_on(self.birth_date, self.today)

    @property
    def age_days(self) -> int:
        return (self.today - self.birth_date).days

    @property
    def race_text(self) -> str:
        if len(self.races) > 1:
            return " and ".join(race.display for race in self.races)
        return self.races[0].display

    @property
    def subject(self) -> str:
        return "he" if self.sex == "male" else "she"

    @property
    def possessive(self) -> str:
        return "his" if self.sex == "male" else "her"

    @property
    def title_name(self) -> str:
        """``Mr. Okafor``; a child is called by first name."""
        return f"{self.prefix} {self.name.family}" if self.prefix else self.name.given


def age_on(birth: date, when: date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def weighted(rng: random.Random, options: tuple[tuple[T, int], ...]) -> T:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def draw_culture(rng: random.Random) -> Culture:
    return weighted(rng, tuple((culture, culture.weight) for culture in CULTURES))


def draw_city(rng: random.Random, culture: Culture) -> City:
    if culture.home_cities and rng.random() < 0.65:
        return CITY_BY_KEY[rng.choice(culture.home_cities)]
    return rng.choice(CITIES)


def draw_given(rng: random.Random, culture: Culture, sex: Sex, *, word_name: bool) -> str:
    if word_name:
        return rng.choice(WORD_FIRST_NAMES[sex])
    return rng.choice(culture.male if sex == "male" else culture.female)


@dataclass
class PersonFactory:
    """Draws people for one cohort, keeping names and identifiers unique within it."""

    names: NameBook
    identifiers: IdentifierBook
    today: date

    def unique_name(
        self,
        rng: random.Random,
        culture: Culture,
        sex: Sex,
        *,
        family: str | None = None,
        word_name: bool = False,
    ) -> PersonName:
        for attempt in range(50):
            given = draw_given(rng, culture, sex, word_name=word_name and attempt < 10)
            surname = family or self.names.surname(rng, culture.surnames, sex)
            if self.names.claim(given, surname):
                return PersonName(given, surname)
            if family is not None and attempt > 20:
                family = None
        raise ValueError("could not find an unused person name for this cohort")

    def draw(self, rng: random.Random, age_days: int, *, word_named_relative: bool) -> Person:
        culture = draw_culture(rng)
        sex: Sex = rng.choice(("male", "female"))
        birth_date = self.today - timedelta(days=age_days)
        age = age_on(birth_date, self.today)
        name = self.unique_name(rng, culture, sex)
        pool = culture.male if sex == "male" else culture.female
        middle = rng.choice(pool) if rng.random() < 0.4 else None
        if middle is not None and middle != name.given:
            name = PersonName(name.given, name.family, middle)
        nickname = None
        if name.given in NICKNAMES and rng.random() < 0.6:
            nickname = rng.choice(NICKNAMES[name.given])
        maiden = None
        if sex == "female" and age >= 25 and rng.random() < 0.4:
            maiden = self.names.surname(rng, culture.surnames, sex)
            if maiden == name.family:
                maiden = None
        prefix = None
        if age >= 18:
            prefix = "Mr." if sex == "male" else ("Mrs." if maiden else "Ms.")
        races: tuple[Category, ...] = (RACES[weighted(rng, culture.races)],)
        if rng.random() < 0.05:
            extra = RACES[rng.choice(("white", "black", "asian", "aian"))]
            if extra not in races and races[0].code not in ("UNK", "ASKU"):
                races = (*races, extra)
        if rng.random() < 0.03:
            ethnicity = ETHNICITIES["declined"]
        elif rng.random() < culture.hispanic:
            ethnicity = ETHNICITIES["hispanic"]
        else:
            ethnicity = ETHNICITIES["not_hispanic"]
        detail = rng.choice(HISPANIC_DETAILS) if ethnicity.code == "2135-2" else None
        language = LANGUAGES[weighted(rng, culture.languages)]
        city = draw_city(rng, culture)
        address = draw_address(rng, city)
        phone = self.identifiers.phone(rng, city)
        email = None
        if age >= 16 and rng.random() < 0.85:
            email = self.identifiers.email(rng, nickname or name.given, name.family)
        relative = self.draw_relative(
            rng, culture, sex, age, name, maiden, city, word_name=word_named_relative
        )
        return Person(
            sex=sex,
            birth_date=birth_date,
            today=self.today,
            culture=culture,
            races=races,
            ethnicity=ethnicity,
            ethnicity_detail=detail,
            language=language,
            name=name,
            nickname=nickname,
            maiden_name=maiden,
            prefix=prefix,
            address=address,
            phone=phone,
            email=email,
            mrn=self.identifiers.mrn(rng),
            ssn=self.identifiers.ssn(rng),
            relative=relative,
        )

    def draw_relative(
        self,
        rng: random.Random,
        culture: Culture,
        sex: Sex,
        age: int,
        name: PersonName,
        maiden: str | None,
        city: City,
        *,
        word_name: bool,
    ) -> Relative:
        if age < 18:
            kind = rng.choice(("mother", "mother", "father"))
        elif age < 35:
            kind = rng.choice(("mother", "father", "sister", "brother", "spouse", "spouse"))
        elif age < 70:
            kind = rng.choice(
                ("spouse", "spouse", "spouse", "sister", "brother", "daughter", "son")
            )
        else:
            kind = rng.choice(("daughter", "daughter", "son", "son", "spouse"))
        if kind == "spouse":
            same_sex = rng.random() < 0.08
            other: Sex = "female" if sex == "male" else "male"
            relative_sex: Sex = sex if same_sex else other
            kind = "wife" if relative_sex == "female" else "husband"
        relative_sex = "female" if kind in _FEMALE_RELATION else "male"
        family: str | None = name.family
        if kind in ("sister", "brother") and maiden:
            family = maiden
        if kind == "mother" and rng.random() < 0.3:
            family = None
        relative_name = self.unique_name(
            rng, culture, relative_sex, family=family, word_name=word_name
        )
        return Relative(
            relative_name, relative_sex, RELATIONSHIPS[kind], self.identifiers.phone(rng, city)
        )
