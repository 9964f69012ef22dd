"""The ways clinicians write dates, from ISO to shorthand."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS_SHORT = ("Mon", "Tues", "Wed", "Thurs", "Fri", "Sat", "Sun")


def iso(day: date) -> str:
    return day.isoformat()


def us(day: date) -> str:
    """``03/05/2024``."""
    return f"{day.month:02d}/{day.day:02d}/{day.year}"


def us_short_year(day: date) -> str:
    """``3/5/24``."""
    return f"{day.month}/{day.day}/{day.year % 100:02d}"


def long(day: date) -> str:
    """``March 5, 2024``."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def day_month(day: date) -> str:
    """``5 Mar 2024``."""
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def shorthand(day: date) -> str:
    """``7/22``: no year, as in "f/u 7/22"."""
    return f"{day.month}/{day.day}"


def weekday_shorthand(day: date) -> str:
    """``Tues 3/4``."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day.month}/{day.day}"


FULL_FORMATS = (iso, us, long, day_month, us_short_year)
