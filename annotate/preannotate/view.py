"""What every rule family reads: a tokenized document, and the candidate spans they return."""

from __future__ import annotations

from typing import NamedTuple

from annotate.tokens import Token, sentence_spans, tokenize


class Candidate(NamedTuple):
    start: int  # first token
    end: int  # one past the last token
    label: str
    score: float


class DocView:
    """A document as the rules see it: tokens, their words, lower-cased words, sentences."""

    __slots__ = ("text", "tokens", "words", "lower", "sentence_of", "sentence_starts", "sentences")

    def __init__(self, text: str, tokens: list[Token] | None = None):
        self.text = text
        self.tokens = tokens if tokens is not None else tokenize(text)
        self.words = [t.text for t in self.tokens]
        self.lower = [w.lower() for w in self.words]
        self.sentences = sentence_spans(text, self.tokens)
        self.sentence_of = [0] * len(self.tokens)
        self.sentence_starts = set()
        for number, (first, last) in enumerate(self.sentences):
            self.sentence_starts.add(first)
            for i in range(first, last):
                self.sentence_of[i] = number

    def __len__(self) -> int:
        return len(self.tokens)

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
        w = self.word(i)
        return bool(w) and w[0].isupper()
