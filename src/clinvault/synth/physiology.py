"""Plausible lab and vital values over time for one patient.

Each patient gets baselines once; a value depends on age at the time, active conditions and
the medications taken then (a statin lowers LDL, metformin brings HbA1c down after diagnosis).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from clinvault.synth.names import Sex

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Context:
    """What is true of the patient on the day of a measurement."""

    when: date
    age_days: int
    conditions: frozenset[str]
    medications: frozenset[str]
    days_since: dict[str, int]
    """Days since the onset of each active condition and the start of each medication."""
    febrile: bool = False

    @property
    def years(self) -> float:
        return self.age_days / YEAR_DAYS


@dataclass
class Physiology:
    sex: Sex
    height_m: float
    bmi: float
    weight_drift_per_year: float
    systolic: float
    diastolic: float
    heart_rate: float
    creatinine: float
    potassium: float
    sodium: float
    ldl: float
    hemoglobin: float
    a1c_normal: float
    a1c_at_diagnosis: float
    a1c_control: float

    @classmethod
    def draw(cls, rng: random.Random, sex: Sex, conditions: frozenset[str]) -> Physiology:
        male = sex == "male"
        return cls(
            sex=sex,
            height_m=rng.uniform(1.65, 1.92) if male else rng.uniform(1.52, 1.76),
            bmi=rng.uniform(28, 38) if "diabetes" in conditions else rng.uniform(19.5, 33),
            weight_drift_per_year=rng.uniform(-0.6, 0.9),
            systolic=rng.uniform(108, 128),
            diastolic=rng.uniform(66, 80),
            heart_rate=rng.uniform(60, 84),
            creatinine=rng.uniform(0.8, 1.15) if male else rng.uniform(0.6, 0.95),
            potassium=rng.uniform(3.7, 4.7),
            sodium=rng.uniform(137, 142),
            ldl=rng.uniform(150, 195) if "hyperlipidemia" in conditions else rng.uniform(85, 150),
            hemoglobin=rng.uniform(13.8, 16.4) if male else rng.uniform(12.2, 14.8),
            a1c_normal=rng.uniform(4.8, 5.6),
            a1c_at_diagnosis=rng.uniform(7.6, 9.8),
            a1c_control=rng.uniform(6.6, 8.4),
        )

    # --- body size ---------------------------------------------------------------------------

    def weight(self, ctx: Context) -> float:
        years = ctx.years
        months = ctx.age_days / 30.44
        boy = 0.2 if self.sex == "male" else 0.0
        if years < 2:
            if months <= 4:
                return 3.3 + boy + 0.75 * months
            if months <= 12:
                return 6.3 + boy + 0.45 * (months - 4)
            return 9.9 + boy + 0.2 * (months - 12)
        if years < 18:
            return 12.3 + boy + 2.5 * min(years - 2, 10) + 4.5 * max(years - 12, 0)
        adult = self.bmi * self.height_m**2
        return adult + self.weight_drift_per_year * (years - 18) * 0.25

    def height(self, ctx: Context) -> float:
        if ctx.years >= 18:
            return self.height_m
        return min(self.height_m, 0.86 + 0.065 * (ctx.years - 2))

    # --- values ------------------------------------------------------------------------------

    def value(self, key: str, ctx: Context, rng: random.Random) -> float:
        method = getattr(self, f"_{key}")
        result: float = method(ctx, rng)
        return result

    def _weight(self, ctx: Context, rng: random.Random) -> float:
        noise = 0.05 if ctx.years < 2 else (0.4 if ctx.years < 18 else 1.2)
        return max(2.0, self.weight(ctx) + rng.gauss(0, noise))

    def _bmi(self, ctx: Context, rng: random.Random) -> float:
        return self.weight(ctx) / self.height(ctx) ** 2 + rng.gauss(0, 0.2)

    def _heart_rate(self, ctx: Context, rng: random.Random) -> float:
        if ctx.years < 1:
            base = 135.0
        elif ctx.years < 12:
            base = 100 - 2.5 * ctx.years
        else:
            base = self.heart_rate
        if "afib" in ctx.conditions and "metoprolol" not in ctx.medications:
            base += 18
        if ctx.febrile:
            base += 12
        return base + rng.gauss(0, 5)

    def blood_pressure(self, ctx: Context, rng: random.Random) -> tuple[float, float]:
        if ctx.years < 18:
            return 96 + 1.2 * ctx.years + rng.gauss(0, 5), 58 + 0.6 * ctx.years + rng.gauss(0, 4)
        systolic = self.systolic + 0.35 * max(ctx.years - 50, 0)
        diastolic = self.diastolic
        if "hypertension" in ctx.conditions:
            treated = {"lisinopril", "amlodipine"} & ctx.medications
            systolic += 9 if treated else 24
            diastolic += 4 if treated else 11
        return systolic + rng.gauss(0, 6), diastolic + rng.gauss(0, 4)

    def _temperature(self, ctx: Context, rng: random.Random) -> float:
        if ctx.febrile:
            return rng.uniform(38.1, 39.4)
        return rng.uniform(36.4, 37.1)

    def _hba1c(self, ctx: Context, rng: random.Random) -> float:
        if "diabetes" in ctx.conditions:
            days = ctx.days_since.get("diabetes", 0)
            control = self.a1c_control - (0.7 if "insulin" in ctx.medications else 0.0)
            settle = math.exp(-days / 150)
            return control + (self.a1c_at_diagnosis - control) * settle + rng.gauss(0, 0.25)
        if "prediabetes" in ctx.conditions:
            return rng.uniform(5.7, 6.4)
        return self.a1c_normal + rng.gauss(0, 0.12)

    def _glucose(self, ctx: Context, rng: random.Random) -> float:
        if "diabetes" in ctx.conditions:
            return 28.7 * self._hba1c(ctx, rng) - 46.7 + rng.gauss(0, 18)
        base = rng.uniform(100, 124) if "prediabetes" in ctx.conditions else rng.uniform(72, 98)
        return base + (30 if "cushing" in ctx.conditions else 0)

    def _creatinine(self, ctx: Context, rng: random.Random) -> float:
        value = self.creatinine + (0.1 if ctx.years > 70 else 0.0)
        if ctx.years < 18:
            value = 0.3 + 0.035 * ctx.years
        if "ckd3" in ctx.conditions:
            value = 1.55 + 0.06 * ctx.days_since.get("ckd3", 0) / YEAR_DAYS
        return max(0.2, value + rng.gauss(0, 0.06))

    def _potassium(self, ctx: Context, rng: random.Random) -> float:
        value = self.potassium
        value += 0.3 if "ckd3" in ctx.conditions else 0.0
        value += (
            0.5 if "addison" in ctx.conditions and "hydrocortisone" not in ctx.medications else 0
        )
        value += 0.15 if "lisinopril" in ctx.medications else 0.0
        value -= 0.3 if "furosemide" in ctx.medications else 0.0
        return value + rng.gauss(0, 0.15)

    def _sodium(self, ctx: Context, rng: random.Random) -> float:
        value = self.sodium - (5 if "addison" in ctx.conditions else 0)
        return value + rng.gauss(0, 1.2)

    def _ldl(self, ctx: Context, rng: random.Random) -> float:
        factor = 1.0
        if "atorvastatin" in ctx.medications:
            factor = 0.5
        elif "simvastatin" in ctx.medications:
            factor = 0.7
        return self.ldl * factor + rng.gauss(0, 7)

    def _hemoglobin(self, ctx: Context, rng: random.Random) -> float:
        if ctx.age_days < 45:
            return rng.uniform(14.5, 18.5)
        if ctx.years < 2:
            return rng.uniform(10.8, 12.8)
        if ctx.years < 12:
            return rng.uniform(11.5, 13.5)
        value = self.hemoglobin
        if "anemia" in ctx.conditions:
            treated = ctx.days_since.get("ferrous_sulfate", 0) > 90
            value -= 1.0 if treated else 2.6
        value -= 1.2 if "ckd3" in ctx.conditions else 0.0
        value -= 1.6 if "hodgkin" in ctx.conditions else 0.0
        value -= 0.8 if "crohn" in ctx.conditions else 0.0
        return value + rng.gauss(0, 0.3)
