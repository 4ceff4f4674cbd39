"""Spans (character offsets, end exclusive) and IOB2 tags, as small pure functions.

Character offsets are the truth; tags are derived from them against a tokenization. A span
whose edges fall inside a token cannot be expressed in tags: it is reported back to the caller,
never shifted to the nearest token and never dropped silently.

Relations are checked here too, by the one relation validator every reader of gold and of
predictions goes through (`relation_faults`): a relation is possible only between two different
spans of its document whose labels are the ones its type joins in the schema
(`Schema.relation_ends`).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple, Sequence

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


RelationEnds = Mapping[str, tuple[str, str]]  # relation type -> labels of the spans it joins (from, to)
# the kinds of relation faults, as problems.jsonl lists them
RELATION_FAULTS = ("unknown-relation", "broken-relation", "self-relation", "mislabelled-relation")


class RelationFault(NamedTuple):
    """Why a relation cannot hold: its `kind` (one of RELATION_FAULTS) and what is wrong."""

    relation: Relation
    kind: str
    detail: str

    @property
    def message(self) -> str:
        r = self.relation
        return f"relation {r.label!r} {r.head} → {r.tail}: {self.detail}"


def span_labels(spans: Iterable) -> dict[str, str | None]:
    """Span id -> label, for spans (`Span`s or their dicts) that have an id; None for an id that
    several spans share (a relation to it could mean either)."""
    labels: dict[str, str | None] = {}
    for span in spans:
        if isinstance(span, dict):
            sid, label = span.get("id"), span.get("label")
        elif isinstance(span, Span):
            sid, label = span.id, span.label
        else:  # not a span: nothing can point at it
            continue
        if sid is not None and isinstance(sid, (str, int)):
            sid = str(sid)
            labels[sid] = None if sid in labels else label
    return labels


def relation_fault(
    relation: Relation, labels: Mapping[str, str | None], types: RelationEnds | None
) -> RelationFault | None:
    """Why `relation` is structurally impossible among spans whose labels by id are `labels`
    (`span_labels`), with `types` the schema's relation types (None: types not checked), or None
    when it is possible: its type is the schema's, both ends are spans of the document (one span
    each), they are two spans, and their labels are the ones its type joins."""
    head, tail, label = relation.head, relation.tail, relation.label

    def fault(kind: str, detail: str) -> RelationFault:
        return RelationFault(relation, kind, detail)

    if types is not None and label not in types:
        known = ", ".join(f"{name} ({a} → {b})" for name, (a, b) in types.items()) or "none"
        return fault("unknown-relation", f"type {label!r} is not a relation type of the schema ({known})")
    missing = [end for end in dict.fromkeys((head, tail)) if end not in labels]
    if missing:
        named = " and ".join(map(repr, missing))
        return fault(
            "broken-relation",
            f"{named} {'is not the id of a span' if len(missing) == 1 else 'are not ids of spans'} "
            "of the document (missing, or itself left out as a problem)",
        )
    shared = [end for end in dict.fromkeys((head, tail)) if labels[end] is None]
    if shared:
        return fault(
            "broken-relation", f"{' and '.join(map(repr, shared))} names several spans; give each span its own id"
        )
    if head == tail:
        return fault("self-relation", f"head and tail are the same span {head!r}; a relation joins two spans")
    if types is not None:
        ends, found = types[label], (labels[head], labels[tail])
        if found != tuple(ends):
            turned = " (drawn the wrong way round?)" if found == tuple(ends)[::-1] else ""
            return fault(
                "mislabelled-relation",
                f"{label} joins {ends[0]} → {ends[1]}, but {head} is {found[0]} and {tail} is {found[1]}{turned}",
            )
    return None


def relation_faults(
    relations: Iterable[Relation], labels: Mapping[str, str | None], types: RelationEnds | None
) -> tuple[list[Relation], list[RelationFault]]:
    """The relations that are possible (`relation_fault`) and the faults of the others."""
    kept, faults = [], []
    for relation in relations:
        found = relation_fault(relation, labels, types)
        if found is None:
            kept.append(relation)
        else:
            faults.append(found)
    return kept, faults


def relation_from_dict(data, item: str) -> Relation:
    """A relation of a JSONL document (`head`, `tail`, `label`); a SpanError naming `item` when
    it is not of that shape."""
    fields = data if isinstance(data, dict) else {}
    head, tail, label = (fields.get(key) for key in ("head", "tail", "label"))
    if not (
        all(isinstance(end, (str, int)) and not isinstance(end, bool) for end in (head, tail))
        and isinstance(label, str)
    ):
        raise SpanError(
            f'{item}: relation {str(data)[:120]} is not an object with a "head" and a "tail" '
            '(span ids) and a "label" (a relation type); fix or remove it'
        )
    return Relation(str(head), str(tail), label)


def refuse_bad_relations(raw_relations, spans: Iterable, types: RelationEnds | None, item: str) -> list[Relation]:
    """The relations of a predictions record (raw JSON) between its `spans`, or a SpanError
    naming `item` and the first relation that is not of the right shape or cannot hold
    (`relation_fault`): predictions are refused whole, never stored with a bad relation."""
    if raw_relations is None:
        return []
    if not isinstance(raw_relations, list):
        raise SpanError(f'{item}: "relations" is {type(raw_relations).__name__}, not a list; fix the record')
    relations = [relation_from_dict(raw, item) for raw in raw_relations]
    kept, faults = relation_faults(relations, span_labels(spans), types)
    if faults:
        raise SpanError(f"{item}: {faults[0].message}; fix or remove the relation")
    return kept


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
                f"text there is {text[span.start : span.end]!r}; fix the offsets or the span text"
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
