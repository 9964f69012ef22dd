"""Clinical notes: H&P, progress, emergency and telephone notes, written like real ones.

Notes mention the patient by full name, title and first name or nickname, the relative and the
clinicians by name, dates in several formats, phone, MRN, address and facility. The telephone
note carries the hard cases: shorthand dates, people who are not in the record, names that are
also words, and clinical eponyms that are not PHI.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from clinvault.synth import dates
from clinvault.synth.cast import LAB_SHORT, Cast
from clinvault.synth.clinical import EPONYM_MENTIONS, LABS
from clinvault.synth.conditions import ConditionSpec
from clinvault.synth.events import ClinicalHistory, ConditionEvent, Encounter
from clinvault.synth.ids import IdFactory
from clinvault.synth.mentions import Eponym, NoteBuilder, Phi, Span
from clinvault.synth.names import WORD_SURNAMES, Sex
from clinvault.synth.note_facts import NoteFact
from clinvault.synth.person import Person, PersonFactory
from clinvault.synth.places import draw_street_line
from clinvault.synth.staff import PLACES, CityStaff, Clinician

CHILD_EPONYMS = frozenset({"Crohn", "Hodgkin", "Murphy", "Cushing", "Addison", "Graves"})
"""Eponym sentences that also make sense in a child's note."""


@dataclass(frozen=True)
class Note:
    id: str
    kind: str
    """Key of :data:`clinvault.synth.clinical.NOTE_TYPES`."""
    encounter: Encounter
    author: Clinician
    date: datetime
    text: str
    spans: tuple[Span, ...]
    facts: tuple[NoteFact, ...] = ()


def write_condition(note: NoteBuilder, spec: ConditionSpec) -> None:
    """The condition's phrase, with its eponym (if any) marked as not PHI."""
    if spec.eponym and spec.eponym in spec.phrase:
        before, _, after = spec.phrase.partition(spec.eponym)
        note.write("{a}{e}{b}", a=before, e=Eponym(spec.eponym), b=after)
    else:
        note.write(spec.phrase)


@dataclass
class NoteWriter:
    person: Person
    history: ClinicalHistory
    staff: CityStaff
    rng: random.Random
    ids: IdFactory
    people: PersonFactory
    facts: list[NoteFact]
    notes: list[Note] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cast = Cast(self.person, self.staff, self.rng)

    def write_all(self) -> list[Note]:
        encounters = [e for e in self.history.encounters if e.kind != "telephone"]
        facts = list(self.facts)
        first = encounters[0]
        if first.kind == "newborn":
            self._newborn(first, facts[:1])
        else:
            self._history_physical(first, facts[:1])
        later_fact = facts[1:]
        for encounter in self._progress_encounters(encounters[1:]):
            self._progress(encounter, later_fact)
            later_fact = []
        if later_fact:
            self._progress(encounters[-1] if len(encounters) > 1 else first, later_fact)
        emergency = [e for e in encounters if e.kind == "emergency"]
        if emergency:
            self._emergency(emergency[-1])
        for encounter in self.history.encounters:
            if encounter.kind == "telephone":
                self._telephone(encounter)
        return sorted(self.notes, key=lambda n: n.date)

    def _progress_encounters(self, encounters: list[Encounter]) -> list[Encounter]:
        followups = [e for e in encounters if e.kind == "followup" and e.reasons]
        chosen = followups[-2:]
        wellness = [e for e in encounters if e.kind in ("wellness", "well_child")]
        if wellness and wellness[-1] not in chosen:
            chosen.append(wellness[-1])
        return sorted(chosen, key=lambda e: e.start)

    def _finish(
        self,
        kind: str,
        encounter: Encounter,
        note: NoteBuilder,
        facts: list[NoteFact],
        author: Clinician | None = None,
    ) -> None:
        self.notes.append(
            Note(
                id=self.ids.new("DocumentReference"),
                kind=kind,
                encounter=encounter,
                author=author or encounter.clinician,
                date=encounter.end,
                text=note.text,
                spans=tuple(note.spans),
                facts=tuple(facts),
            )
        )

    # --- shared sections ------------------------------------------------------------------------

    def _sex_word(self, day: date) -> str:
        age = (day - self.person.birth_date).days / 365.25
        if age < 18:
            return "boy" if self.person.sex == "male" else "girl"
        return "man" if self.person.sex == "male" else "woman"

    def _history_list(self, note: NoteBuilder, day: date) -> None:
        conditions = [c for c in self.history.conditions if c.onset <= day and c.spec.chronic]
        if not conditions:
            note.line("- None significant.")
        for condition in conditions:
            note.write("- ")
            write_condition(note, condition.spec)
            if condition.abatement and condition.abatement <= day:
                note.write(", resolved")
            note.line()

    def _medication_list(self, note: NoteBuilder, day: date) -> None:
        meds = self.history.medications_on(day)
        if not meds:
            note.line("None.")
        for med in meds:
            note.line("- {m}", m=med.spec.short)

    def _allergy_list(self, note: NoteBuilder) -> None:
        if not self.history.allergies:
            note.line("No known drug allergies.")
            return
        for allergy in self.history.allergies:
            reaction = allergy.manifestation.display.split(" (")[0].lower()
            note.line("- {a} ({r})", a=allergy.spec.phrase, r=reaction)

    def _relative_sentence(self, note: NoteBuilder) -> None:
        relative = self.person.relative
        note.write(
            "Accompanied today by {his} {word}, {name}. ",
            his=self.person.possessive,
            word=relative.relationship.word,
            name=self.cast.relative_full,
        )

    def _eponym_sentences(self, note: NoteBuilder, count: int = 1) -> None:
        """Sentences with clinical eponyms (not PHI), suited to the patient's age."""
        pool = [m for m in EPONYM_MENTIONS if self.person.age >= 18 or m[0] in CHILD_EPONYMS]
        for eponym, template in self.rng.sample(pool, count):
            before, _, after = template.partition("{eponym}")
            note.line("{a}{e}{b}", a=before, e=Eponym(eponym), b=after)

    def _labs_at(self, encounter: Encounter) -> list[str]:
        return [
            o.spec.key
            for o in self.history.observations
            if o.encounter is encounter and o.spec.key in LABS
        ]

    # --- note types ---------------------------------------------------------------------------

    def _history_physical(self, encounter: Encounter, facts: list[NoteFact]) -> None:
        c, p, day = self.cast, self.person, encounter.day
        note = NoteBuilder()
        note.line("HISTORY AND PHYSICAL")
        note.line("{f}", f=c.facility)
        note.line(
            "Patient: {n}    DOB: {dob}    MRN: {mrn}", n=c.full_name, dob=c.birth_date(), mrn=c.mrn
        )
        note.line("Date of service: {d}", d=c.date(day, dates.long))
        note.write("Attending: ")
        c.write_doctor(note, encounter.clinician, full=True)
        note.line(", {s}", s=encounter.clinician.suffix)
        note.line()
        reasons = encounter.reasons
        note.write("HPI: ")
        c.write_title(note)
        note.write(
            " is a {age}-year-old {sex} who presents ", age=c.age_on(day), sex=self._sex_word(day)
        )
        if reasons:
            note.write("for evaluation of ")
            write_condition(note, reasons[0].spec)
            note.write(". ")
        else:
            note.write("to establish care and for an annual physical. ")
        if self.rng.random() < 0.6:
            self._relative_sentence(note)
        note.line()
        note.line()
        note.line("PAST MEDICAL HISTORY:")
        self._history_list(note, day)
        note.line()
        note.line("MEDICATIONS:")
        self._medication_list(note, day)
        note.line()
        note.line("ALLERGIES:")
        self._allergy_list(note)
        note.line()
        note.line("SOCIAL HISTORY:")
        note.write(
            "Lives at {street}, {city}, {state} {zip}. ",
            street=c.street,
            city=c.city,
            state=p.address.city.state,
            zip=c.postal_code,
        )
        if p.maiden_name:
            note.write("Maiden name {m}. ", m=Phi(p.maiden_name, "NAME_PART", True))
        for fact in facts:
            note.write(fact.sentence + " ")
        note.line()
        note.line()
        note.write("CONTACT: Home phone {phone}", phone=c.phone)
        if p.email:
            note.write("; e-mail {e}", e=Phi(p.email, "EMAIL", True))
        note.line(".")
        note.line(
            "EMERGENCY CONTACT: {n} ({w}), {ph}",
            n=c.relative_full,
            w=p.relative.relationship.word,
            ph=c.relative_phone,
        )
        note.line()
        note.line("EXAM: {v}", v=Cast.vitals_text(self.history, encounter))
        self._eponym_sentences(note)
        note.line()
        note.line("ASSESSMENT AND PLAN:")
        self._plan(note, encounter)
        note.write("Return in {n} months to see ", n=self.rng.choice((3, 6, 12)))
        c.write_doctor(note, encounter.clinician, full=False)
        note.line(".")
        note.write("Electronically signed: ")
        c.write_doctor(note, encounter.clinician, full=True)
        note.line(" {d}", d=c.date(encounter.end.date(), dates.us))
        self._finish("history_physical", encounter, note, facts)

    def _plan(self, note: NoteBuilder, encounter: Encounter) -> None:
        reasons: list[ConditionEvent] = list(encounter.reasons)
        if not reasons:
            reasons = [
                c for c in self.history.conditions if c.active_on(encounter.day) and c.spec.chronic
            ]
        if not reasons:
            note.line("1. Health maintenance: age-appropriate screening and vaccines reviewed.")
            return
        meds = self.history.medications_on(encounter.day)
        for index, condition in enumerate(reasons, start=1):
            note.write("{i}. ", i=index)
            write_condition(note, condition.spec)
            related = [m.spec.short for m in meds if m.reason is condition]
            started = [
                m.spec.short
                for m in self.history.medications
                if m.reason is condition and m.encounter is encounter
            ]
            if started:
                note.line(": start {m}.", m=", ".join(started))
            elif related:
                note.line(": continue {m}.", m=", ".join(related))
            else:
                note.line(": monitor.")
        for med in self.history.medications:
            if med.status == "stopped" and med.ended == encounter.day and med.status_reason:
                note.line("   {m}: {r}.", m=med.spec.short, r=med.status_reason)

    def _newborn(self, encounter: Encounter, facts: list[NoteFact]) -> None:
        c, p = self.cast, self.person
        note = NoteBuilder()
        note.line("NEWBORN HISTORY AND PHYSICAL")
        note.line("{f}", f=c.facility)
        note.line("Patient: {n}    MRN: {mrn}", n=c.full_name, mrn=c.mrn)
        baby = "boy" if p.sex == "male" else "girl"
        note.line(
            "Baby {b} {g} was born on {d} ({iso}).",
            b=baby,
            g=c.given,
            d=c.birth_date(dates.long),
            iso=c.birth_date(dates.iso),
        )
        note.line(
            "{a} scores 8 and 9. Birth weight {w} g.",
            a=Eponym("Apgar"),
            w=self.rng.randint(2700, 4300),
        )
        relative = p.relative
        note.line(
            "Parent: {n} ({w}), reachable at {ph}; home phone {home}.",
            n=c.relative_full,
            w=relative.relationship.word,
            ph=c.relative_phone,
            home=c.phone,
        )
        note.line("Home: {s}, {city} {z}.", s=c.street, city=c.city, z=c.postal_code)
        for fact in facts:
            note.line(fact.sentence)
        note.line("EXAM: {v}", v=Cast.vitals_text(self.history, encounter))
        jaundice = self.history.condition("neonatal_jaundice")
        if jaundice:
            note.line("Mild scleral icterus; plan transcutaneous bilirubin recheck in 48 hours.")
        note.write("Hearing screen passed. Follow up with ")
        c.write_doctor(note, encounter.clinician, full=False)
        note.line(" at 1 month.")
        self._finish("history_physical", encounter, note, facts)

    def _progress(self, encounter: Encounter, facts: list[NoteFact]) -> None:
        c, day = self.cast, encounter.day
        note = NoteBuilder()
        note.line("PROGRESS NOTE - {f}", f=c.facility)
        note.write("Patient: ")
        c.write_title(note)
        note.line(" | MRN {mrn} | Visit: {d}", mrn=c.mrn, d=c.date(day))
        note.write("Provider: ")
        c.write_doctor(note, encounter.clinician, full=True)
        note.line()
        note.write("S: {n} returns for ", n=c.called())
        if encounter.reasons:
            note.write("follow-up of ")
            for index, condition in enumerate(encounter.reasons):
                if index:
                    note.write(" and ")
                write_condition(note, condition.spec)
            note.write(". ")
        else:
            note.write("a routine visit. ")
        for fact in facts:
            note.write(fact.sentence + " ")
        if self.rng.random() < 0.4:
            self._relative_sentence(note)
        note.line()
        note.line("O: {v}", v=Cast.vitals_text(self.history, encounter))
        self._lab_lines(note, encounter)
        note.line("A/P:")
        self._plan(note, encounter)
        if self.rng.random() < 0.5:
            self._eponym_sentences(note)
        note.write("Follow up with ")
        c.write_doctor(note, encounter.clinician, full=False)
        note.line(" in {n} months.", n=self.rng.choice((3, 4, 6)))
        self._finish("progress", encounter, note, facts)

    def _lab_lines(self, note: NoteBuilder, encounter: Encounter) -> None:
        keys = self._labs_at(encounter)
        if not keys:
            return
        note.write("Labs today:")
        for key in keys:
            obs = next(
                o
                for o in self.history.observations
                if o.encounter is encounter and o.spec.key == key
            )
            note.write(" {t};", t=Cast.lab_text(key, obs.display_value, obs.spec.unit))
        note.line()
        for key in keys:
            earlier = [
                o for o in self.history.observations_of(key) if o.effective < encounter.start
            ]
            if earlier:
                prior = earlier[-1]
                note.line(
                    "Prior {k} {v} on {d}.",
                    k=LAB_SHORT[key],
                    v=prior.display_value,
                    d=self.cast.date(prior.effective.date()),
                )

    def _emergency(self, encounter: Encounter) -> None:
        c, p, day = self.cast, self.person, encounter.day
        note = NoteBuilder()
        note.line("EMERGENCY DEPARTMENT NOTE")
        note.line("{f} Emergency Department", f=c.facility)
        note.line("Arrival: {d} {t}", d=c.date(day, dates.us), t=encounter.start.strftime("%H:%M"))
        note.line(
            "Patient: {n}, {a}{s}, MRN {mrn}",
            n=c.full_name,
            a=c.age_on(day),
            s="M" if p.sex == "male" else "F",
            mrn=c.mrn,
        )
        note.write("HPI: ")
        c.write_title(note)
        note.write(" presents with ")
        if encounter.reasons:
            write_condition(note, encounter.reasons[0].spec)
        else:
            note.write("acute symptoms")
        note.line(" sustained at home earlier today.")
        note.line(
            "Address on file: {s}, {city} {z}. Contact: {w} {r} at {ph}.",
            s=c.street,
            city=c.city,
            z=c.postal_code,
            w=p.relative.relationship.word,
            r=c.relative_given,
            ph=c.relative_phone,
        )
        note.line("Exam: {v}", v=Cast.vitals_text(self.history, encounter))
        procedures = [
            pr.code.display.split(" (")[0]
            for pr in self.history.procedures
            if pr.encounter is encounter
        ]
        if procedures:
            note.line("Procedures: {p}.", p="; ".join(procedures))
        note.write("Disposition: discharged home; follow up with PCP ")
        pcp = self.staff.clinicians["pediatrics" if p.age < 18 else "family"]
        c.write_doctor(note, pcp, full=False)
        note.line(" within 1 week.")
        note.write("Signed: ")
        c.write_doctor(note, encounter.clinician, full=True)
        note.line()
        self._finish("emergency", encounter, note, [])

    def _other_person(self) -> Phi:
        family = self.rng.choice(WORD_SURNAMES) if self.rng.random() < 0.5 else None
        sex: Sex = "male" if self.rng.random() < 0.5 else "female"
        name = self.people.unique_name(
            self.rng, self.person.culture, sex, family=family, word_name=True
        )
        return Phi(name.full, "OTHER_PERSON", False)

    def _telephone(self, encounter: Encounter) -> None:
        c, p, day = self.cast, self.person, encounter.day
        note = NoteBuilder()
        caller = self._other_person()
        caller_first = Phi(caller.value.split(" ")[0], "OTHER_PERSON", False)
        days_ago = self.rng.randint(2, 5)
        note.line("TELEPHONE ENCOUNTER")
        note.line(
            "Call taken {d} at {t}.",
            d=Phi(dates.weekday_shorthand(day), "DATE", False),
            t=encounter.start.strftime("%I:%M %p").lstrip("0"),
        )
        note.write("Caller: {c} (neighbor), calling about ", c=caller)
        c.write_title(note)
        note.line(".")
        note.write(
            "{c} says {n} seemed more tired than usual {ago}. ",
            c=caller_first,
            n=c.called(),
            ago=Phi(f"{days_ago} days ago", "DATE", False),
        )
        other_street = draw_street_line(self.rng)
        while other_street == p.address.line:
            other_street = draw_street_line(self.rng)
        other_phone = self.people.identifiers.phone(self.rng, p.address.city)
        note.line(
            "{c} lives next door at {s} and can be reached at {ph}.",
            c=caller_first,
            s=Phi(other_street, "ADDRESS", False),
            ph=Phi(other_phone, "PHONE", False),
        )
        note.line(
            "Spoke with pt's {w} {r}, who will bring {him} in if no better by tomorrow.",
            w=p.relative.relationship.word,
            r=c.relative_given,
            him="him" if p.sex == "male" else "her",
        )
        visits = [
            e
            for e in self.history.encounters
            if e.kind != "telephone" and e.start < encounter.start
        ]
        if visits:
            last = visits[-1]
            note.write("Pt last seen {d} by ", d=Phi(dates.shorthand(last.day), "DATE", False))
            c.write_doctor(note, last.clinician, full=False)
            note.write("; ")
        upcoming = day + timedelta(days=self.rng.randint(10, 60))
        note.line("next appt {d}.", d=Phi(dates.shorthand(upcoming), "DATE", False))
        other_place = (
            f"{self.rng.choice([x for x in PLACES if x not in c.facility.value])} Urgent Care"
        )
        note.line(
            "Was seen at {f} over the weekend; records requested.",
            f=Phi(other_place, "FACILITY", False),
        )
        self._eponym_sentences(note, self.rng.randint(1, 2))
        if self.rng.random() < 0.5:
            url = f"https://portal.example.org/messages/{self.rng.randint(100000, 999999)}"
            note.line("Photo of the medication list sent via portal: {u}", u=Phi(url, "URL", False))
        warning = "trouble breathing or poor feeding" if p.age < 2 else "chest pain or confusion"
        note.write("Advised to call 911 for {w}. Routed to ", w=warning)
        c.write_doctor(
            note, self.staff.clinicians["pediatrics" if p.age < 18 else "family"], full=False
        )
        note.line(".")
        c.write_doctor(note, encounter.clinician, full=True)
        note.line()
        self._finish("telephone", encounter, note, [])
