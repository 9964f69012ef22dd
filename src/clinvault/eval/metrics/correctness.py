"""Answer correctness: facts by normalized value, unit and date; lists by set overlap."""

from __future__ import annotations

from collections.abc import Sequence, Set
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from clinvault.eval.metrics.citations import sentences
from clinvault.eval.metrics.normalize import (
    dates_in,
    mentions,
    numbers_in,
    parse_number,
    unit_stated,
)
from clinvault.llm.evidence_model import NOT_ANSWERED, NOTHING_RECORDED


def fact_correct(
    answer: str, values: Sequence[str], unit: str | None, dates: Sequence[str]
) -> float | None:
    """1.0 when every gold value (numbers compared as numbers, text by words), the unit and
    every gold date are stated; 0.0 otherwise; unmeasured when there is nothing to check.
    A number may be stated rounded (see ``number_stated``)."""
    if not values and not dates:
        return None
    numbers = numbers_in(answer)
    for value in values:
        number = parse_number(value)
        stated = number_stated(number, numbers) if number is not None else mentions(answer, value)
        if not stated:
            return 0.0
    if unit and values and not unit_stated(answer, unit):
        return 0.0
    stated_dates = dates_in(answer)
    return 1.0 if all(d in stated_dates for d in dates) else 0.0


def number_stated(gold: Decimal, stated: Set[Decimal]) -> bool:
    """Whether ``gold`` is among the ``stated`` numbers, exactly or rounded to the stated
    number's decimal places, keeping at least one when the gold value has any: a recorded
    HbA1c of 7.56446 % is stated as 7.56 or 7.6, not as 8."""
    gold_places = max(0, -int(gold.as_tuple().exponent))
    for number in stated:
        if number == gold:
            return True
        places = max(0, -int(number.as_tuple().exponent))
        if places >= gold_places or (gold_places > 0 and places == 0):
            continue
        quantum = Decimal(1).scaleb(-places)
        if number in (
            gold.quantize(quantum, ROUND_HALF_UP),
            gold.quantize(quantum, ROUND_HALF_EVEN),
        ):
            return True
    return False


def list_overlap(answer: str, items: Sequence[str]) -> tuple[float | None, float | None]:
    """(recall, precision) of a list answer against gold ``items``.

    Recall: share of gold items the answer names. Precision: share of the answer's statements
    (list lines, sentences) that name some gold item; a statement that nothing is recorded
    (one part of a two-part answer) lists nothing and is not counted. Unmeasured without
    gold items.
    """
    unique = list(dict.fromkeys(items))
    if not unique:
        return None, None
    recall = sum(1 for item in unique if mentions(answer, item)) / len(unique)
    # "No record of allergies ..." (a part of a two-part answer) lists nothing: not counted
    statements = [s for s in sentences(answer) if not _states_nothing(s)]
    if not statements:
        return recall, None
    precise = sum(1 for s in statements if any(mentions(s, item) for item in unique))
    return recall, precise / len(statements)


def _states_nothing(statement: str) -> bool:
    return NOTHING_RECORDED.search(statement) is not None or NOT_ANSWERED in statement


def f1(recall: float | None, precision: float | None) -> float | None:
    if recall is None or precision is None:
        return None
    if recall + precision == 0:
        return 0.0
    return 2 * recall * precision / (recall + precision)
