"""COUNT rules: digits, number words, vague magnitudes, bounded and fractional quantities.

Not counts: dates, years, decades, times, durations, distances, money, percentages, ordinals and
phone-like numbers (see `_measure_or_date`).
"""

from __future__ import annotations

import re

from newsgold.annotate.preannotate.view import DIGITS, Candidate, DocView
from newsgold.annotate.resources.lexicon import (
    COUNT_BOUNDS,
    CURRENCY_SIGNS,
    FRACTIONS,
    MAGNITUDE_PREFIXES,
    MAGNITUDES,
    MONTHS,
    NUMBER_WORDS,
    UNITS,
    VAGUE_MAGNITUDES,
)

_INTEGER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")
_YEAR = re.compile(r"^(?:1[89]|20|21)\d\d$")
_PHONE_LEFT = re.compile(r"\d[-/.)]$")
_PHONE_RIGHT = re.compile(r"^[-/.(]\d")


def _number_end(doc: DocView, i: int) -> int:
    """End of the number starting at token `i` ("1,037", "three hundred", "20 million"), or i."""
    low = doc.low(i)
    if not (
        _INTEGER.match(low)
        or low in NUMBER_WORDS
        or (low == "one" and doc.low(i + 1) in MAGNITUDES)
        or ("-" in low and all(part in NUMBER_WORDS or part == "one" for part in low.split("-")))
    ):
        return i
    j = i + 1
    if doc.low(j) == "-" and doc.low(j + 1) == "plus":
        return j + 2  # "60-plus"
    # "three hundred", "20 million", "three hundred and fifty"
    while doc.low(j) in MAGNITUDES or (
        doc.low(j) == "and" and doc.low(j - 1) in MAGNITUDES and doc.low(j + 1) in NUMBER_WORDS
    ):
        j += 1
    return j


def _measure_or_date(doc: DocView, start: int, end: int) -> bool:
    """Whether the number at [start, end) is a date, year, time, measure, price or phone-like."""
    first = doc.words[start]
    if end == start + 1 and _INTEGER.match(first):
        if _YEAR.match(first):
            return True
        left, right = doc.starts[start], doc.ends[start]
        if _PHONE_LEFT.search(doc.text[max(0, left - 2) : left]) or _PHONE_RIGHT.match(doc.text[right : right + 2]):
            return True
    if doc.word(start - 1) in CURRENCY_SIGNS:
        return True
    after = doc.low(end)
    if after in UNITS or (after == "-" and doc.low(end + 1) in UNITS):
        return True
    # a day of a month: "September 30", "July. 4, 2021", "11 September"
    return bool({doc.word(start - 1), doc.word(start - 2), doc.word(end)} & MONTHS)


def _by_last_word(phrases) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by their last word, in their order: `_extend_left` looks only at those that can end
    right before the count."""
    table: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        table.setdefault(phrase[-1], []).append(phrase)
    return table


_PREFIXES_BY_LAST = _by_last_word(MAGNITUDE_PREFIXES)
_BOUNDS_BY_LAST = _by_last_word(COUNT_BOUNDS)


def _extend_left(doc: DocView, start: int, by_last: dict[str, list[tuple[str, ...]]]) -> int:
    """The start of the first phrase (in list order) that ends right before `start`, or start."""
    for phrase in by_last.get(doc.low(start - 1), ()):
        first = start - len(phrase)
        if first >= 0 and doc.match(first, phrase):
            return first
    return start


# the words the count rules fire at besides numbers (registered with every family's in annotator.py)
TRIGGERS = frozenset(NUMBER_WORDS | VAGUE_MAGNITUDES | FRACTIONS | {"one"})
_MAGNITUDE_WORDS = MAGNITUDES | VAGUE_MAGNITUDES


def find_counts(doc: DocView) -> list[Candidate]:
    found: list[Candidate] = []
    covered = 0
    for i in sorted(doc.positions(TRIGGERS) + doc.positions(DIGITS)):
        if i < covered:
            continue
        low = doc.lower[i]
        start, end, score = i, i, 0.0
        if low in VAGUE_MAGNITUDES:
            end, score = i + 1, 0.85
            if doc.low(i + 1) == "of" and doc.low(i + 2) in VAGUE_MAGNITUDES:
                end = i + 3  # "tens of thousands"
        elif low in FRACTIONS and doc.low(i - 1) in ("a", "one") and doc.low(i + 1) == "of":
            # "about a third of the 421 (districts)": the fraction of a counted set
            j = i + 2 + (doc.low(i + 2) == "the")
            number_end = _number_end(doc, j)
            if number_end > j and not _measure_or_date(doc, j, number_end):
                start, end, score = i - 1, number_end, 0.8
        else:
            end = _number_end(doc, i)
            if end > i and _measure_or_date(doc, i, end):
                covered = end
                continue
            score = 0.9 if low[:1].isdigit() else 0.85
        if end <= start:
            continue
        if doc.lower[start] in _MAGNITUDE_WORDS:
            start = _extend_left(doc, start, _PREFIXES_BY_LAST)
        start = _extend_left(doc, start, _BOUNDS_BY_LAST)
        found.append(Candidate(start, end, "COUNT", score))
        covered = end
    return found
