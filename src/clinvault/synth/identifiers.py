"""Identifiers and contact points that stay unique within a cohort.

Formats are realistic but safe: SSNs start with 999 (never issued), phone numbers use the
555-01XX range reserved for fiction, e-mail addresses use the reserved example domains, and
NPIs carry a valid Luhn check digit (prefix 80840) so validators accept them.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from clinvault.synth.places import City

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
MAX_TRIES = 200


class IdentifierSpaceExhausted(ValueError):
    """The cohort is too large for the reserved number ranges of one kind."""


def npi_check_digit(first_nine: str) -> str:
    """Luhn check digit of an NPI over the prefix 80840 + the first nine digits."""
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            doubled = digit * 2
            total += doubled - 9 if doubled > 9 else doubled
        else:
            total += digit
    return str((10 - total % 10) % 10)


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


@dataclass
class IdentifierBook:
    """Cohort-wide registry of issued identifiers (one per cohort, never module level)."""

    issued: set[str] = field(default_factory=set)

    def _unique(self, kind: str, make: Callable[[], str]) -> str:
        for _ in range(MAX_TRIES):
            value = make()
            if value not in self.issued:
                self.issued.add(value)
                return value
        raise IdentifierSpaceExhausted(f"no unused {kind} left for this cohort size")

    def mrn(self, rng: random.Random) -> str:
        return self._unique("MRN", lambda: str(rng.randint(10_000_000, 99_999_999)))

    def ssn(self, rng: random.Random) -> str:
        return self._unique(
            "SSN", lambda: f"999-{rng.randint(10, 99):02d}-{rng.randint(1, 9999):04d}"
        )

    def phone(self, rng: random.Random, city: City) -> str:
        return self._unique(
            "phone", lambda: f"({rng.choice(city.area_codes)}) 555-01{rng.randint(0, 99):02d}"
        )

    def npi(self, rng: random.Random) -> str:
        def make() -> str:
            first_nine = str(rng.choice((1, 2))) + f"{rng.randint(0, 99_999_999):08d}"
            return first_nine + npi_check_digit(first_nine)

        return self._unique("NPI", make)

    def email(self, rng: random.Random, given: str, family: str) -> str:
        def make() -> str:
            style = rng.randint(0, 3)
            first, last = ascii_slug(given), ascii_slug(family)
            local = (
                f"{first}.{last}",
                f"{first[:1]}{last}{rng.randint(1, 99)}",
                f"{first}{last}{rng.randint(1950, 2020)}",
                f"{last}.{first}{rng.randint(1, 9)}",
            )[style]
            return f"{local}@{rng.choice(EMAIL_DOMAINS)}"

        return self._unique("e-mail", make)
