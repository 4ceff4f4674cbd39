"""Adjudication chooses the tasks `annotate agreement` finds in disagreement, builds the vote
prediction (the majority's spans and relations, the disputed ones scored by their share of the
votes and explained in their meta) and settles a task by the reviewer's annotation. Tasks are
built by hand as Label Studio exports them (tests/test_agreement.py's helpers)."""

from newsgold.annotate.studio.adjudicate import VERSION, decide, plan, vote_prediction
from newsgold.annotate.studio.lsformat import from_ls_result
from newsgold.annotate.studio.resolve import resolve_annotations
from newsgold.annotate.studio.views import id_filters
from tests.test_agreement import ACTOR, FLED, PLACE, TEXT, USERS, annotation, task

OTHER_ACTOR = (0, 6, "ACTOR")  # "Afghan": another boundary


def regions(payload):
    return {r["id"]: r for r in payload["result"] if r["type"] == "labels"}


def key(region):
    return region["value"]["start"], region["value"]["end"], region["value"]["labels"][0]


def prediction(pid, payload, day=5):
    return {
        "id": pid,
        "model_version": VERSION,
        "result": payload["result"],
        "score": None,
        "created_at": f"2026-01-{day:02d}T12:00:00Z",
    }


def disputed_task(tid=1):
    """ann1 drew ACTOR, LOCATION, fled and fled → LOCATION; ann2 ACTOR and fled; ann3 ACTOR, LOCATION."""
    return task(
        tid,
        [
            annotation(10, 1, [ACTOR, PLACE, FLED], 1, relations=[(2, 1, "place")]),
            annotation(11, 2, [ACTOR, FLED], 2),
            annotation(12, 3, [ACTOR, PLACE], 3),
        ],
    )


def test_agreeing_annotators_and_a_single_one_need_no_adjudication():
    agreeing = task(1, [annotation(1, 1, [ACTOR, PLACE], 1), annotation(2, 2, [ACTOR, PLACE], 2)])
    alone = task(2, [annotation(3, 1, [ACTOR], 1)])
    skipped = task(3, [annotation(4, 1, [ACTOR], 1), annotation(5, 2, [PLACE], 2, cancelled=True)])
    assert plan([agreeing, alone, skipped], USERS) == []


def test_a_relation_drawn_by_one_annotator_alone_is_a_disagreement():
    one = task(1, [annotation(1, 1, [ACTOR, FLED], 1, relations=[(1, 0, "actor")]), annotation(2, 2, [ACTOR, FLED], 2)])
    (decision,) = plan([one], USERS)
    assert decision.action == "add" and decision.disputed == 1
    relations = [r for r in decision.payload["result"] if r["type"] == "relation"]
    assert len(relations) == 1  # kept apart in the prediction for the reviewer to keep or delete
    found = regions(decision.payload)
    assert key(found[relations[0]["from_id"]]) == FLED and key(found[relations[0]["to_id"]]) == ACTOR
    assert "disputed relation actor" in found[relations[0]["from_id"]]["meta"]["text"]


def test_the_vote_prediction_holds_the_majority_and_the_disputed_spans_apart():
    t = disputed_task()
    (decision,) = plan([t], USERS)
    assert decision.action == "add" and decision.task_id == 1 and decision.annotators == ("ann1", "ann2", "ann3")
    payload = decision.payload
    assert payload["model_version"] == VERSION and payload["task"] == 1 and payload["score"] is None
    found = {key(r): r for r in regions(payload).values()}
    assert set(found) == {ACTOR, PLACE, FLED}  # every span someone drew, once
    assert found[ACTOR]["score"] == 1.0 and found[PLACE]["score"] == 0.6667 and found[FLED]["score"] == 0.6667
    assert found[ACTOR]["meta"]["text"] == "vote: drawn by 3 of 3 (ann1, ann2, ann3)"
    assert found[PLACE]["meta"]["text"] == "vote: drawn by 2 of 3 (ann1, ann3); not by ann2"
    # the majority's spans are exactly what `export --policy majority` keeps
    resolved = resolve_annotations(TEXT, t["annotations"], "majority", USERS)
    assert {(s.start, s.end, s.label) for s in resolved.spans} == set(found)
    # ann1's relation is a minority's: kept in the prediction, named in its head's meta
    (rel,) = [r for r in payload["result"] if r["type"] == "relation"]
    assert (key(regions(payload)[rel["from_id"]]), key(regions(payload)[rel["to_id"]])) == (FLED, PLACE)
    assert "disputed relation place → 'Tajikistan': drawn by ann1 (1 of 3)" in found[FLED]["meta"]["text"]
    # the result is what Label Studio reads back: every region a span of the text
    spans, relations, problems = from_ls_result(TEXT, payload["result"])
    assert len(spans) == 3 and len(relations) == 1 and problems == []


def test_a_tie_and_a_minority_are_marked_disputed_by_score_and_meta():
    tie = task(1, [annotation(1, 1, [ACTOR], 1), annotation(2, 2, [OTHER_ACTOR], 2)])
    payload, disputed = vote_prediction(1, TEXT, {"ann1": tie["annotations"][0], "ann2": tie["annotations"][1]}, USERS)
    assert disputed == 2
    found = {key(r): r for r in regions(payload).values()}
    assert found[ACTOR]["score"] == 0.5 and found[OTHER_ACTOR]["score"] == 0.5
    assert found[ACTOR]["meta"]["text"] == (
        "disputed (tie): drawn by ann1 (1 of 2); not by ann2; delete it to leave it out"
    )
    assert all(r["id"].startswith("d") for r in found.values())  # none is the vote's
    minority = [annotation(1, 1, [ACTOR, FLED], 1), annotation(2, 2, [ACTOR], 2), annotation(3, 3, [ACTOR], 3)]
    payload, _ = vote_prediction(1, TEXT, {f"ann{n}": a for n, a in enumerate(minority, start=1)}, USERS)
    assert {key(r): r["score"] for r in regions(payload).values()} == {ACTOR: 1.0, FLED: 0.3333}
    assert regions(payload)["d2"]["meta"]["text"].startswith("disputed (minority): drawn by ann1 (1 of 3)")


def test_people_are_compared_by_their_latest_annotation_as_agreement_does():
    """ann1 first drew LOCATION, then ACTOR as ann2 did: they agree now."""
    changed = task(1, [annotation(1, 1, [PLACE], 1), annotation(2, 2, [ACTOR], 2), annotation(3, 1, [ACTOR], 3)])
    assert plan([changed], USERS) == []


def test_a_task_with_a_ground_truth_is_settled_and_not_adjudicated():
    t = disputed_task()
    t["annotations"].append(annotation(13, 9, [ACTOR], 6, gt=True))
    assert decide(t, USERS) is None


def test_running_again_keeps_the_same_prediction_and_replaces_a_stale_one():
    t = disputed_task()
    (first,) = plan([t], USERS)
    t["predictions"] = [{"id": 5, "model_version": "rules", "result": []}, prediction(7, first.payload)]
    (again,) = plan([t], USERS)
    assert again.action == "keep" and again.payload is None and again.to_adjudicate
    t["annotations"].append(annotation(14, 2, [ACTOR, PLACE], 7))  # ann2 changed their mind: all agree on two
    (changed,) = plan([t], USERS)
    assert changed.action == "replace" and changed.stale == (7,) and changed.payload is not None
    t["annotations"].append(annotation(15, 1, [ACTOR, PLACE], 8))
    (withdrawn,) = plan([t], USERS)  # they all agree: the vote prediction goes, nothing to adjudicate
    assert withdrawn.action == "withdraw" and withdrawn.stale == (7,) and not withdrawn.to_adjudicate


def test_the_annotation_started_from_the_vote_settles_the_task():
    t = disputed_task()
    (first,) = plan([t], USERS)
    t["predictions"] = [prediction(7, first.payload)]
    reviewed = annotation(20, 9, [ACTOR, PLACE], 9)
    reviewed["parent_prediction"] = 7
    t["annotations"].append(reviewed)
    (decision,) = plan([t], USERS)
    assert decision.action == "settle" and decision.settling == 20 and decision.annotators == ("owner",)
    # the reviewer skipped instead: nothing settled, and the skip is no vote
    reviewed["was_cancelled"] = True
    assert plan([t], USERS)[0].action == "keep"


def test_with_a_reviewer_any_annotation_of_theirs_after_the_vote_settles():
    t = disputed_task()
    (first,) = plan([t], USERS)
    t["predictions"] = [prediction(7, first.payload, day=5)]
    before = annotation(20, 9, [ACTOR], 4)  # the owner annotated as one more annotator, before the vote
    t["annotations"].append(before)
    assert plan([t], USERS, reviewer="owner")[0].action != "settle"
    t["annotations"].append(annotation(21, 9, [PLACE], 9))  # drawn afresh, not from the vote
    assert plan([t], USERS)[0].action == "replace"  # without --reviewer: a fourth vote, not a decision
    (decision,) = plan([t], USERS, reviewer="owner")
    assert decision.action == "settle" and decision.settling == 21


def test_the_tab_filters_hold_exactly_the_tasks():
    assert id_filters([5, 3, 4, 9]) == {
        "conjunction": "or",
        "items": [
            {"filter": "filter:tasks:id", "operator": "in", "type": "Number", "value": {"min": 3, "max": 5}},
            {"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": 9},
        ],
    }
    assert id_filters([]) == {
        "conjunction": "or",
        "items": [{"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": 0}],
    }
