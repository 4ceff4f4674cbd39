"""Spans (character offsets, end exclusive) and IOB2 tags, as small pure functions.

Character offsets are the truth; tags are derived from them against a tokenization. A span
whose edges fall inside a token cannot be expressed in tags: it is reported back to the caller,
never shifted to the nearest token and never dropped silently.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

from newsgold.annotate.errors import OverlappingSpansError, SpanError


class Span(NamedTuple):
    """A labelled stretch of a document. A NamedTuple rather than a frozen dataclass: the
    pre-annotator builds hundreds per document, and tuples are three times cheaper to make."""

    start: int
    end: int
    label: str
    text: str
    score: float | None = None
    id: str | None = None

    def to_dict(self) -> dict:
        """The span as JSONL documents and dataset rows carry it: `id` (when set), `start`, `end`,
        `label`, `text`, and `score` (when set)."""
        data = {} if self.id is None else {"id": self.id}
        data.update(start=self.start, end=self.end, label=self.label, text=self.text)
        if self.score is not None:
            data["score"] = self.score
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Span":
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            label=str(data["label"]),
            text=str(data["text"]),
            score=None if data.get("score") is None else float(data["score"]),
            id=None if data.get("id") is None else str(data["id"]),
        )


@dataclass(frozen=True)
class Relation:
    head: str  # span id
    tail: str  # span id
    label: str
    score: float | None = None

    def to_dict(self) -> dict:
        data = {"head": self.head, "tail": self.tail, "label": self.label}
        if self.score is not None:
            data["score"] = self.score
        return data


@dataclass(frozen=True)
class Alignment:
    """IOB2 tags for the aligned spans, and the spans that could not be aligned."""

    tags: list[str]
    misaligned: list[Span]


def iob_tags(labels: Iterable[str]) -> list[str]:
    """The IOB2 tags of `labels`: `O`, then `B-` and `I-` of each label in order."""
    return ["O"] + [f"{prefix}-{label}" for label in labels for prefix in "BI"]


def check_spans(text: str, spans: Iterable[Span], item: str = "document") -> list[Span]:
    """Validate spans against `text`; return them sorted by offset.

    Raises SpanError for an empty or out-of-range span or one whose `text` disagrees with the
    document, and OverlappingSpansError when two spans share a character.
    """
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for span in ordered:
        if not 0 <= span.start < span.end <= len(text):
            raise SpanError(
                f"{item}: span {span.label} [{span.start}, {span.end}) is empty or outside the "
                f"text (length {len(text)}); fix its offsets"
            )
        if text[span.start : span.end] != span.text:
            raise SpanError(
                f"{item}: span {span.label} [{span.start}, {span.end}) says {span.text!r} but the "
                f"text there is {text[span.start:span.end]!r}; fix the offsets or the span text"
            )
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            raise OverlappingSpansError(
                f"{item}: spans {before.label} {before.text!r} [{before.start}, {before.end}) and "
                f"{after.label} {after.text!r} [{after.start}, {after.end}) overlap; the schema "
                "allows one label per character, keep one of them"
            )
    return ordered


def offsets_to_iob(
    text: str, token_starts: Sequence[int], token_ends: Sequence[int], spans: Iterable[Span], item: str = "document"
) -> Alignment:
    """IOB2 tags for the tokens given by their start and end offsets; spans whose edges are not
    token edges are returned as misaligned, never shifted."""
    ordered = check_spans(text, spans, item)
    n = len(token_starts)
    tags = ["O"] * n
    misaligned: list[Span] = []
    for span in ordered:  # token offsets ascend: find each span's edges by bisection
        first = bisect_left(token_starts, span.start)
        last = bisect_left(token_ends, span.end)
        if first == n or last == n or token_starts[first] != span.start or token_ends[last] != span.end:
            misaligned.append(span)
            continue
        tags[first] = "B-" + span.label
        tags[first + 1 : last + 1] = ["I-" + span.label] * (last - first)
    return Alignment(tags, misaligned)
