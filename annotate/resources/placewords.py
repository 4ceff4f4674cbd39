"""Words of places no pipeline knows as our label conventions need them: place types and
suffixes, directions, spatial and locative prepositions, regions, country aliases and what is
never a place."""

from __future__ import annotations

# The language pipeline's entity types that pre-fill our labels (schema/guidelines.md,
# "Pre-annotation from the language pipeline"); NORP only as a plural noun ("Afghans"). DATE,
# TIME, CARDINAL, QUANTITY, MONEY, PERCENT, ORDINAL and the rest pre-fill nothing: COUNTs come from
# the COUNT rules, which know our conventions on dates, measures and ordinals.
ENTITY_LABELS = {
    "PERSON": "ACTOR",
    "ORG": "ACTOR",
    "NORP": "ACTOR",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
}


# The last word of a named facility: a pipeline entity ending in one is a LOCATION, whatever type
# the pipeline gave it ("the Iraqi Museum", "Tiyas Military Airfield": guidelines, LOCATION).
FACILITY_WORDS = frozenset(
    "airport airbase airfield base camp dam barrage bridge hospital mosque museum school "
    "university prison palace gate church market stadium port harbour harbor refinery station "
    "embassy consulate checkpoint".split()
)


# Prepositions after which a name is a place ("in Dabiq", "near Palmyra"): a pipeline entity
# there is a LOCATION even when the pipeline called it a person or an organisation.
SPATIAL_PREPOSITIONS = frozenset(
    "in at near into inside outside across around through throughout within towards toward".split()
)


COUNTRY_ABBREVIATIONS = frozenset({"U.S.", "US", "U.K.", "UK", "UN", "U.N.", "EU"})


# Type words after a place name that belong to the LOCATION (guidelines L5): "Tigris river".
FEATURE_WORDS = frozenset(
    "river mountains mountain dam barrage suburbs suburb region area lake lakes depression regulator "
    "desert plain plains island islands canal reservoir basin corridor highway road crossing".split()
)


COMPASS = frozenset(
    "north south east west northeast northwest southeast southwest north-east north-west south-east south-west".split()
)


COUNTRY_MODIFIERS = frozenset({"U.S.", "US", "U.K.", "UK"})


# ---------------------------------------------------------------- LOCATION
DIRECTIONS = frozenset(
    "north south east west northern southern eastern western northeast northwest southeast "
    "southwest northeastern northwestern southeastern southwestern central north-east north-west "
    "south-east south-west north-eastern north-western south-eastern south-western".split()
)


PLACE_TYPES = frozenset(
    "province district city region valley town village airbase base county governorate "
    "state oblast municipality prefecture".split()
)


# After a name, these make an unknown capitalised word a place: "Nawa district".
PLACE_SUFFIXES = frozenset("province district valley airbase governorate oblast".split())


LOCATIVE_PREPOSITIONS = frozenset(
    "in into to from near at towards toward across around outside inside via of through throughout within".split()
)


REGIONS = (
    "Central Asia",
    "South Asia",
    "Middle East",
    "Southeast Asia",
    "East Africa",
    "West Africa",
    "North Africa",
    "Horn of Africa",
    "Sahel",
    "Balkans",
    "Caucasus",
    "Kashmir",
    "Gaza",
    "West Bank",
    "Kurdistan",
    "Europe",
    "Asia",
    "Africa",
    "Latin America",
)


COUNTRY_ALIASES = (
    "United States",
    "United Kingdom",
    "Britain",
    "Great Britain",
    "Russia",
    "Iran",
    "Syria",
    "South Korea",
    "North Korea",
    "Vietnam",
    "Laos",
    "Bolivia",
    "Venezuela",
    "Tanzania",
    "Moldova",
    "Czech Republic",
    "Palestine",
    "Taiwan",
    "Macedonia",
    "Congo",
    "Ivory Coast",
    "Burma",
    "Myanmar",
    "Turkey",
    "Kosovo",
)


# Gazetteer names that are more often something else in news text.
NOT_PLACES = frozenset(
    "Central Northern Southern Eastern Western North South East West Capital Centre Center "
    "Coast Lakes Upper Lower Island Islands Federal Border National Republic Union Plateau "
    "Mountain Mountains Valley River Bay Sea Ocean Lake Gulf Police Deal Man Most Mobile Reading "
    "Of March May August Victoria Florence Charlotte Jackson Lincoln Washington Taliban Afghan "
    "Tajik Said Nice Bath Orange Split Male Sale Hope Unity Independence Liberty Union Progress "
    "Marka Gao Of Ban Bar Bo Hit Kut Ur Ad".split()
)
