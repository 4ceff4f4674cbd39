"""The human truth of one Label Studio task: which annotation (or which spans) counts as gold.

Predictions are never gold; cancelled (skipped) annotations are ignored; a ground-truth
annotation wins; with several annotators an explicit policy decides: `latest` (the most recently
updated annotation) or `majority`. The majority counts people, not annotations: each annotator
votes once, with their latest annotation on the task; a span (or a relation) stays when more
than half of the annotators drew it exactly. Every span or relation the vote leaves out is
reported (`minority`, `tie`, `outvoted-relation`) with who drew it and the votes, never dropped
silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from newsgold.annotate.spans import Relation, Span, relation_faults, span_labels
from newsgold.annotate.studio.lsformat import NEWSGOLD_CONFIG, LabelingConfig, Problem, from_ls_result
from newsgold.annotate.studio.tasks import annotator_name, usable_annotations

POLICIES = ("latest", "majority")
VOTES = "one vote per annotator: their latest annotation on the task"
RULES = {  # what each policy keeps, when a task has no ground truth and several annotations
    "latest": "the most recently updated annotation of the task",
    "majority": f"the spans (and relations) more than half of the annotators drew exactly; {VOTES}",
}
OUTVOTED = ("minority", "tie", "outvoted-relation")  # problem kinds of what a majority vote left out


@dataclass(frozen=True)
class Resolved:
    """The human truth for one document, after applying the resolution policy."""

    spans: list[Span]
    relations: list[Relation]
    annotators: list[str]
    how: str  # ground_truth | single | latest | majority | gold
    problems: list[Problem] = field(default_factory=list)
    candidates: int = 1  # how many usable annotations the document had


def recency(annotation: dict) -> tuple:
    """Sort key of annotations by when they were last updated (then created, then id)."""
    return (annotation.get("updated_at") or annotation.get("created_at") or "", annotation.get("id") or 0)


def person(annotation: dict, users: dict[int, str]) -> str:
    """Who made an annotation; an annotation whose author is gone (`completed_by` null, a
    deleted user) is its own person, not merged with other such annotations."""
    if annotation.get("completed_by") is None:
        return f"unknown author of annotation {annotation.get('id')}"
    return annotator_name(annotation, users)


def latest_by_person(annotations: list[dict], users: dict[int, str]) -> dict[str, dict]:
    """Each person's latest annotation among `annotations`, by name (sorted)."""
    latest: dict[str, dict] = {}
    for annotation in sorted(annotations, key=recency):
        latest[person(annotation, users)] = annotation
    return dict(sorted(latest.items()))


def resolve_annotations(
    text: str, annotations: list[dict], policy: str, users: dict[int, str], config: LabelingConfig = NEWSGOLD_CONFIG
) -> Resolved | None:
    """Pick the human truth of one task, its regions read as `config` says; None when it has
    no usable annotation."""
    usable = usable_annotations(annotations)
    if not usable:
        return None
    ground_truth = [a for a in usable if a.get("ground_truth")]
    if not ground_truth and policy == "majority":
        votes = latest_by_person(usable, users)
        if len(votes) > 1:
            return _majority(text, votes, len(usable), config)
    latest = max(ground_truth or usable, key=recency)
    spans, relations, problems = from_ls_result(text, latest.get("result") or [], config)
    how = "ground_truth" if ground_truth else ("single" if len(usable) == 1 else "latest")
    return Resolved(spans, relations, [person(latest, users)], how, problems, len(usable))


def drawn_by(text: str, votes: dict[str, dict], config: LabelingConfig):
    """Who drew each span (start, end, label) and each relation (head key, tail key, label) among
    `votes` (each person's annotation, by name), and the regions that could not be read."""
    drawn: dict[tuple, set[str]] = defaultdict(set)  # (start, end, label) -> who drew it
    related: dict[tuple, set[str]] = defaultdict(set)  # (head key, tail key, label) -> who drew it
    problems: list[Problem] = []
    for name, annotation in votes.items():
        spans, relations, found = from_ls_result(text, annotation.get("result") or [], config)
        problems += found
        keys = {s.id: (s.start, s.end, s.label) for s in spans}
        for key in keys.values():
            drawn[key].add(name)
        for r in relations:
            if r.head in keys and r.tail in keys:
                related[(keys[r.head], keys[r.tail], r.label)].add(name)
    return drawn, related, problems


def _majority(text: str, votes: dict[str, dict], candidates: int, config: LabelingConfig) -> Resolved:
    """A span stays when more than half of the annotators drew it exactly; so does a relation
    between two kept spans. What stays out is reported with who drew it and its votes."""
    drawn, related, problems = drawn_by(text, votes, config)
    people = len(votes)
    kept = sorted(k for k, names in drawn.items() if 2 * len(names) > people)
    ids = {k: f"m{i}" for i, k in enumerate(kept, start=1)}
    spans = [Span(k[0], k[1], k[2], text[k[0] : k[1]], id=ids[k]) for k in kept]
    relations = [
        Relation(ids[h], ids[t], label) for (h, t, label), names in sorted(related.items()) if 2 * len(names) > people
    ]
    # the vote joins relations by their spans' offsets: checked again among the kept spans
    relations, faults = relation_faults(relations, span_labels(spans), config.relations)
    problems += [Problem(f.kind, f.relation.to_dict(), f"{f.message}; left out") for f in faults]

    def span_dict(key: tuple) -> dict:
        return {"start": key[0], "end": key[1], "label": key[2], "text": text[key[0] : key[1]]}

    def outvoted(names: set[str]) -> tuple[dict, str]:
        who = sorted(names)
        return (
            {"drawn_by": who, "votes": len(who), "annotators": people},
            f"drawn by {', '.join(who)}: {len(who)} of {people} annotators' votes, a majority needs "
            f"{people // 2 + 1}; not kept",
        )

    for key, names in sorted(drawn.items()):  # sorted: set order varies with the hash seed
        if key not in ids:
            votes_of, detail = outvoted(names)
            problems.append(
                Problem("tie" if 2 * len(names) == people else "minority", {**span_dict(key), **votes_of}, detail)
            )
    for (head, tail, label), names in sorted(related.items()):
        if 2 * len(names) <= people:
            votes_of, detail = outvoted(names)
            problems.append(
                Problem(
                    "outvoted-relation",
                    {
                        "start": min(head[0], tail[0]),
                        "end": max(head[1], tail[1]),
                        "label": label,
                        "text": f"{text[head[0] : head[1]]} → {text[tail[0] : tail[1]]}",
                        "head": span_dict(head),
                        "tail": span_dict(tail),
                        **votes_of,
                    },
                    detail,
                )
            )
    return Resolved(spans, relations, list(votes), "majority", problems, candidates)
