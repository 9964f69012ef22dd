"""US cities, streets and the shapes of addresses.

Cities are real (so city, state and ZIP prefix agree); street numbers, street names and the
last two ZIP digits are drawn, so no generated address is meant to be a real one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    key: str
    name: str
    state: str
    zip3: str
    area_codes: tuple[str, ...]
    utc_offset: str
    """Standard-time offset used for every timestamp of a patient living here."""


CITIES: tuple[City, ...] = (
    City("boston", "Boston", "MA", "021", ("617", "857"), "-05:00"),
    City("worcester", "Worcester", "MA", "016", ("508", "774"), "-05:00"),
    City("providence", "Providence", "RI", "029", ("401",), "-05:00"),
    City("hartford", "Hartford", "CT", "061", ("860", "959"), "-05:00"),
    City("brooklyn", "Brooklyn", "NY", "112", ("718", "347", "929"), "-05:00"),
    City("philadelphia", "Philadelphia", "PA", "191", ("215", "267"), "-05:00"),
    City("pittsburgh", "Pittsburgh", "PA", "152", ("412", "878"), "-05:00"),
    City("baltimore", "Baltimore", "MD", "212", ("410", "443"), "-05:00"),
    City("richmond", "Richmond", "VA", "232", ("804",), "-05:00"),
    City("charlotte", "Charlotte", "NC", "282", ("704", "980"), "-05:00"),
    City("atlanta", "Atlanta", "GA", "303", ("404", "678", "470"), "-05:00"),
    City("miami", "Miami", "FL", "331", ("305", "786"), "-05:00"),
    City("orlando", "Orlando", "FL", "328", ("407", "689"), "-05:00"),
    City("detroit", "Detroit", "MI", "482", ("313",), "-05:00"),
    City("dearborn", "Dearborn", "MI", "481", ("313",), "-05:00"),
    City("columbus", "Columbus", "OH", "432", ("614", "380"), "-05:00"),
    City("cleveland", "Cleveland", "OH", "441", ("216",), "-05:00"),
    City("nashville", "Nashville", "TN", "372", ("615", "629"), "-06:00"),
    City("chicago", "Chicago", "IL", "606", ("312", "773", "872"), "-06:00"),
    City("springfield", "Springfield", "IL", "627", ("217",), "-06:00"),
    City("milwaukee", "Milwaukee", "WI", "532", ("414",), "-06:00"),
    City("minneapolis", "Minneapolis", "MN", "554", ("612",), "-06:00"),
    City("st_louis", "St. Louis", "MO", "631", ("314",), "-06:00"),
    City("kansas_city", "Kansas City", "MO", "641", ("816",), "-06:00"),
    City("houston", "Houston", "TX", "770", ("713", "281", "832"), "-06:00"),
    City("dallas", "Dallas", "TX", "752", ("214", "469", "972"), "-06:00"),
    City("san_antonio", "San Antonio", "TX", "782", ("210", "726"), "-06:00"),
    City("el_paso", "El Paso", "TX", "799", ("915",), "-07:00"),
    City("denver", "Denver", "CO", "802", ("303", "720"), "-07:00"),
    City("albuquerque", "Albuquerque", "NM", "871", ("505",), "-07:00"),
    City("gallup", "Gallup", "NM", "873", ("505",), "-07:00"),
    City("phoenix", "Phoenix", "AZ", "850", ("602", "480", "623"), "-07:00"),
    City("flagstaff", "Flagstaff", "AZ", "860", ("928",), "-07:00"),
    City("salt_lake_city", "Salt Lake City", "UT", "841", ("801", "385"), "-07:00"),
    City("las_vegas", "Las Vegas", "NV", "891", ("702", "725"), "-08:00"),
    City("los_angeles", "Los Angeles", "CA", "900", ("213", "323", "310"), "-08:00"),
    City("san_diego", "San Diego", "CA", "921", ("619", "858"), "-08:00"),
    City("san_jose", "San Jose", "CA", "951", ("408", "669"), "-08:00"),
    City("oakland", "Oakland", "CA", "946", ("510", "341"), "-08:00"),
    City("sacramento", "Sacramento", "CA", "958", ("916", "279"), "-08:00"),
    City("portland", "Portland", "OR", "972", ("503", "971"), "-08:00"),
    City("seattle", "Seattle", "WA", "981", ("206", "564"), "-08:00"),
    City("anchorage", "Anchorage", "AK", "995", ("907",), "-09:00"),
    City("honolulu", "Honolulu", "HI", "968", ("808",), "-10:00"),
)

CITY_BY_KEY: dict[str, City] = {city.key: city for city in CITIES}

STREET_NAMES: tuple[str, ...] = (
    "Maple Ave",
    "Oak St",
    "Elm St",
    "Washington Blvd",
    "Lincoln Rd",
    "Cedar Ln",
    "Pine St",
    "Park Ave",
    "Main St",
    "Church St",
    "Highland Ave",
    "Sunset Dr",
    "Lakeview Dr",
    "Hillcrest Rd",
    "Willow Way",
    "Chestnut St",
    "Walnut St",
    "Spring St",
    "River Rd",
    "Mill St",
    "Forest Ave",
    "Jefferson St",
    "Franklin St",
    "Madison Ave",
    "Rosewood Ct",
    "Magnolia Blvd",
    "Cypress St",
    "Juniper Ct",
    "Aspen Way",
    "Birch Rd",
    "Bayview Ter",
    "Harbor Dr",
    "Canyon Rd",
    "Mesa Dr",
    "Prairie Ln",
    "Orchard St",
    "Hope St",
    "Summer St",
    "Pleasant St",
    "Union St",
    "Market St",
    "Water St",
    "Bridge St",
    "Kings Hwy",
    "Martin Luther King Jr Blvd",
    "Avenida del Sol",
    "Calle Primavera",
    "Peachtree Pl",
    "Bluebonnet Trl",
    "Kalakaua Ave",
    "Ridge Rd",
    "Dogwood Dr",
    "Sycamore St",
    "Academy St",
    "Grove St",
    "Meadow Ln",
    "Sherwood Dr",
    "Elmwood Ave",
)

UNIT_FORMS: tuple[str, ...] = ("Apt {n}{letter}", "Unit {n}", "#{n}{letter}", "Apt {n}")


@dataclass(frozen=True)
class Address:
    line: str
    unit: str | None
    city: City
    postal_code: str

    @property
    def lines(self) -> list[str]:
        return [self.line, self.unit] if self.unit else [self.line]


def draw_street_line(rng: random.Random) -> str:
    number = rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9899)))
    return f"{number} {rng.choice(STREET_NAMES)}"


def draw_address(rng: random.Random, city: City) -> Address:
    unit: str | None = None
    if rng.random() < 0.3:
        unit = rng.choice(UNIT_FORMS).format(n=rng.randint(1, 24), letter=rng.choice("ABCDEF"))
    postal = f"{city.zip3}{rng.randint(1, 99):02d}"
    return Address(draw_street_line(rng), unit, city, postal)
