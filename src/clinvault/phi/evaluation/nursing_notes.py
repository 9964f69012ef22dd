"""Nursing-note-style evaluation text with planted PHI and many PHI-looking non-PHI terms.

Real ICU nursing notes are terse, abbreviated and mostly lower case: ``NPN 7p-7a``,
``tx to 6W from OSH``, ``wife mary in to visit``, ``pager 4-1234``, ``--jd rn``. This module
writes such notes deterministically from a seed, with gold spans in the categories of the
i2b2 / PhysioNet nursing-note annotations (``PTName``, ``RelativeProxyName``, ``HCPName``,
``Date``, ``DateYear``, ``Location``, ``Phone``, ``ID``, ``Age``, ``Email``) and spans of
clinical terms (``CLINICAL``: drugs, doses, vitals, labs, scales, unit types, nursing
abbreviations) that are *not* PHI and must survive, for the utility figure.

Seeds below :data:`HELD_BACK_START` are for tuning; the held-back slice (seeds from
:data:`HELD_BACK_START`) is never looked at while tuning rules and is only scored by the
conformance-style test and ``clinvault deid eval --format nursing --held-back``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from clinvault.phi.base import PhiType
from clinvault.phi.evaluation.gold import GoldDocument, GoldSpan, LabelScheme

HELD_BACK_START = 100_000
CLINICAL = "CLINICAL"
NURSING = LabelScheme(
    "nursing-notes",
    {
        "PTName": PhiType.NAME,
        "RelativeProxyName": PhiType.NAME,
        "HCPName": PhiType.NAME,
        "Date": PhiType.DATE,
        "DateYear": PhiType.DATE,
        "Location": PhiType.ADDR,
        "Phone": PhiType.PHONE,
        "ID": PhiType.MRN,
        "Age": PhiType.AGE,
        "Email": PhiType.EMAIL,
        CLINICAL: None,
    },
)
PHI_LABELS = tuple(label for label, kind in NURSING.mapping.items() if kind is not None)

FIRST = [
    "mary",
    "john",
    "linda",
    "james",
    "patricia",
    "robert",
    "susan",
    "michael",
    "karen",
    "david",
    "nancy",
    "joseph",
    "betty",
    "thomas",
    "helen",
    "charles",
    "donna",
    "paul",
    "ruth",
    "mark",
    "sharon",
    "kevin",
    "diane",
    "brian",
    "joan",
    "ellen",
    "frank",
    "rosa",
    "luis",
    "mei",
    "ahmed",
    "olga",
    "ivan",
    "fatima",
    "kenji",
    "priya",
    "dmitri",
    "aisha",
]
LAST = [
    "smith",
    "johnson",
    "murphy",
    "sullivan",
    "obrien",
    "kelly",
    "walsh",
    "oconnor",
    "ryan",
    "brennan",
    "doyle",
    "gallagher",
    "mccarthy",
    "flanagan",
    "riley",
    "costa",
    "nguyen",
    "patel",
    "kim",
    "garcia",
    "rossi",
    "novak",
    "haddad",
    "okafor",
    "lindqvist",
    "moreau",
    "brandt",
    "kowalski",
    "yamada",
    "fischer",
    "petrov",
]
FLOOR_NAMES = [
    "Farr",
    "Blake",
    "Ellison",
    "Phillips",
    "Bigelow",
    "Wang",
    "Reisman",
    "Feldberg",
    "Stoneman",
]
HOSPITALS = (
    "Mercy Hospital",
    "St. Elizabeth's",
    "St Josephs Hosp",
    "Carney Hospital",
    "Lawrence General",
    "Quincy Medical Center",
    "Beverly Hospital",
    "Faulkner",
    "Milton Hosp",
    "Good Samaritan",
)
REHABS = ("Spaulding Rehab", "Youville", "Hebrew Rehab", "Braintree Rehab", "Radius Nursing Home")
CITIES = ("Quincy", "Revere", "Dorchester", "Brockton", "Lowell", "Malden", "Framingham")
STATES = ("MA", "NH", "RI", "Maine", "Florida", "CT")
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DRUGS = [
    "lasix",
    "levophed",
    "vanco",
    "zosyn",
    "heparin",
    "insulin",
    "propofol",
    "fentanyl",
    "versed",
    "lopressor",
    "captopril",
    "protonix",
    "ativan",
    "haldol",
    "kcl",
    "mag",
    "neo",
    "dilaudid",
    "morphine",
    "tylenol",
    "coumadin",
]
UNIT_TYPES = ("MICU", "CCU", "SICU", "CSRU", "TSICU", "ED", "EW", "PACU", "cath lab", "OR")
NURSE_ABBR = ("NPN", "SOB", "NKDA", "PRN", "q4h", "q2h", "HOB", "DNR", "DNI", "FULL CODE")
Piece = str | tuple[str, str]


@dataclass(slots=True)
class _Note:
    """Appends text pieces and records the gold spans of labelled ones."""

    parts: list[str] = field(default_factory=list)
    spans: list[GoldSpan] = field(default_factory=list)
    length: int = 0

    def add(self, *pieces: Piece) -> None:
        for piece in pieces:
            text, label = (piece, None) if isinstance(piece, str) else piece
            if label is not None:
                self.spans.append(GoldSpan(self.length, self.length + len(text), label))
            self.parts.append(text)
            self.length += len(text)

    def document(self) -> GoldDocument:
        return GoldDocument("".join(self.parts), tuple(self.spans))


def _cased(rng: random.Random, word: str) -> str:
    roll = rng.random()
    return word.capitalize() if roll < 0.45 else word.upper() if roll < 0.5 else word


def _clin(text: str) -> tuple[str, str]:
    return (text, CLINICAL)


class _Writer:
    """One note's random choices; every method appends one terse line or fragment."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.note = _Note()
        self.patient = rng.choice(LAST)
        self.patient_first = rng.choice(FIRST)
        self.nurse = (rng.choice(FIRST), rng.choice(LAST))

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return self.rng.choice(options)

    def name(self, pool: list[str]) -> str:
        return _cased(self.rng, self.pick(pool))

    def date(self) -> str:
        rng = self.rng
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        form = rng.randrange(4)
        if form == 0:
            return f"{month}/{day}"
        if form == 1:
            return f"{month}/{day}/{rng.randint(0, 99):02d}"
        if form == 2:
            return f"{self.pick(MONTHS)} {day}"
        return f"{month}-{day}"

    def header(self) -> None:
        shift = self.pick(("7a-7p", "7p-7a", "3-11", "11-7", "days", "nights"))
        self.note.add(_clin(self.pick(("NPN", "Nursing Progress Note", "nsg note"))), " ")
        self.note.add(shift, " ")
        if self.rng.random() < 0.6:
            self.note.add((self.date(), "Date"))
        self.note.add("\n")

    def admission(self) -> None:
        rng, n = self.rng, self.note
        unit = rng.random()
        n.add(self.pick(("pt", "Pt", "pt is a", "Pt is a")), " ")
        if rng.random() < 0.15:
            n.add((str(rng.randint(90, 103)), "Age"), " yo ")
        else:
            n.add(f"{rng.randint(19, 88)} yo ")
        n.add(self.pick(("m", "f", "male", "female")), " ")
        if rng.random() < 0.35:
            n.add(self.pick(("Mr.", "Mrs.", "Ms", "mr")), " ", (self.name(LAST), "PTName"), " ")
        n.add("w/ hx ", _clin(self.pick(("CHF", "COPD", "ESRD", "CAD", "afib", "DM2"))), " ")
        if unit < 0.5:
            n.add("tx from ", (self.pick(HOSPITALS), "Location"), " ")
        else:
            n.add("tx from ", _clin("OSH"), " ")
        n.add("to ", _clin(self.pick(UNIT_TYPES)), " ")
        if rng.random() < 0.5:
            n.add("on ", (self.date(), "Date"), " ")
        n.add("for ", _clin(self.pick(("SOB", "hypotension", "GIB", "sepsis", "resp failure"))))
        if rng.random() < 0.4:
            year = str(rng.randint(1975, 2024))
            quoted = rng.random() < 0.3
            n.add(". s/p ", _clin(self.pick(("CABG", "MI", "PE", "TKR", "CVA"))), " in ")
            n.add(("'" + year[2:], "DateYear") if quoted else (year, "DateYear"))
        n.add(". ", _clin("NKDA"), ".\n")

    def systems(self) -> None:
        rng, n = self.rng, self.note
        n.add(_clin("Neuro"), ": ", self.pick(("a+ox3", "alert, MAE", "sedated on")), " ")
        n.add(_clin(self.pick(DRUGS)), " ", _clin(f"{rng.randint(1, 80)} mcg"), ", ")
        n.add(_clin("RASS"), " ", _clin(str(rng.randint(-3, 1))), ", ")
        n.add(_clin("GCS"), " ", _clin(str(rng.randint(8, 15))), ".\n")
        n.add(_clin("CV"), ": ", _clin("HR"), " ", _clin(str(rng.randint(55, 130))), " ")
        n.add(_clin(self.pick(("SR", "ST", "afib", "NSR"))), ", ", _clin("BP"), " ")
        n.add(_clin(f"{rng.randint(85, 170)}/{rng.randint(40, 95)}"), ", ")
        n.add(_clin(self.pick(DRUGS)), " ", _clin(f"{rng.randint(1, 100)}mg"), " iv ")
        n.add(_clin(self.pick(("q4h", "q6h", "PRN", "q2h", "bid"))), ".\n")
        n.add(_clin("Resp"), ": ", _clin("sats"), " ", _clin(f"{rng.randint(88, 100)}%"), " on ")
        n.add(_clin(f"{rng.randint(2, 6)}L"), " ", _clin("NC"), ", ", _clin("LS"), " ")
        n.add(self.pick(("coarse", "clear", "diminished at bases")), ", ", _clin("SOB"), " ")
        n.add(self.pick(("w/ exertion", "resolved", "at rest")), ".\n")
        n.add(_clin("GI/GU"), ": ", _clin("K"), " ", _clin(f"{rng.randint(30, 55) / 10:.1f}"))
        n.add(", ", _clin("hct"), " ", _clin(f"{rng.randint(210, 390) / 10:.1f}"), ", ")
        n.add(_clin("INR"), " ", _clin(f"{rng.randint(10, 35) / 10:.1f}"), ", u/o ")
        n.add(_clin(f"{rng.randint(20, 150)}cc/hr"), ". ", _clin("HOB"), " ")
        n.add(_clin(f"{rng.choice((30, 45))} deg"), ".\n")

    def contacts(self) -> None:
        rng, n = self.rng, self.note
        relation = self.pick(("wife", "husband", "dtr", "son", "sister", "HCP", "niece"))
        n.add(_clin("Social"), ": ", relation, " ")
        if rng.random() < 0.5:
            n.add((self.name(FIRST), "RelativeProxyName"))
        else:
            n.add((f"{self.name(FIRST)} {self.name(LAST)}", "RelativeProxyName"))
        n.add(" ", self.pick(("in to visit", "called", "updated by phone", "at bedside")))
        if rng.random() < 0.5:
            number = f"{rng.randint(200, 999)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            n.add(", ", self.pick(("can be reached at", "# is", "cell")), " ", (number, "Phone"))
        if rng.random() < 0.4:
            n.add(". lives in ", (self.pick(CITIES), "Location"))
            if rng.random() < 0.5:
                n.add(", ", (self.pick(STATES), "Location"))
        n.add(".\n")

    def team(self) -> None:
        rng, n = self.rng, self.note
        cue = self.pick(("dr", "Dr.", "Dr", "np", "md aware, dr", "paged dr"))
        n.add(cue, " ", (self.name(LAST), "HCPName"), " ")
        n.add(self.pick(("aware of", "notified re", "made aware of")), " ")
        n.add(_clin(self.pick(("hypotension", "low u/o", "K 3.1", "fever 101.2"))))
        form = rng.random()
        if form < 0.35:
            n.add(", ", self.pick(("pager", "beeper #", "pgr", "page")), " ")
            n.add((str(rng.randint(1000, 99999)), "Phone"))
        elif form < 0.6:
            n.add(", ", self.pick(("x", "ext", "ext.")), " ")
            n.add((f"{rng.randint(1, 9)}-{rng.randint(1000, 9999)}", "Phone"))
        n.add(".\n")

    def plan(self) -> None:
        rng, n = self.rng, self.note
        n.add(_clin("Plan"), ": ", self.pick(("cont to monitor", "wean", "f/u labs", "cont")))
        n.add(" ", _clin(self.pick(DRUGS)), " ", _clin(self.pick(NURSE_ABBR)))
        form = rng.random()
        if form < 0.4:
            floor = rng.randint(3, 14)
            where = (
                f"{floor}{self.pick(('W', 'N', 'E', 'S'))}"
                if rng.random() < 0.5
                else f"{self.pick(FLOOR_NAMES)} {floor}"
            )
            n.add(
                ", ", self.pick(("tx to", "to", "?transfer to", "bed on")), " ", (where, "Location")
            )
        elif form < 0.6:
            n.add(", d/c to ", (self.pick(REHABS), "Location"))
        if rng.random() < 0.3:
            n.add(", rm ", (str(rng.randint(100, 999)), "Location"))
        if rng.random() < 0.2:
            n.add(". MRN ", (str(rng.randint(1_000_000, 9_999_999)), "ID"))
        if rng.random() < 0.1:
            email = f"{self.nurse[0]}.{self.nurse[1]}@example.org"
            n.add(". email ", (email, "Email"))
        n.add(". ")
        self.signature()

    def signature(self) -> None:
        rng, n = self.rng, self.note
        first, last = self.nurse
        form = rng.random()
        if form < 0.3:
            n.add("--", ((first[0] + last[0]).upper(), "HCPName"), " RN")
        elif form < 0.55:
            n.add("- ", ((first[0] + last[0]).lower(), "HCPName"))
        elif form < 0.8:
            n.add(((first[0] + ". " + last).title(), "HCPName"), ", RN")
        else:
            n.add("/", ((first[0] + "m" + last[0]).upper(), "HCPName"))
        n.add("\n")


def nursing_note(seed: int) -> GoldDocument:
    """One note from ``seed`` (the same seed always gives the same note and gold spans)."""
    writer = _Writer(random.Random(seed))
    writer.header()
    writer.admission()
    writer.systems()
    parts = [writer.contacts, writer.team]
    writer.rng.shuffle(parts)
    for part in parts:
        part()
    writer.plan()
    return writer.note.document()


def nursing_notes(count: int, *, held_back: bool = False, start: int = 0) -> list[GoldDocument]:
    """``count`` notes from the tuning seeds, or from the held-back seeds."""
    first = (HELD_BACK_START if held_back else 0) + start
    if not held_back and first + count > HELD_BACK_START:
        raise ValueError("tuning notes must stay below the held-back seed range")
    return [nursing_note(seed) for seed in range(first, first + count)]
