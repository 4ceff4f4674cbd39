"""What every rule family reads: a tokenized document, and the candidate spans they return.

Rules run only at the positions where they can fire (a capitalised word, a number, a lexicon
word), found with set look-ups over the document's vocabulary: most tokens are never visited,
which is what lets the rules keep up with the tokenizer.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

from newsgold.annotate.tokens import sentence_bounds, token_arrays


# The lower-case words at which some rule may fire; rule modules register theirs at import.
TRIGGER_WORDS: set[str] = set()
DIGITS = frozenset()  # marker for `DocView.positions`: words that start with a digit


def register_triggers(words) -> frozenset[str]:
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
        "text", "words", "starts", "ends", "lower", "sentences", "sentence_starts",
        "_sentence_firsts", "capitalised", "_cap_set", "_hot",
    )

    def __init__(self, text: str):
        self.text = text
        self.words, self.starts, self.ends = token_arrays(text)
        self.lower = list(map(str.lower, self.words))
        self.sentences = sentence_bounds(text, self.words, self.starts)
        self._sentence_firsts = [first for first, _ in self.sentences]
        self.sentence_starts = set(self._sentence_firsts)
        vocabulary = set(self.words)
        self._cap_set = caps = {w for w in vocabulary if w[0].isupper()}
        hot_words = caps.union(
            w for w in vocabulary if w[0].isdigit() or w.lower() in TRIGGER_WORDS
        )
        # Every position any rule may fire at; each family then filters this short list.
        self._hot = [i for i, w in enumerate(self.words) if w in hot_words]
        self.capitalised = [i for i in self._hot if self.words[i] in caps]

    def __len__(self) -> int:
        return len(self.words)

    def positions(self, lower_words) -> list[int]:
        """Positions whose lower-cased word is in `lower_words` (a subset of TRIGGER_WORDS),
        or starts with a digit when `lower_words` is DIGITS."""
        lower = self.lower
        if lower_words is DIGITS:
            return [i for i in self._hot if lower[i][0].isdigit()]
        return [i for i in self._hot if lower[i] in lower_words]

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
