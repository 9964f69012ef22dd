"""The offline evidence model: a deterministic answerer that only quotes the evidence it is given.

It is the default model (``clinvault/evidence``), so the product runs with no network and no
weights. It is honest rather than clever:

- it selects the items that answer the question by term overlap with the item text (which
  includes the code display), with synonyms for common clinical asks ("allergies" means
  ``AllergyIntolerance`` items, "a1c" matches "Hemoglobin A1c" ...); words are compared by
  stem and synonym group (``evidence_terms``: "walk each day" finds "walks ... daily", "pet"
  finds "two cats", "occupation" finds "Works as a welder"); a subject of two or more words
  must be matched by at least two of them, else the model abstains;
- "latest / most recent / last" keeps the items with the newest date, "first / earliest" the
  oldest, anything else lists the matching items in date order;
- "current / active" medications, conditions or allergies leave out the records whose text
  shows they ended (status stopped or completed, clinical status resolved, an abatement ...);
  "stopped / completed / past" ones keep only those records;
- structured records (a result, a prescription ...) answer before notes: a note answers only
  when no record matches, so "the latest HbA1c" is the newest HbA1c result even when a note
  written later restates it; among notes, one with a single statement that answers beats one
  whose matching words are scattered over several statements;
- every answer line quotes one item's date and text verbatim and cites it as ``[n]``, so every
  number or date in an answer occurs in the item it cites; prose carries no numbers. A record
  is quoted whole, a note passage only by its statements that mention what was asked
  (``Progress note: HbA1c 5.4%``, see ``evidence_quotes``);
- when nothing matches it says so and cites nothing;
- evidence is only ever quoted, never interpreted: instructions inside it change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from difflib import get_close_matches
from functools import cache, partial

from clinvault.llm.clinical_synonyms import KIND_WORDS, SYNONYMS
from clinvault.llm.evidence_quotes import (
    best_statement_score,
    is_note,
    note_passage,
    prefer_structured,
    quoted_text,
    statements,
)
from clinvault.llm.evidence_terms import key, keys, words
from clinvault.llm.negation import mask_negated
from clinvault.llm.prompt import EvidenceItem, defang_citations
from clinvault.llm.time_window import AS_OF, Window, find_window

NOT_ANSWERED = "The provided records do not answer this question."


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of record a question can ask for by name ("allergies"), mapped to FHIR types."""

    words: frozenset[str]
    resource_types: frozenset[str]
    is_list: bool
    """Whether "current X" means "all X" (medications) rather than "the newest X" (labs)."""
    can_end: bool = False
    """Whether a record of this kind can stop being current (a stopped drug, a resolved
    problem), so that "current X" leaves out the ended ones; a given vaccine cannot."""


@dataclass(frozen=True, slots=True)
class Concept:
    """A clinical notion named several ways: question phrases and the phrases that show it."""

    asked_as: tuple[str, ...]
    shown_as: tuple[str, ...]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _category(words: str, types: str, *, is_list: bool, can_end: bool = False) -> Category:
    kinds = {"MedicationRequest": "Medication"}
    shorthand = {w for t in types.split() for w in KIND_WORDS.get(kinds.get(t, t), ())}
    return Category(_wordset(words) | shorthand, _wordset(types), is_list, can_end)


CATEGORIES = (
    _category(
        "allergy allergies allergic intolerance intolerances reaction reactions",
        "AllergyIntolerance",
        is_list=True,
        can_end=True,
    ),
    _category(
        "medication medications med meds drug drugs prescription prescriptions prescribed "
        "taking medicine medicines",
        "MedicationRequest MedicationStatement MedicationAdministration MedicationDispense",
        is_list=True,
        can_end=True,
    ),
    _category(
        "problem problems condition conditions diagnosis diagnoses diagnosed",
        "Condition",
        is_list=True,
        can_end=True,
    ),
    _category(
        "immunization immunizations vaccine vaccines vaccination vaccinations vaccinated shot "
        "shots",
        "Immunization",
        is_list=True,
    ),
    _category(
        "procedure procedures surgery surgeries operation operations",
        "Procedure",
        is_list=True,
    ),
    _category(
        "name names address addresses demographics dob birthdate birthday gender sex",
        "Patient",
        is_list=True,
    ),
    _category("visit visits encounter encounters admission admissions", "Encounter", is_list=True),
    _category("lab labs laboratory vital vitals", "Observation", is_list=False),
)

CONCEPTS = (
    # lay and clinical names (clinical_synonyms); "high blood pressure" before "blood pressure"
    *(Concept(s.asked_as, s.shown_as) for s in SYNONYMS),
    Concept(
        ("hemoglobin a1c", "glycated hemoglobin", "hba1c", "hgba1c", "a1c", "glycohemoglobin"),
        ("a1c", "hba1c", "glycated hemoglobin", "glycohemoglobin", "4548-4"),
    ),
    Concept(("blood sugar", "glucose", "sugar"), ("glucose",)),
    Concept(("blood pressure", "bp"), ("blood pressure", "systolic", "diastolic")),
    Concept(("heart rate", "pulse"), ("heart rate", "pulse")),
    Concept(("body mass index", "bmi"), ("body mass index", "bmi")),
    Concept(("body weight", "weight"), ("weight",)),
    Concept(("body height", "height"), ("height",)),
    Concept(("temperature", "fever"), ("temperature",)),
    Concept(("oxygen saturation", "spo2", "o2 sat"), ("oxygen saturation", "spo2")),
    Concept(
        ("kidney function", "renal function", "egfr", "gfr"),
        ("egfr", "gfr", "glomerular filtration"),
    ),
    Concept(
        (
            "ldl cholesterol",
            "ldl",
            "low density lipoprotein cholesterol",
            "low density lipoprotein",
        ),
        ("ldl", "low density lipoprotein", "18262-6"),
    ),
    Concept(
        (
            "hdl cholesterol",
            "hdl",
            "high density lipoprotein cholesterol",
            "high density lipoprotein",
        ),
        ("hdl", "high density lipoprotein", "2085-9"),
    ),
    Concept(("total cholesterol",), ("total cholesterol", "2093-3")),
    Concept(
        ("lipids", "lipid panel", "cholesterol"),
        ("cholesterol", "ldl", "hdl", "triglyceride", "triglycerides"),
    ),
)

LATEST_WORDS = _wordset("latest last recent newest lately")
CURRENT_WORDS = _wordset("current currently now active ongoing")
EARLIEST_WORDS = _wordset("first earliest oldest initial")
TREND_WORDS = _wordset("trend trends trending trajectory progression over time history")
ENDED_WORDS = _wordset(
    "stopped discontinued completed ended finished resolved inactive former previous "
    "previously prior past"
)
"""Words that ask for the records that are no longer current ("stopped medications")."""

STOPWORDS = _wordset(
    """
    a about after all am an and any are as at be been before being by can could did do does
    done during each ever for from get give had has have he her hers him his how i if in is it
    its list me most my of on or our please show she so that the their them there these they
    this those to tell us was we were what when where which who whom whose why will with would
    you your patient patients patient's record records recorded documented known value values
    result results level levels reading readings measurement measurements test tests number
    numbers date dates ago any has there been time times since many much per up
    infant infants child children baby babies kid kids toddler newborn boy girl man woman
    receive received receiving given gotten got undergo underwent undergone use uses used using
    pt pts pls thanks file chart charted medical right anything something
    """
)
"""Question words that carry no subject: they never make an item match. The patient named
as "the infant" or "the child" is still the patient; "received", "undergone" or "use" say
nothing about what was received or used."""

ENDED = re.compile(
    r"\b(?:clinical status|verification|status) (?:stopped|completed|cancelled|"
    r"entered-in-error|not-taken|inactive|resolved|remission|refuted)\b|\babated\b",
    re.IGNORECASE,
)
"""How a rendered medication, condition or allergy shows that it is no longer current."""


QUALIFIED_ALLERGY = re.compile(
    r"\b(?:drugs?|medications?|medicines?|meds|food|latex)\s+(?=allerg|intoleran|reaction)"
)
"""A kind of allergy ("drug allergies"): the word names the allergen, not a medication ask."""
WHERE_LIVE = re.compile(r"\bwhere (?:does|do|did) .{0,40}?\blives?\b")
""""Where does the patient live?" asks for the address (the Patient record)."""
NEGATIVE_STATEMENTS = {
    "AllergyIntolerance": re.compile(
        r"\bNKDA\b|\bNKA\b|\bno known (?:drug |food |medication )?allerg|"
        r"\bno (?:drug |food |medication )?allergies\b|\bdenies (?:any )?(?:drug )?allergies\b",
        re.IGNORECASE,
    ),
}
"""How a note states that the patient has none of a record kind ("No known drug
allergies", "NKDA"): quoted when no record of that kind is in the evidence."""
NOTHING_RECORDED = re.compile(r"^No record of [^\n]{1,120}? in the provided records\b", re.M)
"""How an absence answer begins: ``No record of stroke in the provided records (searched
...)``. Without a note asserting the negative it cites nothing (an abstention)."""
EXISTS_WORDS = _wordset("any ever history hx h/o pmh had have has been")
"""Words of an existence question ("any history of stroke?", "has the patient ever had")."""


@dataclass(frozen=True, slots=True)
class Ask:
    """What a question asks for, as the model understands it."""

    categories: tuple[Category, ...]
    concepts: tuple[Concept, ...]
    terms: frozenset[str]
    order: str
    """``latest``, ``earliest`` or ``chronological``."""
    current_only: bool = False
    """The question asks for current records of kinds that can end ("current medications")."""
    ended_only: bool = False
    """The question asks for the records of kinds that can end that have ended ("stopped
    medications", "past problems")."""
    exists: bool = False
    """The question asks whether something is recorded at all ("any history of stroke?")."""
    subject: str = ""
    """The asked subject in the question's own words ("stroke"), for an absence answer."""

    @property
    def has_subject(self) -> bool:
        return bool(self.concepts or self.terms)


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


def _contains(text: str, phrase: str) -> bool:
    return _phrase_pattern(phrase).search(text) is not None


@cache
def _known_words() -> tuple[str, ...]:
    """Category and intent words, for reading a misspelled one ("alergy", "problms", "recnt")."""
    known = set().union(*(c.words for c in CATEGORIES))
    known |= LATEST_WORDS | CURRENT_WORDS | EARLIEST_WORDS | TREND_WORDS
    return tuple(sorted(w for w in known if len(w) >= 4))


def _spelled(word: str) -> str:
    """``word``, or the category/intent word it misspells (one or two letters off)."""
    if len(word) < 5 or word in STOPWORDS or word in _known_words():
        return word
    close = get_close_matches(word, _known_words(), n=1, cutoff=0.85)
    if not close or word.startswith(close[0]) or close[0].startswith(word):
        return word  # "recently" is its own word, not a misspelled "recent"
    return close[0]


def understand(question: str) -> Ask:
    """Split a question into the record kinds, concepts and free terms it asks about."""
    question = " ".join(_spelled(w) for w in question.split(" "))
    text = WHERE_LIVE.sub(" address ", QUALIFIED_ALLERGY.sub("", question.casefold()))
    concepts = []
    for concept in CONCEPTS:
        hits = [phrase for phrase in concept.asked_as if _contains(text, phrase)]
        if hits:
            concepts.append(concept)
            for phrase in hits:
                text = _phrase_pattern(phrase).sub(" ", text)
    asked = words(text)
    word_set = set(asked)
    categories = tuple(c for c in CATEGORIES if c.words & word_set)
    category_words = set().union(*(c.words for c in categories)) if categories else set()
    can_end = any(c.can_end for c in categories)
    ended_only = bool(word_set & ENDED_WORDS) and can_end
    intent_words = LATEST_WORDS | CURRENT_WORDS | EARLIEST_WORDS | TREND_WORDS
    if ended_only:
        intent_words |= ENDED_WORDS
    intent_words |= EXISTS_WORDS
    terms = frozenset(
        key(word)
        for word in asked
        if word not in STOPWORDS
        and word not in intent_words
        and word not in category_words
        and not word.replace(".", "").isdigit()
    )
    subject_words = [w for w in words(question) if w not in STOPWORDS and w not in intent_words]
    lists_only = bool(categories) and all(c.is_list for c in categories) and not concepts
    if word_set & LATEST_WORDS or (word_set & CURRENT_WORDS and not lists_only):
        order = "latest"
    elif word_set & EARLIEST_WORDS:
        order = "earliest"
    else:
        order = "chronological"
    current_only = bool(word_set & CURRENT_WORDS) and can_end and not ended_only
    return Ask(
        categories=categories,
        concepts=tuple(concepts),
        terms=terms,
        order=order,
        current_only=current_only,
        ended_only=ended_only,
        exists=bool(word_set & EXISTS_WORDS) or bool(_EXISTS.search(question.casefold())),
        subject=" ".join(dict.fromkeys(subject_words[:6])),
    )


_EXISTS = re.compile(r"^\s*(?:does|do|did|has|have|had|is|was|are|were|any)\b")


def _score(ask: Ask, text: str) -> int:
    """How well ``text`` matches: 2 per concept it shows, 1 per free term it contains."""
    text = text.casefold()
    concept_score = sum(
        2 for concept in ask.concepts if any(_contains(text, p) for p in concept.shown_as)
    )
    return concept_score + len(ask.terms & keys(text))


def _affirmed_score(ask: Ask, text: str) -> int:
    """:func:`_score` of what a note statement affirms: a denied finding ("denies chest
    pain", "no history of stroke") matches nothing."""
    return _score(ask, mask_negated(text))


def _scorer(ask: Ask, item: EvidenceItem) -> Callable[[str], int]:
    """Notes are scored on what they affirm; a structured record on its whole text."""
    return partial(_affirmed_score if is_note(item) else _score, ask)


def select(ask: Ask, evidence: Sequence[EvidenceItem]) -> list[EvidenceItem]:
    """The items that answer ``ask``: best term overlap, limited to the asked record kinds.

    Structured records win over notes: a note answers only when no record does, so "the
    latest HbA1c" is the newest HbA1c result even when a later note restates it. Among notes,
    one with a statement that answers by itself ("Lives with his two cats") beats one whose
    matching words are scattered over unrelated statements.
    """
    if ask.categories:
        wanted = set().union(*(c.resource_types for c in ask.categories))
        candidates = [item for item in evidence if item.resource_type in wanted]
        if ask.current_only:
            candidates = [item for item in candidates if not _ended(ask, item)]
        if ask.ended_only:
            candidates = [item for item in candidates if _ended(ask, item)]
    else:
        candidates = list(evidence)
    if not ask.has_subject:
        return prefer_structured(candidates) if ask.categories else []
    required = _required(ask)
    pool = prefer_structured(
        [item for item in candidates if _scorer(ask, item)(item.text) >= required]
    )
    if ask.exists and not ask.categories:
        # "any history of X?" asks for a diagnosis: a Condition record answers before the
        # encounters and prescriptions that name X as their reason
        pool = [item for item in pool if item.resource_type == "Condition"] or pool
    ranks = {item.n: _rank(item, _scorer(ask, item)) for item in pool}
    best = max(ranks.values(), default=(0, 0))
    return [item for item in pool if ranks[item.n] == best]


def _rank(item: EvidenceItem, score: Callable[[str], int]) -> tuple[int, int]:
    """How well ``item`` answers: its best statement's score (a note's), then its own."""
    whole = score(item.text)
    statement = best_statement_score(item, score)
    return (whole if statement is None else statement, whole)


def _ended(ask: Ask, item: EvidenceItem) -> bool:
    """Whether ``item`` is of a kind that can end, and its text shows that it has."""
    can_end = any(item.resource_type in c.resource_types for c in ask.categories if c.can_end)
    return can_end and ENDED.search(item.text) is not None


def _required(ask: Ask) -> int:
    """A multi-word subject must be matched by at least two of its parts ("blood type" is not
    answered by "Hemoglobin in Blood"); a one-word subject by that word."""
    return min(2, 2 * len(ask.concepts) + len(ask.terms))


def _chronological(items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    """Dated items oldest first (stable), then undated items in prompt order."""
    items = list(items)
    dated = sorted((i for i in items if i.date), key=lambda i: i.date or "")
    return dated + [i for i in items if not i.date]


def order(ask: Ask, items: Sequence[EvidenceItem]) -> list[EvidenceItem]:
    dated = [item for item in items if item.date]
    if ask.order == "chronological" or not dated:
        return _chronological(items)
    pick = max if ask.order == "latest" else min
    edge = pick(item.date or "" for item in dated)
    return [item for item in dated if item.date == edge]


def _intro(ask: Ask, chosen: Sequence[EvidenceItem]) -> str:
    if ask.order == "chronological":
        return "Matching records in the provided evidence, in date order:"
    edge = "newest" if ask.order == "latest" else "earliest"
    if len(chosen) > 1:
        return f"Several records share the {edge} date in the provided evidence:"
    return f"The {edge} matching record in the provided evidence:"


def answer_line(ask: Ask, item: EvidenceItem) -> str:
    """``- date: quote [n]``: a record whole, only the relevant statements of a note."""
    quote = quoted_text(item, _scorer(ask, item), _required(ask), newest=ask.order == "latest")
    text = defang_citations(quote)
    return f"- {item.date}: {text} [{item.n}]" if item.date else f"- {text} [{item.n}]"


def negative_statements(
    ask: Ask, evidence: Sequence[EvidenceItem]
) -> list[tuple[EvidenceItem, str]]:
    """Notes asserting that the patient does not have what was asked, each with its asserting
    statements, when nothing in the evidence affirms it: a statement naming the asked subject
    only inside a negation ("Denies chest pain", "No history of stroke"), or, for a record
    kind asked by name with no record of it given, a statement of none ("No known drug
    allergies")."""
    wanted = set().union(*(c.resource_types for c in ask.categories)) if ask.categories else set()
    patterns = []
    if not ask.has_subject and not any(item.resource_type in wanted for item in evidence):
        patterns = [NEGATIVE_STATEMENTS[t] for t in sorted(wanted) if t in NEGATIVE_STATEMENTS]
    required = _required(ask)
    found: list[tuple[EvidenceItem, str]] = []
    for item in _chronological(evidence):
        note = note_passage(item)
        if note is None:
            continue
        said = [
            s
            for s in statements(note.body)
            if any(p.search(s) for p in patterns) or (ask.has_subject and _denies(ask, s, required))
        ]
        if said:
            found.append((item, f"{note.label}: {' … '.join(said)}"))
    return found


def _denies(ask: Ask, statement: str, required: int) -> bool:
    """Whether ``statement`` names the asked subject, but only inside a negation."""
    return _score(ask, statement) >= required > _affirmed_score(ask, statement)


def searched(evidence: Sequence[EvidenceItem]) -> str:
    """What an absence answer says was searched: the items and their record kinds."""
    kinds = ", ".join(sorted({item.resource_type for item in evidence})) or "none"
    return f"searched the evidence items of kinds: {kinds}"


def nothing_recorded(ask: Ask, evidence: Sequence[EvidenceItem]) -> str:
    """``No record of <subject> in the provided records (searched ...).``"""
    subject = defang_citations(ask.subject) or "what was asked"
    return f"No record of {subject} in the provided records ({searched(evidence)})."


def _absence_answer(
    ask: Ask, evidence: Sequence[EvidenceItem], found: Sequence[tuple[EvidenceItem, str]]
) -> str:
    lines = [nothing_recorded(ask, evidence).removesuffix(".") + ". Notes state its absence:"]
    for item, quote in found:
        text = defang_citations(quote)
        lines.append(f"- {item.date}: {text} [{item.n}]" if item.date else f"- {text} [{item.n}]")
    return "\n".join(lines)


_PART_SPLIT = re.compile(r"\?\s+|;\s*|,\s*(?:and\s+|also\s+)?|\s+(?:and|also|plus|&)\s+", re.I)
COMPARE = re.compile(
    r"\b(?:better|worse|improv\w*|compar\w*|higher|lower|changed?|different|vs\.?|versus)\b", re.I
)
"""A comparison question ("is the A1c better than last year?")."""
_VALUE = re.compile(r"(?<![<>!])=\s*(-?\d+(?:\.\d+)?)(?![\d.:-])")
"""A rendered result's value (``... (LOINC 2160-0) = 1.54 mg/dL on ...``)."""


_ORDINALS = dict(enumerate(("zero", "one", "two", "three", "four", "five", "six"), start=0))


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things ("current meds and allergies?"):
    pieces that each name a record kind or concept, and not the same ones; else ``[question]``."""
    pieces = [p.strip(" ?.") for p in _PART_SPLIT.split(question) if p.strip(" ?.")]
    asks = [(p, understand(p)) for p in pieces]
    named = [(p, a) for p, a in asks if a.categories or a.concepts]
    signatures = {(frozenset(c.resource_types for c in a.categories), a.concepts) for _, a in named}
    if len(named) < 2 or len(signatures) < len(named):
        return [question]
    # a piece naming nothing ("the current") joins the next named piece
    parts: list[str] = []
    pending = ""
    for piece, ask in asks:
        if ask.categories or ask.concepts:
            parts.append(f"{pending} {piece}".strip())
            pending = ""
        else:
            pending = f"{pending} {piece}".strip()
    if pending:
        parts[-1] = f"{parts[-1]} {pending}"
    return parts


def _number(item: EvidenceItem) -> float | None:
    if item.resource_type != "Observation":
        return None
    match = _VALUE.search(item.text)
    return float(match.group(1)) if match else None


def _direction(older: float, newer: float) -> str:
    return "higher" if newer > older else "lower" if newer < older else "unchanged"


def _trend_summary(chosen: Sequence[EvidenceItem]) -> str | None:
    """``Summary: rising; first [a], newest [b], lowest [c], highest [d]`` for three or more
    dated values of one concept (prose without numbers; every number is in the quotes)."""
    valued = [(item, _number(item)) for item in chosen if item.date and not is_note(item)]
    series = [(item, value) for item, value in valued if value is not None]
    if len(series) < 3 or len(series) != len(chosen):
        return None
    first, last = series[0], series[-1]
    low = min(series, key=lambda iv: iv[1])
    high = max(series, key=lambda iv: iv[1])
    trend = {"higher": "rising", "lower": "falling", "unchanged": "unchanged"}[
        _direction(first[1], last[1])
    ]
    return (
        f"Summary: overall {trend}; first [{first[0].n}], newest [{last[0].n}], "
        f"lowest [{low[0].n}], highest [{high[0].n}]"
    )


def _compared(ask: Ask, window: Window | None, pool: Sequence[EvidenceItem]) -> str | None:
    """The newest value against the one nearest the window's start (a year back for "than
    last year"), else against the previous value; ``None`` without two dated values."""
    dated = _chronological(i for i in pool if i.date and _number(i) is not None)
    if len(dated) < 2:
        return None
    newest = dated[-1]
    earlier = dated[:-1]
    if window is not None and window.start is not None:
        target = window.start
        older = min(earlier, key=lambda i: abs(_days(i.date or "") - _days(target)))
        basis = f"the value nearest {target} ({window.describe()})"
    else:
        older = earlier[-1]
        basis = "the previous value"
    direction = _direction(_number(older) or 0.0, _number(newest) or 0.0)
    return "\n".join(
        [
            f"Comparison with {basis}: the newest value is {direction}:",
            answer_line(ask, newest),
            answer_line(ask, older),
        ]
    )


def _days(iso: str) -> int:
    from datetime import date

    try:
        return date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return 0


def _bare_result_question(ask: Ask, question: str, pool: Sequence[EvidenceItem]) -> bool:
    """A question naming a result and no order, list, trend or window ("A1c?", "creatinine
    level"), answered by dated results only: it asks for the newest one."""
    asked = set(words(question))
    return (
        ask.order == "chronological"
        and not ask.categories
        and not ask.exists
        and not asked & (TREND_WORDS | EARLIEST_WORDS | {"all", "every", "values", "results"})
        and bool(pool)
        and all(item.resource_type == "Observation" and item.date for item in pool)
    )


def _single(question: str, evidence: Sequence[EvidenceItem], *, part: bool = False) -> str:
    window = find_window(
        question,
        [i.date for i in evidence if i.date],
        visit_dates=[i.date for i in evidence if i.date and i.resource_type == "Encounter"],
    )
    # "in the last 6 months" names the window: its "last" does not ask for the newest record
    ask = understand(AS_OF.sub(" ", question.replace(window.phrase, " ") if window else question))
    pool = select(ask, evidence)
    trend = bool(set(words(question)) & TREND_WORDS) or "over time" in question.casefold()
    if COMPARE.search(question) and ask.has_subject and not trend:
        compared = _compared(ask, window, pool)
        if compared is not None:
            return compared
    if window is not None:
        pool = [item for item in pool if window.contains(item.date)]
    if _bare_result_question(ask, question, pool):
        ask = replace(ask, order="latest")  # "creatinine?" asks for the current value
    chosen = order(ask, pool)
    if not chosen:
        negative = negative_statements(ask, evidence)
        if negative and window is None:
            return _absence_answer(ask, evidence, negative)
        if window is not None and (ask.has_subject or ask.categories):
            absent = nothing_recorded(ask, evidence).removesuffix(").")
            return f"{absent}; {window.describe()})."
        return nothing_recorded(ask, evidence) if ask.exists or part else NOT_ANSWERED
    intro = _intro(ask, chosen)
    if window is not None:
        intro = f"{intro.removesuffix(':')} ({window.describe()}):"
    lines = [intro, *(answer_line(ask, item) for item in chosen)]
    summary = _trend_summary(chosen) if ask.order == "chronological" and ask.concepts else None
    return "\n".join([*lines, summary] if summary else lines)


def answer(question: str, evidence: Sequence[EvidenceItem]) -> str:
    """The model's whole answer to ``question`` from ``evidence``; a question asking several
    things is answered part by part, each part with its own citations."""
    parts = question_parts(question)
    if len(parts) == 1:
        return _single(question, evidence)
    blocks = []
    for number, part in enumerate(parts, start=1):
        label = " ".join(
            w for w in understand(part).subject.split() if not any(c.isdigit() for c in w)
        )
        blocks.append(
            f"Part {_ORDINALS[number]} ({label or 'asked'}):\n{_single(part, evidence, part=True)}"
        )
    return "\n".join(blocks)
