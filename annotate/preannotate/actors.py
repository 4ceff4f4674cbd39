"""ACTOR rules: named organisations, capitalised organisation names, group nouns with the
modifiers that say who they are ("Afghan government troops", "U.S. and NATO troops"), and named
people introduced by a role or a reporting verb ("spokesman Zabihullah Mujahid", "said Atta Noori").
"""

from __future__ import annotations

from bisect import bisect_left

from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.resources.gazetteer import place_index, strong_place_words
from newsgold.annotate.resources.lexicon import (
    DEMONYMS,
    GROUP_HEADS,
    GROUP_HEADS_ALONE,
    GROUP_MODIFIERS,
    MONTHS,
    ORGANISATION_CONNECTORS,
    ORGANISATION_HEADS,
    ORGANISATIONS,
    PERSON_CUES,
    PRONOUNS_AND_FUNCTION,
    WEEKDAYS,
)
from newsgold.annotate.resources.placewords import COUNTRY_ABBREVIATIONS, PLACE_TYPES
from newsgold.annotate.tokens import tokenize

_ORGS_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _name in ORGANISATIONS:
    _words = tuple(t.text for t in tokenize(_name))
    _ORGS_BY_FIRST.setdefault(_words[0], []).append(_words)
for _list in _ORGS_BY_FIRST.values():
    _list.sort(key=len, reverse=True)

_NOT_PERSON = PRONOUNS_AND_FUNCTION | MONTHS | WEEKDAYS | DEMONYMS | ORGANISATION_HEADS | PERSON_CUES


def _org_at(doc: DocView, i: int) -> int:
    """End of a named organisation at `i`, or i."""
    for name in _ORGS_BY_FIRST.get(doc.words[i], ()):
        if doc.match(i, name, lower=False):
            return i + len(name)
    return i


def _modifier_kind(doc: DocView, i: int) -> str | None:
    """How the word at `i` can sit in a group mention: 'org', 'mod' (a modifier), or None."""
    if i >= len(doc.words):
        return None
    word, low = doc.words[i], doc.lower[i]
    if _org_at(doc, i) > i:
        return "org"
    if word in DEMONYMS or word in COUNTRY_ABBREVIATIONS:
        return "mod"
    if low in GROUP_MODIFIERS or low in GROUP_HEADS:
        # lower-case, or capitalised at the start of a sentence or inside a headline
        return "mod" if word == low or i in doc.sentence_starts else None
    return None


def _group_mention(doc: DocView, i: int) -> Candidate | None:
    """A group noun with its modifiers starting at `i`; coordination of modifiers allowed
    ("Afghan army, police and intelligence soldiers"), but not after an organisation name
    ("Taliban and security forces" are two mentions)."""
    j, last_head, previous = i, None, None
    n = len(doc.words)
    while j < n:
        kind = _modifier_kind(doc, j)
        if kind == "org":
            j = _org_at(doc, j)
            if doc.low(j) == "of" and doc.word(j + 1) in strong_place_words():
                j += 2  # "Jamiat-e-Islami of Afghanistan"
            previous = "org"
            last_head = j  # an organisation name is a complete mention
            continue
        if kind == "mod":
            if doc.lower[j] in GROUP_HEADS:
                last_head = j + 1
            previous = "mod"
            j += 1
            continue
        if doc.lower[j] in (",", "and") and previous == "mod" and _modifier_kind(doc, j + 1):
            j += 1
            previous = "conj"
            continue
        break
    if last_head is None:
        return None
    if last_head == i + 1 and doc.lower[i] in GROUP_HEADS and doc.lower[i] not in GROUP_HEADS_ALONE:
        return None  # "fighter", "army", "council" need a modifier
    return Candidate(i, last_head, "ACTOR", 0.9 if _org_at(doc, i) > i else 0.85)


_ORG_NAME_REACH = 8  # words from the start of an organisation name to its head word


def _organisation_name(doc: DocView, i: int, org_heads: list[int]) -> Candidate | None:
    """A capitalised name ending in an organisation word: "State Committee for National
    Security", "Afghan Interior Ministry", with a possessive place before it when there is one
    ("Tajikistan’s State Committee ...")."""
    if not doc.is_capitalised(i) or doc.words[i] in PRONOUNS_AND_FUNCTION:
        return None
    nearest = bisect_left(org_heads, i)  # no head word close ahead: no organisation name here
    if nearest == len(org_heads) or org_heads[nearest] > i + _ORG_NAME_REACH:
        return None
    j, has_head, end = i, False, None
    n = len(doc.words)
    while j < n:
        word = doc.words[j]
        if doc.is_capitalised(j) and word[0].isalpha():
            if word in ORGANISATION_HEADS:
                has_head = True
            j += 1
            if has_head:
                end = j
        elif word in ORGANISATION_CONNECTORS and doc.is_capitalised(j + 1) and j > i:
            j += 1
        else:
            break
    if end is None or end - i < 2:
        return None
    start = i
    if doc.low(i - 1) in ("’s", "'s") and doc.word(i - 2) in place_index():
        start = i - 2
    return Candidate(start, end, "ACTOR", 0.85)


def _name_word(doc: DocView, i: int) -> bool:
    return doc.is_capitalised(i) and doc.words[i][0].isalpha() and doc.words[i] not in _NOT_PERSON


def _person(doc: DocView, i: int) -> Candidate | None:
    """A person's name (1–3 capitalised words) introduced by a role or a reporting verb."""
    if not _name_word(doc, i) or _name_word(doc, i - 1):
        return None  # not a name, or inside one that started earlier
    j = i + 1
    while j - i < 3 and _name_word(doc, j):
        j += 1
    cue_before = doc.word(i - 1) in PERSON_CUES or (doc.word(i - 1) in ("”", '"') and doc.low(i - 2) == "said")
    said_after = doc.low(j) == "said" and (j - i >= 2 or doc.word(i - 1) in (",", "”", '"'))
    appositive = (
        j - i >= 2
        and doc.low(j) == ","
        and (
            (doc.low(j + 1) in ("a", "an", "the") and doc.low(j + 2) not in PLACE_TYPES | {"capital"})
            or doc.low(j + 2) in ("’s", "'s")  # "Hamdullah Mohib, Afghanistan’s adviser"
        )
    )
    if not (cue_before or said_after or appositive):
        return None
    places = strong_place_words()
    if any(doc.words[k] in places or _org_at(doc, k) > k for k in range(i, j)):
        return None
    return Candidate(i, j, "ACTOR", 0.75)


# the lower-case words the actor rules fire at (registered with every family's in annotator.py)
TRIGGERS = frozenset(
    GROUP_MODIFIERS
    | GROUP_HEADS
    | {w.lower() for w in DEMONYMS | COUNTRY_ABBREVIATIONS}
    | {first.lower() for first in _ORGS_BY_FIRST}
)


_PERSON_MARKS = frozenset({"said", ","})  # one of these follows a name within 3 words ...
_PERSON_BEFORE = PERSON_CUES | {"”", '"'}  # ... or one of these comes right before it (_person)


def find_actors(doc: DocView) -> list[Candidate]:
    found = []
    covered = 0
    org_heads = [k for k in doc.capitalised if doc.words[k] in ORGANISATION_HEADS]
    capitalised = set(doc.capitalised)
    group_words = set(doc.positions(TRIGGERS))
    words, lower = doc.words, doc.lower
    for i in sorted(capitalised | group_words):
        if i < covered:
            continue
        candidate = None
        if i in capitalised:
            candidate = _organisation_name(doc, i, org_heads)
        if candidate is None and i in group_words:
            candidate = _group_mention(doc, i)
        if (
            candidate is None
            and i in capitalised
            # a cheap necessary condition of _person's cues, which most capitalised words fail
            and (not _PERSON_MARKS.isdisjoint(lower[i + 1 : i + 4]) or (i and words[i - 1] in _PERSON_BEFORE))
        ):
            candidate = _person(doc, i)
        if candidate:
            found.append(candidate)
            covered = candidate.end
    return found
