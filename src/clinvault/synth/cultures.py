"""Naming cultures: which names, languages, OMB race/ethnicity and home cities go together.

A culture is a sampling device for coherent, diverse records, not a statement about people:
every culture still mixes races, ethnicities and languages with the weights below.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinvault.synth import names as n

RACE_SYSTEM = "urn:oid:2.16.840.1.113883.6.238"
NULL_FLAVOR_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"


@dataclass(frozen=True)
class Category:
    system: str
    code: str
    display: str


RACES: dict[str, Category] = {
    "white": Category(RACE_SYSTEM, "2106-3", "White"),
    "black": Category(RACE_SYSTEM, "2054-5", "Black or African American"),
    "asian": Category(RACE_SYSTEM, "2028-9", "Asian"),
    "aian": Category(RACE_SYSTEM, "1002-5", "American Indian or Alaska Native"),
    "nhpi": Category(RACE_SYSTEM, "2076-8", "Native Hawaiian or Other Pacific Islander"),
    "unknown": Category(NULL_FLAVOR_SYSTEM, "UNK", "Unknown"),
    "declined": Category(NULL_FLAVOR_SYSTEM, "ASKU", "Asked but no answer"),
}

ETHNICITIES: dict[str, Category] = {
    "hispanic": Category(RACE_SYSTEM, "2135-2", "Hispanic or Latino"),
    "not_hispanic": Category(RACE_SYSTEM, "2186-5", "Not Hispanic or Latino"),
    "declined": Category(NULL_FLAVOR_SYSTEM, "ASKU", "Asked but no answer"),
}

HISPANIC_DETAILS: tuple[Category, ...] = (
    Category(RACE_SYSTEM, "2148-5", "Mexican"),
    Category(RACE_SYSTEM, "2180-8", "Puerto Rican"),
    Category(RACE_SYSTEM, "2182-4", "Cuban"),
    Category(RACE_SYSTEM, "2161-8", "Salvadoran"),
    Category(RACE_SYSTEM, "2178-2", "Dominican"),
)


@dataclass(frozen=True)
class Language:
    code: str
    """BCP-47 tag."""
    display: str


LANGUAGES: dict[str, Language] = {
    code: Language(code, display)
    for code, display in (
        ("en-US", "English"),
        ("es", "Spanish"),
        ("zh", "Chinese"),
        ("yue", "Cantonese"),
        ("vi", "Vietnamese"),
        ("ko", "Korean"),
        ("hi", "Hindi"),
        ("gu", "Gujarati"),
        ("pa", "Punjabi"),
        ("bn", "Bengali"),
        ("ar", "Arabic"),
        ("yo", "Yoruba"),
        ("ig", "Igbo"),
        ("so", "Somali"),
        ("am", "Amharic"),
        ("ht", "Haitian Creole"),
        ("fr", "French"),
        ("ru", "Russian"),
        ("pl", "Polish"),
        ("uk", "Ukrainian"),
        ("tl", "Tagalog"),
        ("ja", "Japanese"),
        ("nv", "Navajo"),
        ("sm", "Samoan"),
        ("it", "Italian"),
        ("de", "German"),
        ("pt", "Portuguese"),
    )
}


@dataclass(frozen=True)
class Culture:
    key: str
    weight: int
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    languages: tuple[tuple[str, int], ...]
    races: tuple[tuple[str, int], ...]
    hispanic: float
    home_cities: tuple[str, ...] = ()
    """Preferred city keys (see :mod:`clinvault.synth.places`); empty means anywhere."""


CULTURES: tuple[Culture, ...] = (
    Culture(
        "anglo",
        24,
        n.ANGLO_MALE,
        n.ANGLO_FEMALE,
        n.ANGLO_SURNAMES,
        (("en-US", 97), ("es", 2), ("pt", 1)),
        (("white", 80), ("black", 8), ("aian", 3), ("unknown", 4), ("declined", 5)),
        0.04,
    ),
    Culture(
        "african_american",
        12,
        n.AFRICAN_AMERICAN_MALE,
        n.AFRICAN_AMERICAN_FEMALE,
        n.AFRICAN_AMERICAN_SURNAMES,
        (("en-US", 100),),
        (("black", 92), ("white", 3), ("declined", 5)),
        0.03,
        ("atlanta", "detroit", "baltimore", "chicago", "houston", "charlotte"),
    ),
    Culture(
        "hispanic",
        17,
        n.HISPANIC_MALE,
        n.HISPANIC_FEMALE,
        n.HISPANIC_SURNAMES,
        (("es", 55), ("en-US", 45)),
        (("white", 45), ("black", 8), ("aian", 7), ("unknown", 30), ("declined", 10)),
        0.97,
        ("los_angeles", "san_antonio", "el_paso", "miami", "houston", "phoenix", "albuquerque"),
    ),
    Culture(
        "western_european",
        7,
        n.WESTERN_EUROPEAN_MALE,
        n.WESTERN_EUROPEAN_FEMALE,
        n.WESTERN_EUROPEAN_SURNAMES,
        (("en-US", 85), ("it", 8), ("de", 7)),
        (("white", 95), ("declined", 5)),
        0.02,
    ),
    Culture(
        "eastern_european",
        4,
        n.EASTERN_EUROPEAN_MALE,
        n.EASTERN_EUROPEAN_FEMALE,
        n.EASTERN_EUROPEAN_SURNAMES,
        (("ru", 45), ("en-US", 35), ("pl", 10), ("uk", 10)),
        (("white", 95), ("declined", 5)),
        0.0,
        ("brooklyn", "chicago", "sacramento", "seattle"),
    ),
    Culture(
        "chinese",
        5,
        n.CHINESE_MALE,
        n.CHINESE_FEMALE,
        n.CHINESE_SURNAMES,
        (("zh", 45), ("yue", 15), ("en-US", 40)),
        (("asian", 96), ("declined", 4)),
        0.0,
        ("brooklyn", "san_jose", "oakland", "seattle", "boston", "los_angeles"),
    ),
    Culture(
        "vietnamese",
        3,
        n.VIETNAMESE_MALE,
        n.VIETNAMESE_FEMALE,
        n.VIETNAMESE_SURNAMES,
        (("vi", 60), ("en-US", 40)),
        (("asian", 97), ("declined", 3)),
        0.0,
        ("houston", "san_jose", "seattle", "orlando"),
    ),
    Culture(
        "korean",
        2,
        n.KOREAN_MALE,
        n.KOREAN_FEMALE,
        n.KOREAN_SURNAMES,
        (("ko", 50), ("en-US", 50)),
        (("asian", 97), ("declined", 3)),
        0.0,
        ("los_angeles", "seattle", "atlanta"),
    ),
    Culture(
        "south_asian",
        4,
        n.SOUTH_ASIAN_MALE,
        n.SOUTH_ASIAN_FEMALE,
        n.SOUTH_ASIAN_SURNAMES,
        (("en-US", 55), ("hi", 15), ("gu", 10), ("pa", 10), ("bn", 10)),
        (("asian", 95), ("declined", 5)),
        0.0,
        ("san_jose", "dallas", "chicago", "brooklyn"),
    ),
    Culture(
        "arabic",
        3,
        n.ARABIC_MALE,
        n.ARABIC_FEMALE,
        n.ARABIC_SURNAMES,
        (("ar", 55), ("en-US", 45)),
        (("white", 85), ("unknown", 10), ("declined", 5)),
        0.0,
        ("dearborn", "brooklyn", "houston"),
    ),
    Culture(
        "nigerian",
        3,
        n.NIGERIAN_MALE,
        n.NIGERIAN_FEMALE,
        n.NIGERIAN_SURNAMES,
        (("en-US", 75), ("yo", 15), ("ig", 10)),
        (("black", 97), ("declined", 3)),
        0.0,
        ("houston", "atlanta", "baltimore", "dallas"),
    ),
    Culture(
        "east_african",
        2,
        n.EAST_AFRICAN_MALE,
        n.EAST_AFRICAN_FEMALE,
        n.EAST_AFRICAN_SURNAMES,
        (("so", 55), ("am", 20), ("en-US", 25)),
        (("black", 97), ("declined", 3)),
        0.0,
        ("minneapolis", "columbus", "seattle"),
    ),
    Culture(
        "haitian",
        2,
        n.HAITIAN_MALE,
        n.HAITIAN_FEMALE,
        n.HAITIAN_SURNAMES,
        (("ht", 60), ("fr", 15), ("en-US", 25)),
        (("black", 97), ("declined", 3)),
        0.02,
        ("miami", "boston", "brooklyn"),
    ),
    Culture(
        "filipino",
        3,
        n.FILIPINO_MALE,
        n.FILIPINO_FEMALE,
        n.FILIPINO_SURNAMES,
        (("tl", 40), ("en-US", 60)),
        (("asian", 90), ("nhpi", 5), ("declined", 5)),
        0.03,
        ("san_diego", "honolulu", "las_vegas", "los_angeles"),
    ),
    Culture(
        "japanese",
        2,
        n.JAPANESE_MALE,
        n.JAPANESE_FEMALE,
        n.JAPANESE_SURNAMES,
        (("en-US", 70), ("ja", 30)),
        (("asian", 90), ("nhpi", 5), ("declined", 5)),
        0.0,
        ("honolulu", "los_angeles", "seattle"),
    ),
    Culture(
        "native_american",
        2,
        n.ANGLO_MALE,
        n.ANGLO_FEMALE,
        n.NATIVE_AMERICAN_SURNAMES,
        (("en-US", 80), ("nv", 20)),
        (("aian", 95), ("declined", 5)),
        0.05,
        ("gallup", "flagstaff", "anchorage", "albuquerque"),
    ),
    Culture(
        "pacific_islander",
        1,
        n.PACIFIC_MALE,
        n.PACIFIC_FEMALE,
        n.PACIFIC_SURNAMES,
        (("en-US", 75), ("sm", 25)),
        (("nhpi", 95), ("declined", 5)),
        0.0,
        ("honolulu", "salt_lake_city", "seattle"),
    ),
)

CULTURE_BY_KEY: dict[str, Culture] = {culture.key: culture for culture in CULTURES}
