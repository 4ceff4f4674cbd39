"""Token features of the baseline tagger.

For every token: the lower-cased word, its shape ("Xxxx", "d,ddd"), prefixes and suffixes of
1–3 characters, case and digit flags, and flags from the pre-annotation lexicons and gazetteers
of `annotate` (strong place name, demonym, organisation, group noun or modifier, action trigger,
number word, person cue); the same word and shape features, and the flags, for the two tokens
either side; and whether the token opens a sentence. Features are strings, hashed by the tagger.
"""

from __future__ import annotations

import re

from annotate.preannotate.gazetteer import strong_place_words
from annotate.preannotate.lexicon import (
    ACTION_WORDS,
    DEMONYMS,
    GROUP_HEADS,
    GROUP_MODIFIERS,
    NUMBER_WORDS,
    ORGANISATIONS,
    PERSON_CUES,
    VAGUE_MAGNITUDES,
)

WINDOW = 2
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


def document_features(tokens: list[str], sentence_starts: set[int] | None = None) -> list[list[str]]:
    """One list of feature strings per token."""
    places = strong_place_words()
    lower = [t.lower() for t in tokens]
    shapes = [shape(t) for t in tokens]
    flags = [_flags(t, l, places) for t, l in zip(tokens, lower)]
    n = len(tokens)
    features = []
    for i, (word, low) in enumerate(zip(tokens, lower)):
        f = [
            "b",
            "w=" + low,
            "sh=" + shapes[i],
            "p1=" + low[:1], "p2=" + low[:2], "p3=" + low[:3],
            "s1=" + low[-1:], "s2=" + low[-2:], "s3=" + low[-3:],
        ]
        if word[:1].isupper():
            f.append("title")
        if word.isupper():
            f.append("upper")
        if any(c.isdigit() for c in word):
            f.append("digit")
        if sentence_starts and i in sentence_starts:
            f.append("sent0")
        f += ["f=" + flag for flag in flags[i]]
        for offset in range(-WINDOW, WINDOW + 1):
            if offset == 0:
                continue
            j = i + offset
            if 0 <= j < n:
                f.append(f"w{offset}={lower[j]}")
                f.append(f"sh{offset}={shapes[j]}")
                f += [f"f{offset}={flag}" for flag in flags[j]]
            else:
                f.append(f"w{offset}=<pad>")
        features.append(f)
    return features
