"""What the language layer gives a text (`Analysis`: tokens with raw-text offsets, lemma, tag,
POS, dependency, sentences, entities), read off a spaCy Doc; long texts parsed in pieces cut at
paragraph, line, sentence or space boundaries and joined back with their offsets."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

import orjson

PIECE_CHARS = 100_000  # longer texts are parsed in pieces of at most this many characters

# Invisible format characters (Unicode category Cf: the left-to-right mark U+200E that pasted news
# carries after names and full stops, zero-width spaces and joiners, the byte-order mark, soft
# hyphens); the pipeline's tokenizer glues them to the words beside them ("operation.\u200e" one
# token, its lemma and part of speech wrong, the sentence not ended).
_FORMAT_CHARS = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def parsed_text(text: str) -> str:
    """What the pipeline parses of `text`: its format characters as spaces, one for one, so every
    offset into it is an offset into `text` (and the spaces are whitespace tokens, left out)."""
    return _FORMAT_CHARS.sub(" ", text)


def head_of(heads: Sequence[int], start: int, end: int) -> int:
    """The token of [start, end) whose syntactic head (`heads[i]`) lies outside it, the rightmost
    when several do (English heads come last); the last token when none does."""
    for i in range(end - 1, start - 1, -1):
        if not start <= heads[i] < end or heads[i] == i:
            return i
    return end - 1


@dataclass(frozen=True, slots=True)
class Analysis:
    """One analysed text. Tokens are the pipeline's, whitespace tokens left out; `starts`/`ends`
    index the raw text (`text[starts[i]:ends[i]]` is token i). `heads[i]` is the index of token
    i's syntactic head (itself for a sentence root); `sentences` and `entities` are token ranges
    `(first, end)` (end exclusive), entities with their pipeline label."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    lemmas: tuple[str, ...]
    tags: tuple[str, ...]
    pos: tuple[str, ...]
    deps: tuple[str, ...]
    heads: tuple[int, ...]
    sentences: tuple[tuple[int, int], ...]
    entities: tuple[tuple[int, int, str], ...]

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def words(self) -> list[str]:
        return [self.text[s:e] for s, e in zip(self.starts, self.ends)]

    def token_at(self, offset: int) -> int:
        """The token holding character `offset`, else the last one starting before it (-1: none)."""
        return bisect_right(self.starts, offset) - 1

    def aligned(self, starts: Sequence[int], ends: Sequence[int]) -> list[int]:
        """For each token `(starts[k], ends[k])` of another tokenization of the same text, the
        pipeline token that stands for it: among the pipeline tokens it overlaps, the one whose
        head lies outside them (the syntactic head of the group), else its last; -1 when it
        overlaps none."""
        found = []
        for start, end in zip(starts, ends):
            first = max(self.token_at(start), 0)
            if first >= len(self.starts) or self.ends[first] <= start:
                first += 1
            last = bisect_right(self.starts, end - 1) - 1
            if first > last or first >= len(self.starts):
                found.append(-1)
                continue
            found.append(head_of(self.heads, first, last + 1))
        return found

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            [
                self.starts,
                self.ends,
                self.lemmas,
                self.tags,
                self.pos,
                self.deps,
                self.heads,
                self.sentences,
                self.entities,
            ]
        )

    @classmethod
    def from_bytes(cls, text: str, data: bytes) -> "Analysis":
        s, e, lemmas, tags, pos, deps, heads, sents, ents = orjson.loads(data)
        return cls(
            text,
            tuple(s),
            tuple(e),
            tuple(lemmas),
            tuple(tags),
            tuple(pos),
            tuple(deps),
            tuple(heads),
            tuple(map(tuple, sents)),
            tuple(map(tuple, ents)),
        )


def _from_doc(doc, text: str, shift: int = 0) -> Analysis:
    """The Analysis of a spaCy Doc over `text`, its offsets shifted by `shift`."""
    keep = [t.i for t in doc if not t.is_space]
    new = {old: k for k, old in enumerate(keep)}
    heads = []
    for old in keep:
        head = doc[old].head
        while head.is_space and head.head.i != head.i:
            head = head.head
        heads.append(new.get(head.i, new[old]))
    sentences = []
    for sent in doc.sents:
        inside = [new[t.i] for t in sent if t.i in new]
        if inside:
            sentences.append((inside[0], inside[-1] + 1))
    entities = []
    for ent in doc.ents:
        inside = [new[t.i] for t in ent if t.i in new]
        if inside:
            entities.append((inside[0], inside[-1] + 1, ent.label_))
    tokens = [doc[i] for i in keep]
    return Analysis(
        text,
        tuple(t.idx + shift for t in tokens),
        tuple(t.idx + len(t.text) + shift for t in tokens),
        tuple(t.lemma_ for t in tokens),
        tuple(t.tag_ for t in tokens),
        tuple(t.pos_ for t in tokens),
        tuple(t.dep_ for t in tokens),
        tuple(heads),
        tuple(sentences),
        tuple(entities),
    )


def _joined(text: str, parts: list[Analysis]) -> Analysis:
    """One Analysis of `text` from the analyses of its consecutive pieces (offsets already
    shifted): token indices of each piece move by the tokens before it."""
    fields: dict[str, list] = {
        k: [] for k in ("starts", "ends", "lemmas", "tags", "pos", "deps", "heads", "sentences", "entities")
    }
    before = 0
    for part in parts:
        for name in ("starts", "ends", "lemmas", "tags", "pos", "deps"):
            fields[name] += getattr(part, name)
        fields["heads"] += [h + before for h in part.heads]
        fields["sentences"] += [(a + before, b + before) for a, b in part.sentences]
        fields["entities"] += [(a + before, b + before, label) for a, b, label in part.entities]
        before += len(part)
    return Analysis(text, **{k: tuple(v) for k, v in fields.items()})


_BOUNDS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?]\s"), re.compile(r"\s"))


def pieces(text: str, limit: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """`(start, end)` character ranges covering `text`, each at most `limit` long, cut at the last
    paragraph break before the limit, else the last line break, sentence end or space, else hard."""
    found, start = [], 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = 0
        for bound in _BOUNDS:
            ends = [m.end() for m in bound.finditer(window)]
            if ends and ends[-1] > limit // 4:
                cut = ends[-1]
                break
        cut = cut or limit
        found.append((start, start + cut))
        start += cut
    found.append((start, len(text)))
    return found
