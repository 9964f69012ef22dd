"""Builds one patient's clinical history: conditions, visits, results, drugs, vaccines.

The order matters for coherence: conditions and allergies first, then the visits they cause,
then the drugs prescribed at those visits, then measurements that depend on both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from clinvault.synth import clinical as cl
from clinvault.synth.conditions import ACUTE_CONDITIONS, CHRONIC_CONDITIONS, ConditionSpec
from clinvault.synth.events import (
    AllergyEvent,
    ClinicalHistory,
    ConditionEvent,
    Encounter,
    ImmunizationEvent,
    MedicationEvent,
    MedicationStatus,
    ObservationEvent,
    ProcedureEvent,
    Severity,
)
from clinvault.synth.ids import IdFactory
from clinvault.synth.person import Person, age_on
from clinvault.synth.physiology import Context, Physiology
from clinvault.synth.staff import CityStaff, Clinician, Role

WELL_CHILD_DAYS = (30, 61, 122, 183, 274, 365, 456, 547, 730)
INFECTIOUS = {
    "otitis_media",
    "strep_throat",
    "sinusitis",
    "bronchitis",
    "uti",
    "sinusitis_bacterial",
}
ALLERGY_SUBSTITUTES: dict[str, dict[str, str]] = {
    "penicillin": {
        "amoxicillin": "azithromycin",
        "amox_clav": "azithromycin",
        "penicillin": "azithromycin",
    },
    "lisinopril": {"lisinopril": "amlodipine"},
    "aspirin": {"aspirin": "clopidogrel"},
}


def utc_offset(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


@dataclass
class HistoryBuilder:
    person: Person
    staff: CityStaff
    rng: random.Random
    ids: IdFactory
    forced_conditions: frozenset[str] = frozenset()
    a1c_visits: int = field(default=12, init=False)
    diabetic: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.tz = utc_offset(self.person.city.utc_offset)
        self.today = self.person.today
        self.window_start = self._window_start()

    def build(self) -> ClinicalHistory:
        history = ClinicalHistory()
        history.conditions = self._conditions()
        self.diabetic = history.condition("diabetes") is not None
        allergens = self._allergens()
        history.encounters = self._encounters(history.conditions)
        history.allergies = self._allergies(allergens, history.encounters)
        history.medications = self._medications(history, allergens)
        physiology = Physiology.draw(
            self.rng, self.person.sex, frozenset(c.spec.key for c in history.conditions)
        )
        history.observations = self._observations(history, physiology)
        history.immunizations = self._immunizations(history.encounters)
        history.procedures = self._procedures(history)
        return history

    # --- time ---------------------------------------------------------------------------------

    def _window_start(self) -> date:
        birth = self.person.birth_date
        if self.person.age < 6:
            return birth
        years_back = self.rng.randint(6, 8) if self.person.age < 18 else self.rng.randint(8, 12)
        return max(birth, self.today - timedelta(days=int(years_back * 365.25)))

    def _age_days_on(self, day: date) -> int:
        return (day - self.person.birth_date).days

    def _random_day(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    # --- conditions ---------------------------------------------------------------------------

    def _conditions(self) -> list[ConditionEvent]:
        person, events = self.person, []
        age_days = person.age_days
        chosen: set[str] = set()
        for spec in CHRONIC_CONDITIONS:
            if spec.sex and spec.sex != person.sex:
                continue
            if not spec.min_age_days <= age_days <= spec.max_age_days:
                continue
            boost = 1.5 if person.age >= 65 else 1.0
            if "diabetes" in chosen and spec.key in ("hypertension", "hyperlipidemia", "ckd3"):
                boost *= 1.6
            if spec.key in self.forced_conditions or self.rng.random() < spec.prevalence * boost:
                if spec.key == "prediabetes" and "diabetes" in chosen:
                    continue
                chosen.add(spec.key)
                events.append(self._chronic(spec))
        acute = [
            spec
            for spec in ACUTE_CONDITIONS
            if (spec.sex is None or spec.sex == person.sex)
            and spec.min_age_days <= age_days
            and self.rng.random() < spec.prevalence
        ]
        for spec in acute[:4]:
            earliest = max(self.window_start, person.birth_date + timedelta(spec.min_age_days))
            latest = min(
                self.today - timedelta(days=3), person.birth_date + timedelta(spec.max_age_days)
            )
            if latest < earliest:
                continue
            onset = self._random_day(earliest, latest)
            if spec.key == "neonatal_jaundice":
                onset = person.birth_date + timedelta(days=self.rng.randint(2, 4))
            end = onset + timedelta(days=self.rng.randint(7, 21))
            events.append(
                ConditionEvent(
                    self.ids.new("Condition"), spec, onset, end if end <= self.today else None
                )
            )
        return sorted(events, key=lambda c: c.onset)

    def _chronic(self, spec: ConditionSpec) -> ConditionEvent:
        earliest = max(
            self.window_start + timedelta(days=20),
            self.person.birth_date + timedelta(days=spec.min_age_days),
        )
        latest = self.today - timedelta(days=60)
        if spec.key == "diabetes":
            self.a1c_visits = self.rng.randint(10, 20)
            latest = min(latest, self.today - timedelta(days=self.a1c_visits * 100))
        onset = self._random_day(earliest, latest) if latest > earliest else earliest
        abatement = None
        if spec.resolves_after_days:
            end = onset + timedelta(days=self.rng.randint(*spec.resolves_after_days))
            abatement = end if end <= self.today - timedelta(days=14) else None
        return ConditionEvent(self.ids.new("Condition"), spec, onset, abatement)

    def _allergens(self) -> list[cl.AllergenSpec]:
        if self.person.age_days < 200:
            return []
        count = self.rng.choices((0, 1, 2, 3), weights=(55, 30, 12, 3), k=1)[0]
        return self.rng.sample(cl.ALLERGENS, count)

    # --- encounters ---------------------------------------------------------------------------

    def _role_for(self, day: date, preferred: Role | None = None) -> Role:
        if preferred is not None:
            return preferred
        if age_on(self.person.birth_date, day) < 18:
            return "pediatrics"
        return "family" if self.person.age < 65 or self.rng.random() < 0.5 else "internal"

    def _encounters(self, conditions: list[ConditionEvent]) -> list[Encounter]:
        plans: list[tuple[date, str, Role | None, ConditionEvent | None]] = []
        birth = self.person.birth_date
        from_birth = self.window_start == birth
        if from_birth:
            plans.append((birth + timedelta(days=self.rng.randint(3, 5)), "newborn", None, None))
            for offset in WELL_CHILD_DAYS:
                day = birth + timedelta(days=offset + self.rng.randint(-3, 3))
                if day < self.today:
                    plans.append((day, "well_child", None, None))
        years = (self.today - self.window_start).days // 365
        for back in range(years + 1):
            day = self.today - timedelta(days=back * 365 + self.rng.randint(0, 150))
            if day >= self.window_start and not (from_birth and day < birth + timedelta(800)):
                kind = "well_child" if age_on(birth, day) < 18 else "wellness"
                plans.append((day, kind, None, None))
        for condition in conditions:
            spec = condition.spec
            if not spec.chronic:
                kind = "emergency" if spec.emergency else "acute"
                role: Role | None = "emergency" if spec.emergency else None
                plans.append((condition.onset, kind, role, condition))
                continue
            plans.append((condition.onset, "followup", None, condition))
            plans.extend(
                (day, "followup", self._specialist(spec.key, index), condition)
                for index, day in enumerate(self._followup_days(condition))
            )
        if self.person.age_days > 45:
            day = self.today - timedelta(days=self.rng.randint(2, 60))
            plans.append((day, "telephone", "nurse", None))
        return self._schedule(plans)

    def _specialist(self, key: str, index: int) -> Role | None:
        if self.person.age < 18:
            return "pediatrics"
        if key == "diabetes" and index % 2 == 1:
            return "endocrinology"
        if key in ("afib", "chd"):
            return "cardiology"
        return None

    def _followup_days(self, condition: ConditionEvent) -> list[date]:
        spec = condition.spec
        if spec.followups_per_year == 0:
            return []
        end = condition.abatement or self.today - timedelta(days=self.rng.randint(5, 40))
        span = (end - condition.onset).days
        if spec.key == "diabetes":
            count = self.a1c_visits - 1
        else:
            count = min(8, int(span / 365 * spec.followups_per_year))
        if count <= 0 or span < 60:
            return []
        step = span / count
        days = []
        for index in range(1, count + 1):
            jitter = self.rng.randint(-8, 8)
            day = condition.onset + timedelta(days=int(index * step) + jitter)
            days.append(min(day, end))
        return days

    def _schedule(
        self, plans: list[tuple[date, str, Role | None, ConditionEvent | None]]
    ) -> list[Encounter]:
        used: dict[date, Encounter] = {}
        for day, kind, role, condition in sorted(plans, key=lambda p: (p[0], p[1])):
            day = min(max(day, self.person.birth_date), self.today - timedelta(days=1))
            if day in used and kind in ("followup", "wellness", "well_child"):
                existing = used[day]
                if existing.kind in ("followup", "wellness", "well_child"):
                    if condition is not None:
                        existing.reasons.append(condition)
                        if condition.encounter is None:
                            condition.encounter = existing
                    continue
            while day in used:
                day = (
                    day + timedelta(days=1)
                    if day < self.today - timedelta(days=1)
                    else (day - timedelta(days=7))
                )
            clinician = self.staff.clinicians[self._role_for(day, role)]
            encounter = self._encounter(day, kind, clinician)
            if condition is not None:
                encounter.reasons.append(condition)
                if condition.encounter is None:
                    condition.encounter = encounter
            used[day] = encounter
        ordered = sorted(used.values(), key=lambda e: e.start)
        for encounter in ordered:
            encounter.id = self.ids.new("Encounter")
        return ordered

    def _encounter(self, day: date, kind: str, clinician: Clinician) -> Encounter:
        if kind == "emergency":
            start_time = time(self.rng.randint(0, 23), self.rng.randint(0, 59))
            minutes = self.rng.randint(120, 360)
        else:
            start_time = time(self.rng.randint(8, 16), self.rng.choice((0, 15, 30, 45)))
            minutes = self.rng.choice((15, 20, 30, 45)) if kind != "telephone" else 10
        start = datetime.combine(day, start_time, tzinfo=self.tz)
        return Encounter("", kind, start, start + timedelta(minutes=minutes), clinician)

    # --- allergies and medications ------------------------------------------------------------

    def _first_visit(self, encounters: list[Encounter]) -> Encounter:
        return next(e for e in encounters if e.kind != "telephone")

    def _allergies(
        self, allergens: list[cl.AllergenSpec], encounters: list[Encounter]
    ) -> list[AllergyEvent]:
        events = []
        first = self._first_visit(encounters)
        for spec in allergens:
            manifestation = self.rng.choice(spec.manifestations)
            severity: Severity = "severe"
            if manifestation != cl.ANAPHYLAXIS:
                severity = "mild" if self.rng.random() < 0.5 else "moderate"
            events.append(
                AllergyEvent(
                    self.ids.new("AllergyIntolerance"),
                    spec,
                    first.start,
                    first,
                    manifestation,
                    severity,
                )
            )
        return events

    def _visit_on_or_after(self, encounters: list[Encounter], day: date) -> Encounter:
        candidates = [e for e in encounters if e.day >= day and e.kind != "telephone"]
        return candidates[0] if candidates else encounters[-1]

    def _medications(
        self, history: ClinicalHistory, allergens: list[cl.AllergenSpec]
    ) -> list[MedicationEvent]:
        substitutes: dict[str, str] = {}
        for allergen in allergens:
            substitutes.update(ALLERGY_SUBSTITUTES.get(allergen.key, {}))
        events: list[MedicationEvent] = []
        for condition in history.conditions:
            encounter = condition.encounter
            if encounter is None:
                continue
            plans = condition.spec.medications
            start = encounter
            for index, plan in enumerate(plans):
                key = substitutes.get(plan.medication, plan.medication)
                last = index == len(plans) - 1
                status: MedicationStatus
                ended: date | None = None
                if plan.stop_reason and not last:
                    status = "stopped"
                    span = max(30, ((condition.abatement or self.today) - start.day).days)
                    ended = start.day + timedelta(days=self.rng.randint(30, max(31, span // 2)))
                elif plan.stop_reason or not condition.active_now or not condition.spec.chronic:
                    status = "completed"
                    ended = condition.abatement or start.day + timedelta(days=14)
                else:
                    status = "active"
                events.append(
                    MedicationEvent(
                        self.ids.new("MedicationRequest"),
                        cl.MEDICATIONS[key],
                        status,
                        start.start,
                        start,
                        condition,
                        plan.stop_reason,
                        ended,
                    )
                )
                if status == "stopped" and ended is not None:
                    start = self._visit_on_or_after(history.encounters, ended)
                    ended_at = start.day
                    events[-1].ended = ended_at
        diabetes = history.condition("diabetes")
        if diabetes and diabetes.encounter and self.rng.random() < 0.35:
            visit = self._visit_on_or_after(
                history.encounters, diabetes.onset + timedelta(days=500)
            )
            if visit.day > diabetes.onset:
                events.append(
                    MedicationEvent(
                        self.ids.new("MedicationRequest"),
                        cl.MEDICATIONS["insulin"],
                        "active",
                        visit.start,
                        visit,
                        diabetes,
                    )
                )
        first = self._first_visit(history.encounters)
        for allergen in allergens:
            if allergen.treatment:
                events.append(
                    MedicationEvent(
                        self.ids.new("MedicationRequest"),
                        cl.MEDICATIONS[allergen.treatment],
                        "active",
                        first.start,
                        first,
                        None,
                    )
                )
        return sorted(events, key=lambda m: m.authored)

    # --- observations -------------------------------------------------------------------------

    def _context(self, history: ClinicalHistory, encounter: Encounter) -> Context:
        day = encounter.day
        active = [c for c in history.conditions if c.active_on(day)]
        meds = history.medications_on(day)
        since = {c.spec.key: (day - c.onset).days for c in active}
        since.update({m.spec.key: (day - m.authored.date()).days for m in meds})
        febrile = any(c.spec.key in INFECTIOUS and c.onset == day for c in history.conditions)
        return Context(
            when=day,
            age_days=self._age_days_on(day),
            conditions=frozenset(c.spec.key for c in active),
            medications=frozenset(m.spec.key for m in meds),
            days_since=since,
            febrile=febrile,
        )

    def _observations(
        self, history: ClinicalHistory, physiology: Physiology
    ) -> list[ObservationEvent]:
        events: list[ObservationEvent] = []
        for encounter in history.encounters:
            if encounter.kind == "telephone":
                continue
            ctx = self._context(history, encounter)
            keys = self._vital_keys(encounter, ctx) + self._lab_keys(encounter, ctx)
            when = encounter.start + timedelta(minutes=5)
            for key in keys:
                events.append(self._measure(physiology, key, ctx, encounter, when))
                when += timedelta(minutes=1)
        return events

    def _vital_keys(self, encounter: Encounter, ctx: Context) -> list[str]:
        keys = ["weight", "heart_rate"]
        if ctx.years >= 2:
            keys.append("bmi")
        if ctx.years >= 3:
            keys.append("bp")
        if encounter.kind in ("acute", "emergency", "newborn") or self.rng.random() < 0.5:
            keys.append("temperature")
        return keys

    def _lab_keys(self, encounter: Encounter, ctx: Context) -> list[str]:
        keys: list[str] = []
        if encounter.kind == "wellness":
            keys.extend(cl.BASIC_METABOLIC)
            keys.append("hemoglobin")
            if ctx.years >= 35 or "hyperlipidemia" in ctx.conditions:
                keys.append("ldl")
            if ctx.years >= 35 and not self.diabetic and self.rng.random() < 0.5:
                keys.append("hba1c")
        if encounter.kind == "well_child" and 250 <= ctx.age_days <= 400:
            keys.append("hemoglobin")
        if encounter.kind == "emergency" and self.rng.random() < 0.5:
            keys.extend(cl.BASIC_METABOLIC)
        for condition in encounter.reasons:
            if condition.active_on(encounter.day) or condition.onset == encounter.day:
                keys.extend(condition.spec.monitoring)
        return list(dict.fromkeys(keys))

    def _measure(
        self,
        physiology: Physiology,
        key: str,
        ctx: Context,
        encounter: Encounter,
        when: datetime,
    ) -> ObservationEvent:
        kind = "Observation"
        if key == "bp":
            systolic, diastolic = physiology.blood_pressure(ctx, self.rng)
            return ObservationEvent(
                self.ids.new(kind),
                cl.VITALS["bp"],
                encounter,
                when,
                0.0,
                (
                    (cl.VITALS["systolic"], float(round(systolic))),
                    (cl.VITALS["diastolic"], float(round(diastolic))),
                ),
            )
        spec = cl.OBSERVATIONS[key]
        value = round(physiology.value(key, ctx, self.rng), spec.decimals)
        return ObservationEvent(self.ids.new(kind), spec, encounter, when, float(value))

    # --- immunizations and procedures ---------------------------------------------------------

    def _nearest_visit(self, encounters: list[Encounter], day: date) -> Encounter | None:
        visits = [e for e in encounters if e.kind in ("newborn", "well_child", "wellness")]
        best = min(visits, key=lambda e: abs((e.day - day).days), default=None)
        if best is None or abs((best.day - day).days) > 120:
            return None
        return best

    def _immunizations(self, encounters: list[Encounter]) -> list[ImmunizationEvent]:
        events: list[ImmunizationEvent] = []
        given: set[tuple[str, str]] = set()

        def give(code: cl.Code, encounter: Encounter) -> None:
            if (code.code, encounter.id) in given:
                return
            given.add((code.code, encounter.id))
            events.append(
                ImmunizationEvent(
                    self.ids.new("Immunization"),
                    code,
                    encounter.start + timedelta(minutes=25),
                    encounter,
                )
            )

        birth = self.person.birth_date
        for dose in cl.CHILD_VACCINES:
            for age in dose.ages_days:
                day = birth + timedelta(days=age)
                if day < self.window_start or day >= self.today:
                    continue
                visit = self._nearest_visit(encounters, day)
                if visit is not None:
                    give(dose.code, visit)
        for encounter in encounters:
            if encounter.kind not in ("wellness", "well_child"):
                continue
            age = age_on(birth, encounter.day)
            if (encounter.day - birth).days >= 183 and self.rng.random() < 0.7:
                give(cl.INFLUENZA, encounter)
            if encounter.kind != "wellness":
                continue
            if encounter.day.year in (2021, 2022) and self.rng.random() < 0.7:
                give(cl.COVID, encounter)
            if age >= 50 and self.rng.random() < 0.15:
                give(cl.ZOSTER, encounter)
            if age >= 65 and self.rng.random() < 0.12:
                give(cl.PNEUMOCOCCAL, encounter)
            if self.rng.random() < 0.08:
                give(cl.TD_ADULT, encounter)
        return sorted(events, key=lambda i: i.when)

    def _procedures(self, history: ClinicalHistory) -> list[ProcedureEvent]:
        events: list[ProcedureEvent] = []

        def add(key: str, encounter: Encounter, reason: ConditionEvent | None = None) -> None:
            events.append(
                ProcedureEvent(
                    self.ids.new("Procedure"),
                    cl.PROCEDURES[key],
                    encounter.start + timedelta(minutes=self.rng.randint(10, 40)),
                    encounter,
                    reason,
                )
            )

        for condition in history.conditions:
            if condition.encounter is None:
                continue
            for key in condition.spec.procedures:
                add(key, condition.encounter, condition)
        female = self.person.sex == "female"
        for encounter in history.encounters:
            age = age_on(self.person.birth_date, encounter.day)
            if encounter.kind == "newborn":
                add("hearing_screen", encounter)
            elif encounter.kind == "wellness":
                if self.rng.random() < 0.5:
                    add("depression_screening", encounter)
                if female and age >= 40 and self.rng.random() < 0.45:
                    add("mammography", encounter)
            elif encounter.kind == "followup" and self.rng.random() < 0.3:
                add("medication_reconciliation", encounter)
        wellness = [e for e in history.encounters if e.kind == "wellness"]
        if self.person.age >= 45 and wellness and self.rng.random() < 0.5:
            add("colonoscopy", self.rng.choice(wellness))
        return sorted(events, key=lambda p: p.when)
