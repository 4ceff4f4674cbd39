"""Token features of the baseline tagger.

For every token: the lower-cased word, its shape ("Xxxx", "d,ddd"), prefixes and suffixes of
1–3 characters, case and digit flags, and flags from the pre-annotation lexicons and gazetteers
of `annotate` (strong place name, demonym, organisation, group noun or modifier, action trigger,
number word, person cue); the same word and shape features, and the flags, for the two tokens
either side; the word's clusters (`train.clusters`, learned from unlabelled text at fit time) at
three granularities, its own and those of the token either side. Features are strings; every
one depends on a single word and an offset, which lets the tagger score a document from
per-word-type sums (see `SequenceTagger._emissions`).

With `features="pipeline"` (what `train fit` uses by default) every token also gets what the
language layer (`annotate.language`) says of it in its context (`pipeline_features`): the fine
tag, lemma and dependency label of the pipeline token that stands for it (`Analysis.aligned`:
our tokenizer and the pipeline's differ on hyphenated words, some abbreviations and clitics),
its named-entity type with its position (B- for the first of our tokens in the entity, I- for
the next, O outside), the lemma of its syntactic head; and the tag,
dependency label and entity of the tokens up to PIPELINE_WINDOW either side. These depend on the
whole text, so the tagger adds their weights per token, on top of the per-type sums.
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
from newsgold.train import FEATURES as KINDS  # noqa: F401  (re-exported) `train fit --features`, default first
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
        "p1=" + low[:1],
        "p2=" + low[:2],
        "p3=" + low[:3],
        "s1=" + low[-1:],
        "s2=" + low[-2:],
        "s3=" + low[-3:],
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
    return (
        [f"w{offset}={low}", f"sh{offset}={shape(word)}"]
        + [f"f{offset}={flag}" for flag in _flags(word, low, places)]
        + near
    )


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


# ------------------------------------------------------------------ the language layer's features
PIPELINE_WINDOW = 1  # neighbours whose pipeline attributes are features
# What a token's own features take of `pipeline_attributes`, and what a neighbour's do (how they
# were chosen: docs/decisions.md, "The tagger's pipeline features").
OWN = ("t", "l", "d", "e", "hl")
NEAR = ("t", "d", "e")


def pipeline_attributes(analysis, starts, ends) -> list[dict[str, str]]:
    """For each token `(starts[k], ends[k])` of our tokenization of `analysis.text`, the
    attributes of the pipeline token that stands for it (`Analysis.aligned`): `t` fine tag, `l`
    lower-cased lemma, `d` dependency label, `e` entity (B-/I-TYPE, O), `hl` `ht` `hd` its
    head's lemma, tag and dependency label (a sentence root is its own head). A token no
    pipeline token stands for has `t=<none>` alone. OWN and NEAR choose what become features."""
    aligned = analysis.aligned(starts, ends)
    entity_of = [-1] * len(analysis)
    label_of = {}
    for number, (first, end, label) in enumerate(analysis.entities):
        label_of[number] = label
        for i in range(first, end):
            entity_of[i] = number
    found, previous = [], -1
    for i in aligned:
        if i < 0:
            found.append({"t": "<none>"})
            previous = -1
            continue
        entity = entity_of[i]
        position = "O" if entity < 0 else ("I-" if entity == previous else "B-") + label_of[entity]
        previous = entity
        head = analysis.heads[i]
        found.append(
            {
                "t": analysis.tags[i],
                "l": analysis.lemmas[i].lower(),
                "d": analysis.deps[i],
                "e": position,
                "hl": analysis.lemmas[head].lower(),
                "ht": analysis.tags[head],
                "hd": analysis.deps[head],
            }
        )
    return found


def pipeline_features(attributes: list[dict[str, str]]) -> list[list[str]]:
    """One list of feature strings per token from `pipeline_attributes`: its own attributes,
    then the NEAR ones of its neighbours up to PIPELINE_WINDOW away (`p<offset>:<pad>` beyond the
    document's edge). Every string starts with "p", so none is a plain feature's."""
    n = len(attributes)
    features = []
    for k, own in enumerate(attributes):
        f = [f"p{name}={own[name]}" for name in OWN if name in own]
        for offset in range(-PIPELINE_WINDOW, PIPELINE_WINDOW + 1):
            if not offset:
                continue
            j = k + offset
            if not 0 <= j < n:
                f.append(f"p{offset}:<pad>")
                continue
            near = attributes[j]
            f += [f"p{offset}{name}={near[name]}" for name in NEAR if name in near]
        features.append(f)
    return features


def pipeline_context(texts: list[str], offsets: list, progress=None) -> list[list[list[str]]]:
    """`pipeline_features` of every document: `texts` and, per document, its tokens' `(start,
    end)` offsets; all texts analysed in one call of the language layer (its cache, its worker
    processes). PipelineError (one line) when the pipeline is missing or not the pinned one."""
    from newsgold.annotate.language import language
    from newsgold.annotate.progress import silent

    analyses = language().analyse(texts, progress or silent)
    found = []
    for analysis, pairs in zip(analyses, offsets):
        starts, ends = [s for s, _ in pairs], [e for _, e in pairs]
        found.append(pipeline_features(pipeline_attributes(analysis, starts, ends)))
    return found


def context_for(kind: str, texts: list[str], offsets: list, progress=None) -> list[list[list[str]]] | None:
    """What a tagger of feature kind `kind` needs beside the tokens: the pipeline features of the
    documents, or None for plain features (no pipeline is loaded)."""
    return pipeline_context(texts, offsets, progress) if kind == "pipeline" else None


def features_note(record: dict) -> str:
    """What a card or a report says of the features of a model whose metadata (or report) is
    `record` (its "features" and "pipeline"): "pipeline features of NAME VERSION (IDENTITY)", or
    "plain features (no language pipeline)"."""
    pipeline = record.get("pipeline") if record.get("features") == "pipeline" else None
    if not isinstance(pipeline, dict):
        return "plain features (no language pipeline)"
    return f"pipeline features of {pipeline.get('name')} {pipeline.get('version')} ({pipeline.get('identity')})"
