"""The human truth of one Label Studio task: which annotation (or which spans) counts as gold.

Predictions are never gold; cancelled (skipped) annotations are ignored; a ground-truth
annotation wins; with several annotators an explicit policy decides: `latest` (the most recently
updated annotation) or `majority` (spans drawn exactly by more than half of them; ties reported,
not kept).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from newsgold.annotate.lsformat import (
    NEWSGOLD_CONFIG,
    LabelingConfig,
    Problem,
    annotator_name,
    from_ls_result,
    usable_annotations,
)
from newsgold.annotate.spans import Relation, Span

POLICIES = ("latest", "majority")


@dataclass(frozen=True)
class Resolved:
    """The human truth for one document, after applying the resolution policy."""

    spans: list[Span]
    relations: list[Relation]
    annotators: list[str]
    how: str  # ground_truth | single | latest | majority | gold
    problems: list[Problem] = field(default_factory=list)
    candidates: int = 1  # how many usable annotations the document had


def resolve_annotations(text: str, annotations: list[dict], policy: str, users: dict[int, str],
                        config: LabelingConfig = NEWSGOLD_CONFIG) -> Resolved | None:
    """Pick the human truth of one task, its regions read as `config` says; None when it has
    no usable annotation."""
    usable = usable_annotations(annotations)
    if not usable:
        return None
    ground_truth = [a for a in usable if a.get("ground_truth")]
    chosen_from = ground_truth or usable
    latest = max(chosen_from, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id") or 0))
    if ground_truth or len(usable) == 1 or policy == "latest":
        spans, relations, problems = from_ls_result(text, latest.get("result") or [], config)
        how = "ground_truth" if ground_truth else ("single" if len(usable) == 1 else "latest")
        return Resolved(spans, relations, [annotator_name(latest, users)], how, problems, len(usable))
    return _majority(text, usable, users, config)


def _majority(text: str, usable: list[dict], users: dict[int, str], config: LabelingConfig) -> Resolved:
    """A span stays when more than half of the annotators drew it exactly; so does a relation
    between two kept spans."""
    parsed = [from_ls_result(text, a.get("result") or [], config) for a in usable]
    votes: Counter = Counter()
    relation_votes: Counter = Counter()
    for spans, relations, _ in parsed:
        keys = {s.id: (s.start, s.end, s.label) for s in spans}
        votes.update(set(keys.values()))
        relation_votes.update(
            {(keys[r.head], keys[r.tail], r.label) for r in relations if r.head in keys and r.tail in keys}
        )
    need = len(usable) / 2
    kept = sorted(k for k, n in votes.items() if n > need)
    problems = [p for _, _, found in parsed for p in found]
    problems += [
        Problem("tie", {"start": k[0], "end": k[1], "label": k[2], "text": text[k[0]:k[1]]},
                f"{n} of {len(usable)} annotators; not kept")
        for k, n in sorted(votes.items()) if n == need  # sorted: set order varies with the hash seed
    ]
    ids = {k: f"m{i}" for i, k in enumerate(kept, start=1)}
    spans = [Span(k[0], k[1], k[2], text[k[0]:k[1]], id=ids[k]) for k in kept]
    relations = [
        Relation(ids[h], ids[t], label) for (h, t, label), n in sorted(relation_votes.items())
        if n > need and h in ids and t in ids
    ]
    names = sorted({annotator_name(a, users) for a in usable})
    return Resolved(spans, relations, names, "majority", problems, len(usable))
