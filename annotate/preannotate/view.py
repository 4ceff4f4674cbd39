"""What every rule family reads: a tokenized document, and the candidate spans they return.

Rules run only at the positions where they can fire (a capitalised word, a number, a lexicon
word), found with set look-ups over the document's vocabulary: most tokens are never visited,
which is what lets the rules keep up with the tokenizer.

With the language layer's `Analysis` of the text (annotate/language.py), a DocView also carries,
for each of its tokens, the pipeline's lemma, fine tag, part of speech, dependency label and head,
and the pipeline's sentences and entities, all as indices into the DocView's own tokens. The token
basis stays newsgold's tokenizer (annotate/tokens.py): the gold's span boundaries fall on its
tokens more often than on the pipeline's (seeds + re3d: 5,128 against 5,114 of 5,172 bounds), the
tagger predicts over them and the merge with a model requires them; offsets are exact on the raw
text either way. Where one of our tokens covers several pipeline tokens ("counter-attacks",
"Da’esh"), it takes the analysis of the one heading the group and the lemma of its last piece
after the surface text before it ("counter-" + "attack").
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, NamedTuple

from newsgold.annotate.tokens import LINE_BREAK, sentence_bounds, token_arrays

if TYPE_CHECKING:
    from newsgold.annotate.analysis import Analysis


# The lower-case words at which some rule may fire: each rule family's TRIGGERS, registered in
# one place, annotator.py (imported with the package, before any DocView is built).
TRIGGER_WORDS: set[str] = set()
DIGITS = frozenset()  # marker for `DocView.positions`: words that start with a digit


def mark(taken: bytearray, c: "Candidate") -> None:
    """Mark the tokens of `c` as taken."""
    taken[c.start : c.end] = b"\x01" * (c.end - c.start)


def overlaps(taken: bytearray, c: "Candidate") -> bool:
    """Whether `c` covers a token already taken."""
    return any(taken[c.start : c.end])


def covered(candidates, size: int | None = None) -> bytearray:
    """The tokens the candidates cover, one byte per token up to `size` (default: the last end)."""
    candidates = list(candidates)
    taken = bytearray(max((c.end for c in candidates), default=0) if size is None else size)
    for c in candidates:
        mark(taken, c)
    return taken


def register_triggers(words) -> frozenset[str]:
    """Add a rule family's trigger words to TRIGGER_WORDS (the call is in annotator.py)."""
    words = frozenset(words)
    TRIGGER_WORDS.update(words)
    return words


class Candidate(NamedTuple):
    start: int  # first token
    end: int  # one past the last token
    label: str
    score: float


class DocView:
    """A document as the rules see it: words, offsets, lower-cased words, sentences."""

    __slots__ = (
        "text",
        "words",
        "starts",
        "ends",
        "lower",
        "sentences",
        "sentence_starts",
        "_sentence_firsts",
        "capitalised",
        "_cap_set",
        "_hot",
        "analysis",
        "lemmas",
        "tags",
        "pos",
        "deps",
        "heads",
        "entities",
        "_children",
    )

    def __init__(self, text: str, analysis: "Analysis | None" = None):
        self.text = text
        self.words, self.starts, self.ends = token_arrays(text)
        self.lower = list(map(str.lower, self.words))
        self.analysis = analysis
        self._children = None
        if analysis is None:
            self.lemmas = self.tags = self.pos = self.deps = self.heads = None
            self.entities = ()
            self.sentences = sentence_bounds(text, self.words, self.starts)
        else:
            if analysis.text != text:
                raise ValueError("the analysis is of another text")
            self._read(analysis)
        self._sentence_firsts = [first for first, _ in self.sentences]
        self.sentence_starts = set(self._sentence_firsts)
        vocabulary = set(self.words)
        self._cap_set = caps = {w for w in vocabulary if w[0].isupper()}
        hot_words = caps.union(w for w in vocabulary if w[0].isdigit() or w.lower() in TRIGGER_WORDS)
        # Every position any rule may fire at; each family then filters this short list.
        self._hot = [i for i, w in enumerate(self.words) if w in hot_words]
        self.capitalised = [i for i in self._hot if self.words[i] in caps]

    def _read(self, a: "Analysis") -> None:
        """The analysis onto our tokens (see the module): one pass over each tokenization."""
        starts, ends = self.starts, self.ends
        at = {s: k for k, s in enumerate(a.starts)}
        # our token i stands for pipeline token p[i]: the same token where both agree
        p = [at.get(s, -1) for s in starts]
        odd = [i for i, (k, e) in enumerate(zip(p, ends)) if k < 0 or a.ends[k] != e]
        if odd:
            for i, k in zip(odd, a.aligned([starts[i] for i in odd], [ends[i] for i in odd])):
                p[i] = k
        lemmas = [a.lemmas[k].lower() if k >= 0 else w for k, w in zip(p, self.lower)]
        for i in odd:  # "counter-attacks": the surface before the last piece + that piece's lemma
            last = bisect_right(a.starts, ends[i] - 1) - 1
            if p[i] >= 0 and a.starts[last] > starts[i]:
                lemmas[i] = self.text[starts[i] : a.starts[last]].lower() + a.lemmas[last].lower()
        self.lemmas = lemmas
        self.tags = [a.tags[k] if k >= 0 else "" for k in p]
        self.pos = [a.pos[k] if k >= 0 else "X" for k in p]
        self.deps = [a.deps[k] if k >= 0 else "" for k in p]
        # the token of ours that holds each pipeline token
        same = not odd and len(a.starts) == len(starts)
        ours = list(range(len(starts))) if same else [max(bisect_right(starts, s) - 1, 0) for s in a.starts]
        self.heads = [ours[a.heads[k]] if k >= 0 else i for i, k in enumerate(p)]
        n = len(starts)

        def first_of(k: int) -> int:
            return max(ours[k], 0) if k < len(ours) else n

        # the pipeline's sentences, also cut at every line break (headlines, datelines)
        firsts = {first_of(first) for first, _ in a.sentences if first_of(first) < n}
        for m in LINE_BREAK.finditer(self.text):
            i = bisect_right(starts, m.start())
            if 0 < i < n:
                firsts.add(i)
        firsts.add(0)
        firsts = sorted(firsts)
        self.sentences = [(f, e) for f, e in zip(firsts, firsts[1:] + [n]) if f < e] if n else []
        self.entities = tuple(
            (first_of(first), ours[end - 1] + 1, label) for first, end, label in a.entities if first_of(first) < n
        )

    @property
    def children(self) -> dict[int, list[int]]:
        """The syntactic dependents of each token that has any (with the layer only)."""
        if self._children is None:
            found: dict[int, list[int]] = {}
            for i, h in enumerate(self.heads or ()):
                if h != i:
                    found.setdefault(h, []).append(i)
            self._children = found
        return self._children

    def lemma_positions(self, lemmas) -> list[int]:
        """Positions whose lemma is in `lemmas` (with the layer only)."""
        hot = set(self.lemmas).intersection(lemmas)
        return [i for i, lemma in enumerate(self.lemmas) if lemma in hot] if hot else []

    def __len__(self) -> int:
        return len(self.words)

    def positions(self, lower_words) -> list[int]:
        """Positions whose lower-cased word is in `lower_words` (a subset of TRIGGER_WORDS),
        or starts with a digit when `lower_words` is DIGITS."""
        lower = self.lower
        if lower_words is DIGITS:
            return [i for i in self._hot if lower[i][0].isdigit()]
        return [i for i in self._hot if lower[i] in lower_words]

    def breaks_within(self, c: "Candidate") -> list[int]:
        """The tokens of `c` (after its first) that a line break precedes: no gold span crosses a
        line (a headline, a dateline and the text under them are separate spans)."""
        text, starts, ends = self.text, self.starts, self.ends
        return [k for k in range(c.start + 1, c.end) if LINE_BREAK.search(text, ends[k - 1], starts[k])]

    def within_lines(self, candidates: list["Candidate"], cut: bool = True) -> list["Candidate"]:
        """`candidates` with none crossing a line break: each one that does is cut there into
        pieces of its label and score (`cut`), or left out (so that rules proposing other
        candidates over the same words get their place)."""
        found = []
        for c in candidates:
            breaks = self.breaks_within(c)
            if not breaks:
                found.append(c)
            elif cut:
                bounds = [c.start, *breaks, c.end]
                found += [c._replace(start=a, end=b) for a, b in zip(bounds, bounds[1:])]
        return found

    def sentence_of(self, i: int) -> int:
        return bisect_right(self._sentence_firsts, i) - 1

    def word(self, i: int) -> str:
        """The word at `i`, or "" outside the document."""
        return self.words[i] if 0 <= i < len(self.words) else ""

    def low(self, i: int) -> str:
        return self.lower[i] if 0 <= i < len(self.lower) else ""

    def match(self, i: int, sequence: tuple[str, ...], lower: bool = True) -> bool:
        """Whether the words from `i` on are `sequence`."""
        words = self.lower if lower else self.words
        return tuple(words[i : i + len(sequence)]) == sequence

    def is_capitalised(self, i: int) -> bool:
        return 0 <= i < len(self.words) and self.words[i] in self._cap_set
