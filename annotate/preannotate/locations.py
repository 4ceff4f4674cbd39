"""LOCATION rules: gazetteer names, directions, place-type suffixes and appositions.

Traps avoided: demonyms are not in the gazetteer ("Afghan soldiers" is an ACTOR), and a place
inside an organisation's name loses to the longer ACTOR span when candidates are resolved.
"""

from __future__ import annotations

from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.resources.gazetteer import STRONG, place_index
from newsgold.annotate.resources.lexicon import DEMONYMS, MONTHS, PRONOUNS_AND_FUNCTION, WEEKDAYS
from newsgold.annotate.resources.placewords import DIRECTIONS, LOCATIVE_PREPOSITIONS, PLACE_SUFFIXES, PLACE_TYPES

_NOT_NAME_WORDS = DEMONYMS | PRONOUNS_AND_FUNCTION | MONTHS | WEEKDAYS
# the context words the location rules fire at (registered with every family's in annotator.py)
TRIGGERS = frozenset(PLACE_SUFFIXES | PLACE_TYPES | {"border", ","})


def _place_context(doc: DocView, start: int, end: int) -> bool:
    """Context that makes a capitalised name a place: "fled to X", "X province", "X, a town"."""
    before = doc.low(start - 1)
    if before == "the":
        before = doc.low(start - 2)
    after = doc.low(end)
    return (
        before in LOCATIVE_PREPOSITIONS
        or before in DIRECTIONS
        or after in PLACE_SUFFIXES
        or (after == "," and doc.low(end + 1) in ("a", "the") and doc.low(end + 2) in PLACE_TYPES | {"capital"})
    )


def _name_word(doc: DocView, i: int) -> bool:
    """A capitalised word that can be part of a place name (not "The", "Afghan", "Monday")."""
    return doc.is_capitalised(i) and doc.words[i] not in _NOT_NAME_WORDS


def _name_start(doc: DocView, last: int, limit: int = 3) -> int:
    """First word of the name ending at `last`: up to `limit` name words."""
    start = last
    while last - start + 1 < limit and start > 0 and _name_word(doc, start - 1):
        start -= 1
    return start


def _capitalised_run(doc: DocView, i: int, limit: int = 3) -> int:
    """End of a run of up to `limit` capitalised words starting at `i` (i itself if none)."""
    j = i
    while j < len(doc) and j - i < limit and doc.is_capitalised(j) and doc.words[j][0].isalpha():
        j += 1
    return j


def find_locations(doc: DocView) -> list[Candidate]:
    index = place_index()
    words = doc.words
    found: list[Candidate] = []
    confirmed: set[tuple[str, ...]] = set()
    weak: list[tuple[int, int, tuple[str, ...]]] = []
    covered = 0
    for i in doc.capitalised:
        entries = index.get(words[i])
        if i < covered or not entries:
            continue
        lengths, names = entries
        for length in lengths:
            sequence = tuple(words[i : i + length])
            tier = names.get(sequence)
            if tier:
                break
        else:
            continue
        start, end = i, i + len(sequence)
        if tier == STRONG or _place_context(doc, start, end):
            confirmed.add(sequence)
            found.append(_extend(doc, start, end, 0.95 if tier == STRONG else 0.85))
        else:
            weak.append((start, end, sequence))
        covered = end
    # One sense per discourse: a weak name confirmed once in the document is a place throughout.
    for start, end, sequence in weak:
        if sequence in confirmed:
            found.append(_extend(doc, start, end, 0.8))
    found += _unknown_places(doc)
    return found


def _extend(doc: DocView, start: int, end: int, score: float) -> Candidate:
    """Add a direction before ("northern Afghanistan") and a place type after ("X province")."""
    if doc.low(start - 1) in DIRECTIONS and not doc.word(start - 1).isupper():
        start -= 1
    if doc.low(end) in PLACE_SUFFIXES:
        end += 1
    return Candidate(start, end, "LOCATION", score)


def _unknown_places(doc: DocView) -> list[Candidate]:
    """Places the gazetteers lack, named by their context: "Nawa district", "the town of X",
    "X, a town in ...", and borders named by a demonym ("the Tajik border")."""
    found = []
    for i in doc.positions(TRIGGERS):
        low = doc.lower[i]
        if low in PLACE_SUFFIXES and _name_word(doc, i - 1):
            found.append(_extend(doc, _name_start(doc, i - 1), i, 0.75))
        elif low in PLACE_TYPES and doc.low(i + 1) == "of" and doc.is_capitalised(i + 2):
            end = _capitalised_run(doc, i + 2)
            if doc.word(i + 2) not in MONTHS | WEEKDAYS:
                found.append(Candidate(i + 2, end, "LOCATION", 0.8))
        elif low == "border" and doc.word(i - 1) in DEMONYMS:
            found.append(Candidate(i - 1, i + 1, "LOCATION", 0.8))
        elif low == "," and doc.low(i + 1) in ("a", "the") and doc.low(i + 2) in PLACE_TYPES | {"capital"}:
            # "Imam Sahib, a town in Kunduz province": the name before the comma is a place
            if _name_word(doc, i - 1):
                found.append(Candidate(_name_start(doc, i - 1), i, "LOCATION", 0.75))
    return found
