"""Phone numbers presidio's recognizer misses: short local numbers, numbers after a label.

``Phone: 451 5986``, ``Mobile: 723 813 266``, ``answering at 71-33-52-22``,
``+1-903-140-4508x769``, ``(99) 645-791``. An unlabelled number must look like one:
digit groups of two or more (a country code may be one digit), 7 to 15 digits in all.
"""

from __future__ import annotations

import re

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.recognizers.base import unique_spans
from clinvault.phi.spans import make_span

NUMBER = (
    r"(?P<number>\+?\(?\d{1,4}\)?(?:[ \t.\-/]{1,2}\(?\d{1,5}\)?){1,5}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?)"
)
LABEL = (
    r"(?:phone|ph|tel|telephone|mobile|mob|cell|fax|desk|office|home|work|pager|beeper"
    r"|contact|call(?:ed)?(?:\s+(?:me|him|her|them))?\s+(?:at|on)|answering\s+at"
    r"|reach(?:ed)?\s+at|registered|number)"
)
LABELLED = re.compile(rf"\b{LABEL}\b\s*[:#.]?\s*{NUMBER}", re.IGNORECASE)
SUFFIXED = re.compile(
    rf"{NUMBER}[ \t]*[-–]?[ \t]*(?:office|fax|mobile|cell|home|work)\b", re.IGNORECASE
)
BARE = re.compile(rf"(?<![\w/.,:\-]){NUMBER}(?![\w/]|[.,]\d)")
GROUPS = re.compile(r"\d+")


def _phone_shaped(number: str, *, labelled: bool) -> bool:
    main = re.split(r"\s?(?:x|ext\.?)\s?", number, maxsplit=1)[0]
    groups = GROUPS.findall(main)
    digits = sum(len(g) for g in groups)
    if labelled:
        return 6 <= digits <= 15
    return 7 <= digits <= 15 and len(groups) >= 2 and all(len(g) >= 2 for g in groups[1:])


class PhoneNumberRecognizer:
    name = "phone-number"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for pattern, score, labelled in (
            (LABELLED, 0.85, True),
            (SUFFIXED, 0.85, True),
            (BARE, 0.5, False),
        ):
            for match in pattern.finditer(text):
                if not _phone_shaped(match.group("number"), labelled=labelled):
                    continue
                span = make_span(
                    text,
                    match.start("number"),
                    match.end("number"),
                    PhiType.PHONE,
                    score,
                    self.name,
                )
                if span is not None:
                    found.append(span)
        return unique_spans(found)
