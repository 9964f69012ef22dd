"""The compiled deny-value matcher against the guard's previous matcher (kept here verbatim
as the oracle): same verdict on generated prompts and deny values, including short same-case
values, digit values with separators, names, unicode case folding and values that overlap."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from clinvault.llm.deny_matcher import DenyMatcher, DenyMatcherCache
from clinvault.llm.egress import EgressGuard

# ---- the oracle: the per-value matcher the guard used before the compiled one ----------
SHORT_VALUE = 6
CASE_SENSITIVE_UPTO = 3
_WHITESPACE = re.compile(r"\s+")
_DIGITS_AND_SEPARATORS = re.compile(r"[\d\s().+/-]+")
_SEPARATORS = re.compile(r"[\s().+/-]+")
_NON_DIGITS = re.compile(r"\D")


def _normalize(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class _Normalized:
    spaced: str
    folded: str
    squeezed: str

    @classmethod
    def of(cls, text: str) -> _Normalized:
        spaced = _WHITESPACE.sub(" ", text).strip()
        folded = spaced.casefold()
        return cls(spaced, folded, _SEPARATORS.sub("", folded))


@dataclass(frozen=True, slots=True)
class _DenyValue:
    needle: str
    squeezed: bool
    source: str
    case_sensitive: bool = False

    def hits(self, text: _Normalized) -> bool:
        if self.case_sensitive:
            return self.needle in text.spaced and re.search(self.source, text.spaced) is not None
        haystack = text.squeezed if self.squeezed else text.folded
        return self.needle in haystack and re.search(self.source, text.folded) is not None


def _deny_value(value: str) -> _DenyValue | None:
    normalized = _normalize(value)
    if not normalized:
        return None
    digits = _NON_DIGITS.sub("", normalized)
    if _DIGITS_AND_SEPARATORS.fullmatch(normalized) and len(digits) >= 4:
        body = r"[\s().+/-]*".join(digits)
        return _DenyValue(digits, True, r"(?<!\d)" + body + r"(?!\d)")
    spaced = _WHITESPACE.sub(" ", value).strip()
    if len(spaced) <= CASE_SENSITIVE_UPTO:
        body = re.escape(spaced)
        return _DenyValue(spaced, False, r"(?<!\w)" + body + r"(?!\w)", case_sensitive=True)
    body = re.escape(normalized).replace(r"\ ", " ")
    if len(normalized) < SHORT_VALUE:
        return _DenyValue(normalized, False, r"(?<!\w)" + body + r"(?!\w)")
    return _DenyValue(normalized, False, body)


def oracle(text: str, values: Sequence[str]) -> bool:
    denied = [d for d in (_deny_value(v) for v in values) if d is not None]
    normalized = _Normalized.of(text)
    return any(value.hits(normalized) for value in denied)


# ---- generated deny values and prompts ---------------------------------------------------
NAMES = [
    "Do",
    "An",
    "Li",
    "Ng",
    "Jane",
    "Doe",
    "Annabel",
    "Anna",
    "Müller",
    "STRAßE",
    "O'Neil",
    "Jean-Luc",
    "van der Berg",
    "Zoë",
    "İlker",
    "Smith",
    "Smithson",
    "Ann Lee",
    "Mary Ann",
]
SEPARATORS = ["-", " ", ".", "/", "(", ")", "+", "", "  ", "\t"]
FILLER = [
    "the",
    "patient",
    "do",
    "an",
    "li",
    "was",
    "seen",
    "on",
    "and",
    "DO",
    "AN",
    "annual",
    "Smithsonian",
    "lee",
    "mary",
    "(",
    ")",
    "-",
    "/",
    ".",
    ",",
    "\n",
    "  ",
    "123",
    "4567",
    "2021-03-04",
    "03/04/2021",
    "bp",
    "120/80",
    "mg",
    "Zoe",
    "ilker",
    "strasse",
    "o'neil",
]


def _digit_value(rng: random.Random) -> str:
    groups = [
        str(rng.randrange(10**n)).zfill(n)
        for n in rng.choice([(3, 3, 4), (4,), (2, 2, 4), (4, 2, 2), (3, 4), (5,)])
    ]
    return rng.choice(["", "+1 ", "("]) + "".join(
        g + (rng.choice(SEPARATORS) if i < len(groups) - 1 else "") for i, g in enumerate(groups)
    )


def _value(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return rng.choice(NAMES)
    if kind < 0.55:
        return rng.choice(NAMES).upper() if rng.random() < 0.5 else rng.choice(NAMES).lower()
    if kind < 0.85:
        return _digit_value(rng)
    if kind < 0.9:
        return rng.choice(["", " ", "\t", "12", "1-2", "a", "A", "ab "])
    return " ".join(rng.sample(NAMES, 2))


def _variant(rng: random.Random, value: str) -> str:
    """How a prompt might carry a value: as is, recased, with other separators or spacing."""
    choice = rng.random()
    if choice < 0.3:
        return value
    if choice < 0.5:
        return value.upper() if rng.random() < 0.5 else value.lower()
    if choice < 0.8:
        return "".join(ch if ch.isalnum() else rng.choice(SEPARATORS) for ch in value)
    return value.replace(" ", rng.choice(["  ", "\n", " \t "]))


def _prompt(rng: random.Random, values: Sequence[str]) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randrange(0, 30))]
    for _ in range(rng.randrange(0, 3)):
        if values:
            where = rng.randrange(len(words) + 1)
            glue = rng.choice(["", " ", "-", "x", "1"])
            words.insert(
                where, glue + _variant(rng, rng.choice(values)) + rng.choice(["", " ", "s", "0"])
            )
    return rng.choice([" ", "", "\n"]).join(words)


def test_compiled_matcher_agrees_with_the_old_matcher_on_generated_prompts() -> None:
    rng = random.Random(20261203)
    verdicts = {True: 0, False: 0}
    for _ in range(400):
        values = [_value(rng) for _ in range(rng.randrange(0, 12))]
        matcher = DenyMatcher(values)
        for _ in range(25):
            text = _prompt(rng, values)
            expected = oracle(text, values)
            assert matcher.hits(text) is expected, (values, text)
            verdicts[expected] += 1
    assert verdicts[True] > 1000
    assert verdicts[False] > 1000


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (["Do"], "Do not stop"),
        (["Do"], "do not stop"),
        (["An"], "An annual visit"),
        (["Anna"], "Annabel came"),
        (["Anna"], "anna came"),
        (["Annabel", "Anna"], "ANNABEL came"),
        (["555-867-5309"], "call (555) 867 5309"),
        (["555-867-5309"], "id 15558675309"),
        (["5558675309", "555-867-5309"], "5558675309"),
        (["1234"], "code 12345"),
        (["1234"], "code 12-34"),
        (["Straße"], "STRASSE 5"),
        (["Zoë"], "ZOË"),
        (["van der Berg"], "VAN   der\nberg"),
        (["  "], "anything"),
        ([], "anything"),
    ],
)
def test_edge_cases_agree_with_the_old_matcher(values: list[str], text: str) -> None:
    assert DenyMatcher(values).hits(text) is oracle(text, values)


def test_guard_on_eval_style_prompts_agrees_with_the_old_matcher() -> None:
    """The guard (whole prompts, trusted system text, the cache) blocks exactly when the old
    matcher found a value in a user message."""
    rng = random.Random(7)
    guard = EgressGuard()
    for _ in range(200):
        values = [_value(rng) for _ in range(rng.randrange(1, 20))]
        text = _prompt(rng, values)
        hit = guard.first_hit([{"role": "user", "content": text}], deny_values=values)
        blocked_by_value = hit is not None and hit.kind == "known identifier value"
        if oracle(text, values):
            assert blocked_by_value, (values, text)
        else:
            assert not blocked_by_value, (values, text)


def test_cache_keeps_one_matcher_per_value_set_and_evicts_the_oldest() -> None:
    cache = DenyMatcherCache(maxsize=2)
    first = cache.get(["Jane Doe", "555-867-5309"])
    assert cache.get(("Jane Doe", "555-867-5309")) is first
    changed = cache.get(["Jane Doe", "555-867-5309", "Smith"])  # a new version of the values
    assert changed is not first
    assert changed.hits("Mr Smith")
    assert not first.hits("Mr Smith")
    cache.get(["x-other"])
    assert len(cache) == 2
    assert cache.get(["Jane Doe", "555-867-5309"]) is not first  # evicted, compiled again
