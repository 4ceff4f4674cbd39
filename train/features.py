"""Token features of the baseline tagger.

For every token: the lower-cased word, its shape ("Xxxx", "d,ddd"), prefixes and suffixes of
1–3 characters, case and digit flags, and flags from the pre-annotation lexicons and gazetteers
of `annotate` (strong place name, demonym, organisation, group noun or modifier, action trigger,
number word, person cue); the same word and shape features, and the flags, for the two tokens
either side; the word's clusters (`train.clusters`, learned from unlabelled text at fit time) at
three granularities, its own and those of the token either side. Features are strings; every
one depends on a single word and an offset, which lets the tagger score a document from
per-word-type sums (see `SequenceTagger._emissions`).
"""

from __future__ import annotations

import re

from newsgold.annotate.resources.gazetteer import strong_place_words
from newsgold.annotate.resources.lexicon import (
    ACTION_WORDS,
    DEMONYMS,
    GROUP_HEADS,
    GROUP_MODIFIERS,
    NUMBER_WORDS,
    ORGANISATIONS,
    PERSON_CUES,
    VAGUE_MAGNITUDES,
)
from newsgold.train.clusters import GRANULARITIES

WINDOW = 2
CLUSTER_WINDOW = 1  # neighbours whose clusters are features
_ORG_WORDS = frozenset(w for name in ORGANISATIONS for w in name.split())
_SHAPE = [(re.compile(r"[A-Z]+"), "X"), (re.compile(r"[a-z]+"), "x"), (re.compile(r"[0-9]+"), "d")]


def shape(word: str) -> str:
    for pattern, symbol in _SHAPE:
        word = pattern.sub(symbol, word)
    return word[:6]


def _flags(word: str, lower: str, places) -> list[str]:
    flags = []
    if word in places:
        flags.append("place")
    if word in DEMONYMS:
        flags.append("demonym")
    if word in _ORG_WORDS:
        flags.append("org")
    if lower in GROUP_HEADS:
        flags.append("head")
    if lower in GROUP_MODIFIERS:
        flags.append("mod")
    if lower in ACTION_WORDS:
        flags.append("action")
    if lower in NUMBER_WORDS or lower in VAGUE_MAGNITUDES or lower[:1].isdigit():
        flags.append("number")
    if word in PERSON_CUES:
        flags.append("cue")
    return flags


def _clusters(low: str, clusters, prefix: str) -> list[str]:
    ids = clusters.get(low) if clusters else None
    return [f"{prefix}c{k}={c}" for k, c in zip(GRANULARITIES, ids.split())] if ids else []


def word_features(word: str, places=None, clusters=None) -> list[str]:
    """The features of a token that depend on its own word only (`clusters`: lower-cased word ->
    cluster ids, as `train.clusters.learn_clusters` returns; None or empty: no cluster features)."""
    places = strong_place_words() if places is None else places
    low = word.lower()
    f = [
        "b",
        "w=" + low,
        "sh=" + shape(word),
        "p1=" + low[:1], "p2=" + low[:2], "p3=" + low[:3],
        "s1=" + low[-1:], "s2=" + low[-2:], "s3=" + low[-3:],
    ]
    if word[:1].isupper():
        f.append("title")
    if word.isupper():
        f.append("upper")
    if any(c.isdigit() for c in word):
        f.append("digit")
    f += ["f=" + flag for flag in _flags(word, low, places)]
    return f + _clusters(low, clusters, "")


def context_features(word: str | None, offset: int, places=None, clusters=None) -> list[str]:
    """What a neighbour `offset` tokens away contributes (None: beyond the document's edge)."""
    if word is None:
        return [f"w{offset}=<pad>"]
    places = strong_place_words() if places is None else places
    low = word.lower()
    near = _clusters(low, clusters, f"{offset}") if abs(offset) <= CLUSTER_WINDOW else []
    return [f"w{offset}={low}", f"sh{offset}={shape(word)}"] + [
        f"f{offset}={flag}" for flag in _flags(word, low, places)
    ] + near


OFFSETS = [o for o in range(-WINDOW, WINDOW + 1) if o]


def document_features(tokens: list[str], clusters=None) -> list[list[str]]:
    """One list of feature strings per token: its own word features, then its neighbours'."""
    places = strong_place_words()
    own = {w: word_features(w, places, clusters) for w in set(tokens)}
    near = {(w, o): context_features(w, o, places, clusters) for w in set(tokens) for o in OFFSETS}
    n = len(tokens)
    features = []
    for i, word in enumerate(tokens):
        f = list(own[word])
        for o in OFFSETS:
            j = i + o
            f += near[(tokens[j], o)] if 0 <= j < n else context_features(None, o)
        features.append(f)
    return features
