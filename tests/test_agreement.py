"""Agreement and resolution count people and say what they drop; the label counts of the card
and of `annotate check` are the entities of the IOB2 tags. Tasks are built by hand as Label
Studio exports them (annotations by user id in `completed_by`, `ground_truth`, `was_cancelled`,
`updated_at`)."""

import json
from collections import Counter

import yaml
from click.testing import CliRunner

from newsgold.annotate.check import check_dataset
from newsgold.annotate.cli import cli
from newsgold.annotate.studio.agreement import DEFINITION, agreement, agreement_tables, several_annotators
from newsgold.annotate.studio.resolve import resolve_annotations

TEXT = "Afghan soldiers fled to Tajikistan after the attack."
USERS = {1: "ann1", 2: "ann2", 3: "ann3", 9: "owner"}
ACTOR = (0, 15, "ACTOR")  # "Afghan soldiers"
PLACE = (24, 34, "LOCATION")  # "Tajikistan"
FLED = (16, 20, "ACTION")  # "fled"


def region(key, rid, text=TEXT):
    start, end, label = key
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def relation(head, tail, label="place"):
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": [label]}


def annotation(aid, who, keys, day, gt=False, cancelled=False, relations=()):
    result = [region(k, f"r{aid}-{i}") for i, k in enumerate(keys)]
    result += [relation(f"r{aid}-{h}", f"r{aid}-{t}", label) for h, t, label in relations]
    return {
        "id": aid,
        "completed_by": who,
        "updated_at": f"2026-01-{day:02d}T10:00:00Z",
        "created_at": f"2026-01-{day:02d}T09:00:00Z",
        "was_cancelled": cancelled,
        "ground_truth": gt,
        "result": result,
    }


def task(tid, annotations, text=TEXT, story="s1"):
    return {
        "id": tid,
        "data": {"text": text, "newsgold_id": f"doc{tid}", "story_id": story, "source": f"t{tid}.txt"},
        "annotations": annotations,
    }


def keys(resolved):
    return [(s.start, s.end, s.label) for s in resolved.spans]


# ---------------------------------------------------------------- majority counts people


def test_one_person_annotating_twice_does_not_outvote_another():
    """ann1 drew ACTOR twice, ann2 drew LOCATION once: two people, one vote each, so neither
    span has a majority (before: ACTOR kept 2 votes of 3 annotations, no tie reported)."""
    twice = [annotation(1, 1, [ACTOR], 1), annotation(2, 1, [ACTOR], 2), annotation(3, 2, [PLACE], 3)]
    resolved = resolve_annotations(TEXT, twice, "majority", USERS)
    assert keys(resolved) == [] and resolved.how == "majority"
    assert resolved.annotators == ["ann1", "ann2"] and resolved.candidates == 3
    assert [
        (p.kind, p.span["label"], p.span["drawn_by"], p.span["votes"], p.span["annotators"]) for p in resolved.problems
    ] == [("tie", "ACTOR", ["ann1"], 1, 2), ("tie", "LOCATION", ["ann2"], 1, 2)]


def test_a_persons_vote_is_their_latest_annotation():
    """ann1 first drew ACTOR, then changed their mind to LOCATION: their vote is LOCATION,
    which ann2 drew too; ann3's ACTION is a minority. ann1's superseded ACTOR is no vote."""
    annotations = [
        annotation(1, 1, [ACTOR], 1),
        annotation(2, 2, [PLACE], 2),
        annotation(3, 3, [FLED], 3),
        annotation(4, 1, [PLACE], 4),
    ]
    resolved = resolve_annotations(TEXT, annotations, "majority", USERS)
    assert keys(resolved) == [PLACE]
    assert [(p.kind, p.span["label"], p.span["drawn_by"]) for p in resolved.problems] == [
        ("minority", "ACTION", ["ann3"])
    ]


def test_one_person_alone_is_resolved_by_their_latest_annotation():
    resolved = resolve_annotations(
        TEXT, [annotation(1, 1, [ACTOR], 1), annotation(2, 1, [PLACE], 2)], "majority", USERS
    )
    assert keys(resolved) == [PLACE] and resolved.how == "latest" and resolved.problems == []


def test_annotations_whose_author_is_gone_are_separate_people():
    """`completed_by` is null once a user is deleted: two such annotations are two people."""
    annotations = [
        annotation(1, None, [ACTOR], 1),
        annotation(2, None, [ACTOR, PLACE], 2),
        annotation(3, 2, [PLACE], 3),
    ]
    resolved = resolve_annotations(TEXT, annotations, "majority", USERS)
    assert keys(resolved) == [ACTOR, PLACE] and len(resolved.annotators) == 3


# ---------------------------------------------------------------- majority reports what it drops


def test_every_span_and_relation_a_minority_drew_is_reported():
    """Three annotators: ACTOR by all, LOCATION by two (kept), ACTION by one (before: dropped
    without a word); ann1's relation ACTOR→LOCATION is drawn by one of three."""
    annotations = [
        annotation(1, 1, [ACTOR, PLACE, FLED], 1, relations=[(0, 1, "place")]),
        annotation(2, 2, [ACTOR, PLACE], 2),
        annotation(3, 3, [ACTOR], 3),
    ]
    resolved = resolve_annotations(TEXT, annotations, "majority", USERS)
    assert keys(resolved) == [ACTOR, PLACE] and resolved.relations == []
    assert [p.to_dict() for p in resolved.problems] == [
        {
            "kind": "minority",
            "span": {
                "start": 16,
                "end": 20,
                "label": "ACTION",
                "text": "fled",
                "drawn_by": ["ann1"],
                "votes": 1,
                "annotators": 3,
            },
            "detail": "drawn by ann1: 1 of 3 annotators' votes, a majority needs 2; not kept",
        },
        {
            "kind": "outvoted-relation",
            "span": {
                "start": 0,
                "end": 34,
                "label": "place",
                "text": "Afghan soldiers → Tajikistan",
                "head": {"start": 0, "end": 15, "label": "ACTOR", "text": "Afghan soldiers"},
                "tail": {"start": 24, "end": 34, "label": "LOCATION", "text": "Tajikistan"},
                "drawn_by": ["ann1"],
                "votes": 1,
                "annotators": 3,
            },
            "detail": "drawn by ann1: 1 of 3 annotators' votes, a majority needs 2; not kept",
        },
    ]
    # the same relation drawn by two of three is kept, between the kept spans
    annotations[1] = annotation(2, 2, [ACTOR, PLACE], 2, relations=[(0, 1, "place")])
    kept = resolve_annotations(TEXT, annotations, "majority", USERS)
    ids = {s.id: (s.start, s.end, s.label) for s in kept.spans}
    assert [(ids[r.head], ids[r.tail], r.label) for r in kept.relations] == [(ACTOR, PLACE, "place")]
    assert [p.kind for p in kept.problems] == ["minority"]


def test_majority_export_lists_dropped_spans_in_problems_summary_and_card(tmp_path):
    tasks = [
        task(
            1,
            [
                annotation(1, 1, [ACTOR, PLACE, FLED], 1),
                annotation(2, 2, [ACTOR, PLACE], 2),
                annotation(3, 3, [ACTOR], 3),
            ],
        ),
        task(2, [annotation(4, 1, [ACTOR], 1), annotation(5, 1, [ACTOR], 2), annotation(6, 2, [PLACE], 3)]),
    ]
    source = tmp_path / "export.json"
    source.write_text(json.dumps(tasks))
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out), "--policy", "majority"])
    assert result.exit_code == 0, result.output
    assert (
        "majority vote (one per annotator, their latest annotation): not kept 1 span(s) drawn by a minority, "
        "2 tied span(s), 0 relation(s)"
    ) in result.stderr
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    assert [
        (p["task_id"], p["document"], p["kind"], p["span"]["label"], p["span"]["drawn_by"], p["span"]["votes"])
        for p in problems
    ] == [
        (1, "doc1", "minority", "ACTION", ["1"], 1),
        (2, "doc2", "tie", "ACTOR", ["1"], 1),
        (2, "doc2", "tie", "LOCATION", ["2"], 1),
    ]
    card = (out / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])["newsgold"]
    assert header["resolution"]["policy"] == "majority"
    assert "one vote per annotator" in header["resolution"]["several_annotators"]
    assert header["resolution"]["not_kept"] == {"minority": 1, "tie": 2, "outvoted-relation": 0}
    assert "1 span(s) drawn by a minority, 2 tied span(s), 0 relation(s)" in card
    assert "`doc1` minority: ACTION 'fled' [16, 20) — drawn by 1: 1 of 3 annotators' votes" in card
    from datasets import load_from_disk

    rows = {row["id"]: row for split in load_from_disk(str(out)).values() for row in split}
    assert [(s["start"], s["end"], s["label"]) for s in rows["doc1"]["spans"]] == [ACTOR, PLACE]
    assert rows["doc2"]["spans"] == [] and rows["doc2"]["annotators"] == ["1", "2"]


# ---------------------------------------------------------------- agreement


def pair_scores(tasks, labels=("ACTOR", "LOCATION", "ACTION")):
    return agreement(tasks, list(labels), USERS)


def test_the_same_span_with_another_label_never_agrees():
    """Before: every label 0 but micro partial 1.0 (nervaluate's overall partial ignores labels)."""
    report = pair_scores([task(1, [annotation(1, 1, [ACTOR], 1), annotation(2, 2, [(0, 15, "LOCATION")], 2)])])
    scores = report["pairs"]["ann1 vs ann2"]
    assert scores["ACTOR"] == scores["LOCATION"] == scores["micro"] == {"strict": 0.0, "partial": 0.0}
    assert scores["ACTION"] == {"strict": None, "partial": None}  # nobody drew it


def test_partial_gives_an_overlap_with_the_same_label_half_credit():
    """ann1: ACTOR "Afghan soldiers", LOCATION "Tajikistan"; ann2: ACTOR "soldiers" (overlap),
    LOCATION "Tajikistan" (exact), ACTION "fled" (only ann2)."""
    report = pair_scores(
        [task(1, [annotation(1, 1, [ACTOR, PLACE], 1), annotation(2, 2, [(7, 15, "ACTOR"), PLACE, FLED], 2)])]
    )
    scores = report["pairs"]["ann1 vs ann2"]
    assert scores["ACTOR"] == {"strict": 0.0, "partial": 0.5}
    assert scores["LOCATION"] == {"strict": 1.0, "partial": 1.0}
    assert scores["ACTION"] == {"strict": 0.0, "partial": 0.0}
    # micro pools the labels: strict 1 match, partial 1.5; 2 spans by ann1, 3 by ann2
    assert scores["micro"] == {
        "strict": round(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2), 4),
        "partial": round(2 * (1.5 / 3) * (1.5 / 2) / (1.5 / 3 + 1.5 / 2), 4),
    }
    assert "an overlap 1/2" in DEFINITION and "same label" in DEFINITION
    assert DEFINITION in agreement_tables(report, ["ACTOR", "LOCATION", "ACTION"])


def test_agreement_counts_each_person_once_with_their_latest_annotation():
    """ann1 annotated twice (ACTOR, then ACTOR+LOCATION): one person, compared with their latest."""
    report = pair_scores(
        [
            task(
                1,
                [
                    annotation(1, 1, [ACTOR], 1),
                    annotation(2, 2, [ACTOR, PLACE], 2),
                    annotation(3, 1, [ACTOR, PLACE], 3),
                ],
            )
        ]
    )
    assert list(report["pairs"]) == ["ann1 vs ann2"]
    assert report["pairs"]["ann1 vs ann2"]["micro"] == {"strict": 1.0, "partial": 1.0}
    assert report["disagreements"] == []
    # one person twice is nothing to compare
    alone = [task(2, [annotation(1, 1, [ACTOR], 1), annotation(2, 1, [PLACE], 2)])]
    assert not several_annotators(alone[0]) and pair_scores(alone)["documents"] == 0


def test_the_ground_truth_is_the_reference_not_one_more_annotator():
    """ann1 and ann2 annotate, the owner writes the ground truth: before, pairs were ann1 vs ann2,
    ann1 vs owner, ann2 vs owner. Now the owner is in no pair; each annotator is scored against
    the ground truth. A starred annotation of ann1 is the reference too, ann2 scored against it."""
    settled = task(
        1,
        [
            annotation(1, 1, [ACTOR], 1),
            annotation(2, 2, [ACTOR, PLACE], 2),
            annotation(3, 9, [ACTOR, PLACE], 3, gt=True),
            annotation(4, 3, [], 4, cancelled=True),
        ],
    )
    starred = task(2, [annotation(5, 1, [PLACE], 1, gt=True), annotation(6, 2, [PLACE, FLED], 2)])
    report = pair_scores([settled, starred])
    assert report["documents"] == 2
    assert list(report["pairs"]) == ["ann1 vs ann2"]  # task 2 has one annotator besides the reference
    assert report["pairs"]["ann1 vs ann2"]["ACTOR"] == {"strict": 1.0, "partial": 1.0}
    assert report["pairs"]["ann1 vs ann2"]["LOCATION"] == {"strict": 0.0, "partial": 0.0}
    truth = report["ground_truth"]
    assert list(truth) == ["ann1", "ann2"]
    assert truth["ann1"]["micro"]["strict"] == round(2 * 1 * 0.5 / 1.5, 4)  # 1 of 1 drawn, 1 of 2 expected
    assert truth["ann2"]["LOCATION"] == {"strict": 1.0, "partial": 1.0}  # both tasks
    assert truth["ann2"]["ACTION"] == {"strict": 0.0, "partial": 0.0}
    assert [(d.document, d.label, d.drawn_by, d.not_by) for d in report["disagreements"]] == [
        ("doc1", "LOCATION", ("ann2", "ground truth"), ("ann1",)),
        ("doc2", "ACTION", ("ann2",), ("ground truth",)),
    ]
    assert "owner" not in json.dumps({k: v for k, v in report.items() if k != "disagreements"})
    table = agreement_tables(report, ["ACTOR", "LOCATION", "ACTION"])
    assert "| annotator vs ground truth |" in table and "| ann2 |" in table


# ---------------------------------------------------------------- counts equal the IOB tags


def test_card_and_check_count_the_entities_of_the_iob_tags(tmp_path):
    """Misaligned and overlapping spans stay in `spans` but not in `ner_tags`: the card's header
    and table and `annotate check` count what the tags hold (before: check counted every span,
    and the card's header had no per-label counts)."""
    tasks = []
    for n in range(12):
        spans = [ACTOR, (24, 30, "LOCATION") if n % 3 == 0 else PLACE, FLED]  # "Tajiki": misaligned
        if n % 4 == 0:
            spans.append((7, 20, "ACTION"))  # overlaps ACTOR: left out of the tags
        tasks.append(task(n + 1, [annotation(n + 1, 1, spans, 1)], story=f"story{n}"))
    source = tmp_path / "export.json"
    source.write_text(json.dumps(tasks))
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    from_tags = {}
    for name, split in dataset.items():
        names = split.features["ner_tags"].feature.names
        from_tags[name] = Counter(names[t][2:] for row in split for t in row["ner_tags"] if names[t].startswith("B-"))
    labels = ["ACTOR", "LOCATION", "COUNT", "ACTION"]
    expected = {name: {label: from_tags[name][label] for label in labels} for name in dataset}
    assert sum(c["ACTOR"] for c in from_tags.values()) == 12
    assert sum(c["LOCATION"] for c in from_tags.values()) == 8  # the 4 misaligned "Tajiki" spans are out
    assert sum(c["ACTION"] for c in from_tags.values()) == 12  # "fled"; the 3 overlapping ACTION spans are out
    card = (out / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])["newsgold"]
    assert header["entities"] == expected
    for name in dataset:
        row = f"| {name} | {len(dataset[name])} | " + " | ".join(str(expected[name][l]) for l in labels) + " |"
        assert row in card
    checked = check_dataset(out)
    assert {name: dict(counts) for name, counts in checked.labels.items()} == expected
    spans = Counter(s["label"] for split in dataset.values() for row in split for s in row["spans"])
    assert spans["LOCATION"] == 12 and spans["ACTION"] == 15  # the spans themselves are all kept
    kinds = Counter(json.loads(line)["kind"] for line in (out / "problems.jsonl").read_text().splitlines())
    assert kinds == {"misaligned": 4, "overlap": 3}
