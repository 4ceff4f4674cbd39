"""Adjudication: the tasks whose annotators disagree, a prediction that pre-fills the reviewer's
editor with the vote, and the reviewer's decision made the task's ground truth.

Which tasks: the comparison `annotate agreement` makes (`agreement.compared_annotations`: each
person's latest annotation, cancelled ones aside), on tasks with no ground truth and two or more
people, where some span (start, end, label) or some relation (type and both endpoints) was not
drawn by all of them.

The prediction (`model_version` `VERSION`, one per task) holds the vote and the disputed spans
together, told apart by their region score and meta:

- the vote: the spans and relations `resolve_annotations(..., "majority")` keeps, exactly what
  `annotate export --policy majority` would export (one vote per person, more than half);
- every other span someone drew (a minority, a tie), and every relation someone drew between
  two of the prediction's spans that the vote left out.

Each region's score is its share of the votes (drawn by 2 of 3: 0.67; a tie of 2: 0.50), so in
the Regions panel of Label Studio 1.23's editor a disputed span (score 0.50 or less) stands apart
from the vote (above 0.50); its meta text (the region's details: "disputed ... drawn by X; not
by Y") says who drew it and who did not, and names the disputed relations that start at it
(relations carry no score or meta the editor shows). One prediction rather than a second one
holding only the disputed regions, because the editor starts an annotation from one prediction
("Duplicate Annotation" on the prediction's tab) and cannot carry a region over from another tab:
here the reviewer keeps a disputed span by leaving it and rejects it by deleting it, and adds
nothing by hand.

Where the reviewer sees it: the Data Manager returns every prediction of a task with it (tabs
above the editor), whatever the project's model version; the labeling stream would only show the
project's model version, and hands out no finished task anyway. So the prediction keeps a version
of its own and never becomes the project's model version: annotators' pre-labels and the tab
"least confident first" (ordered by the project's model version) are untouched. Its score is
left empty, so it does not enter Label Studio's mean either when no model version is chosen.

What settles a task: a submitted (not cancelled) annotation started from its adjudication
prediction (Label Studio records that prediction as the annotation's `parent_prediction` when the
editor duplicates it), or, with `reviewer`, any annotation that person submitted after the
prediction was made. The latest such annotation becomes the task's ground truth when
`adjudicate` runs again; a task with a ground truth is settled and never adjudicated again.

Runs at once (two reviewers, a cron job and a person) read the same tasks and both add a vote
prediction: after adding, each run lists the adjudication predictions of the tasks it added to and
keeps the oldest of each task, deleting the others (a copy already deleted by the other run counts
as deleted), so the task ends with one, whichever run finishes first.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsgold.annotate.documents import id_key
from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.studio.agreement import compared_annotations
from newsgold.annotate.studio.lsformat import NEWSGOLD_CONFIG, LabelingConfig, to_ls_result
from newsgold.annotate.studio.resolve import drawn_by, person, recency, resolve_annotations
from newsgold.annotate.studio.tasks import DOC_ID_FIELD, usable_annotations

VERSION = "adjudication"  # the model_version of the vote predictions
ACTIONS = ("settle", "add", "replace", "keep", "withdraw")


@dataclass(frozen=True)
class Decision:
    """What `adjudicate` does with one task: `settle` (make annotation `settling` its ground
    truth), `add` a vote prediction (`payload`), `replace` a stale one (delete `stale`, add
    `payload`), `keep` the one it has, or `withdraw` one whose annotators no longer disagree."""

    task_id: int
    document: str
    action: str
    payload: dict | None = None
    stale: tuple[int, ...] = ()
    settling: int | None = None
    disputed: int = 0  # spans and relations not drawn by all the annotators
    annotators: tuple[str, ...] = ()

    @property
    def to_adjudicate(self) -> bool:
        return self.action in ("add", "replace", "keep")


Key = tuple[int, int, str]  # a span's start, end, label


def vote_prediction(
    task_id: int, text: str, votes: dict[str, dict], users: dict[int, str], config: LabelingConfig = NEWSGOLD_CONFIG
) -> tuple[dict | None, int]:
    """The adjudication prediction of a task (None when its annotators agree) and how many spans
    and relations are disputed; `votes`: each person's latest annotation, by name."""
    people = sorted(votes)
    drawn, related, _ = drawn_by(text, votes, config)
    disputed = sum(len(n) < len(people) for n in drawn.values()) + sum(len(n) < len(people) for n in related.values())
    if not disputed:
        return None, 0
    resolved = resolve_annotations(text, list(votes.values()), "majority", users, config)
    kept = {(s.start, s.end, s.label): s.id for s in resolved.spans}
    ids: dict[Key, str] = {}
    spans, notes = [], {}
    for number, (key, names) in enumerate(sorted(drawn.items()), start=1):
        ids[key] = kept.get(key) or f"d{number}"
        share = len(names) / len(people)
        spans.append(Span(key[0], key[1], key[2], text[key[0] : key[1]], score=round(share, 4), id=ids[key]))
        others = sorted(set(people) - names)
        if key in kept:
            notes[ids[key]] = [
                f"vote: drawn by {len(names)} of {len(people)} ({', '.join(sorted(names))})"
                + (f"; not by {', '.join(others)}" if others else "")
            ]
        else:
            notes[ids[key]] = [
                f"disputed ({'tie' if 2 * len(names) == len(people) else 'minority'}): drawn by "
                f"{', '.join(sorted(names))} ({len(names)} of {len(people)}); not by "
                f"{', '.join(others)}; delete it to leave it out"
            ]
    relations = list(resolved.relations)
    voted = {(r.head, r.tail, r.label) for r in relations}
    for (head, tail, label), names in sorted(related.items()):
        if (ids[head], ids[tail], label) in voted:
            continue
        relations.append(Relation(ids[head], ids[tail], label))
        notes[ids[head]].append(
            f"disputed relation {label} → {text[tail[0] : tail[1]]!r}: drawn by "
            f"{', '.join(sorted(names))} ({len(names)} of {len(people)})"
        )
    result = to_ls_result(text, spans, relations)
    control, target = next(iter(config.controls)), config.text
    for region in result:
        if region["type"] == "labels":
            region.update(from_name=control, to_name=target, meta={"text": "; ".join(notes[region["id"]])})
    return {"task": task_id, "model_version": VERSION, "score": None, "result": result}, disputed


def _settling(annotations: list[dict], ours: list[dict], users: dict[int, str], reviewer: str | None) -> dict | None:
    """The latest submitted annotation that settles a task (see the module), or None."""
    ids = {p.get("id") for p in ours}
    since = min((p.get("created_at") or "" for p in ours), default="")
    found = [
        a
        for a in usable_annotations(annotations)
        if a.get("parent_prediction") in ids
        or (reviewer is not None and person(a, users) == reviewer and (a.get("created_at") or "") >= since)
    ]
    return max(found, key=recency) if found else None


def decide(
    task: dict, users: dict[int, str], reviewer: str | None = None, config: LabelingConfig = NEWSGOLD_CONFIG
) -> Decision | None:
    """What to do with one task as Label Studio exports it (annotations, whole predictions);
    None: nothing (one annotator, agreement, or a ground truth already)."""
    text = config.task_text(task.get("data") or {})
    if not isinstance(text, str):
        return None
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    document = id_key(data.get(DOC_ID_FIELD)) or str(task.get("id"))
    ours = [p for p in task.get("predictions") or [] if isinstance(p, dict) and p.get("model_version") == VERSION]
    own, truth = compared_annotations(task, users)
    if truth is not None:
        return None  # settled: its ground truth stands, whoever set it
    if ours:
        settling = _settling(task.get("annotations") or [], ours, users, reviewer)
        if settling is not None:
            return Decision(
                task["id"], document, "settle", settling=settling["id"], annotators=(person(settling, users),)
            )
    payload, disputed = vote_prediction(task["id"], text, own, users, config) if len(own) > 1 else (None, 0)
    stale = tuple(p["id"] for p in ours)
    if payload is None:
        return Decision(task["id"], document, "withdraw", stale=stale) if ours else None
    if len(ours) == 1 and ours[0].get("result") == payload["result"]:
        return Decision(task["id"], document, "keep", disputed=disputed, annotators=tuple(own))
    return Decision(
        task["id"], document, "replace" if ours else "add", payload, stale, disputed=disputed, annotators=tuple(own)
    )


def plan(
    tasks, users: dict[int, str], reviewer: str | None = None, config: LabelingConfig = NEWSGOLD_CONFIG
) -> list[Decision]:
    """The decisions for every task that needs one, in task order."""
    decisions = (decide(task, users, reviewer, config) for task in tasks)
    return sorted((d for d in decisions if d is not None), key=lambda d: d.task_id)


def apply_decisions(ls, project, decisions: list[Decision], batch_size: int) -> int:
    """Carry `decisions` out on the server (ground truths set, stale predictions deleted, vote
    predictions added), then delete the vote predictions a concurrent run added to the same tasks
    (the module); how many copies were deleted."""
    for d in decisions:
        if d.action == "settle":
            ls.set_ground_truth(d.settling)
        for prediction in d.stale:
            ls.delete_prediction(prediction)
    payloads = [d.payload for d in decisions if d.payload is not None]
    for first in range(0, len(payloads), batch_size):
        ls.import_predictions(project, payloads[first : first + batch_size])
    return drop_copies(ls, project, [p["task"] for p in payloads])


def drop_copies(ls, project, task_ids: list[int]) -> int:
    """Keep the oldest vote prediction of each of `task_ids`, delete the others."""
    dropped = 0
    for first in range(0, len(task_ids), 200):  # short addresses, as `task_summaries` asks
        for task in ls._by_id(project, only=task_ids[first : first + 200], fields="all", include="id,predictions"):
            ours = sorted(p.id for p in task.predictions or [] if p.model_version == VERSION)
            for copy in ours[1:]:
                ls.delete_prediction(copy)
                dropped += 1
    return dropped
