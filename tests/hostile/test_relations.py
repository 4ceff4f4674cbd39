"""Issue 20, class 3: gold that is structurally impossible. Every way a relation cannot hold (an
end that is not a span, a span pointing at itself, a type outside the schema, ends whose labels
are not the ones its type joins), for every relation type of the shipped schema, generated here
and run through every reader and command that takes relations: `export --from` a Label Studio
export (one and two processes, the latest and the majority policy), gold JSONL, spaCy/Prodigy
JSONL and doccano; `check` on a dataset whose relations were corrupted on disk; `score` (gold:
listed and left out; predictions: refused); `push --predictions` (refused before any server is
reached). The one validator they share is `spans.relation_faults`."""

from __future__ import annotations

import json
import shutil
from itertools import permutations
from pathlib import Path

import pytest

from newsgold.annotate.schema import load_schema
from newsgold.annotate.spans import relation_faults, span_labels
from tests.hostile.kit import assert_ok, assert_refused, invoke

SCHEMA = load_schema()
TYPES = SCHEMA.relation_ends
TEXT = "About 300 Afghan soldiers fled to Tajikistan on Monday."
WORDS = {"COUNT": "300", "ACTOR": "Afghan soldiers", "ACTION": "fled", "LOCATION": "Tajikistan"}
IDS = {"COUNT": "c", "ACTOR": "a", "ACTION": "f", "LOCATION": "l"}  # the span of each label, by id
LABEL_OF = {sid: label for label, sid in IDS.items()}


def test_the_shipped_schema_is_what_the_cases_cover():
    assert set(SCHEMA.label_names) == set(WORDS) and len(TYPES) >= 4


def spans() -> list[dict]:
    found = []
    for label, word in WORDS.items():
        start = TEXT.index(word)
        found.append({"id": IDS[label], "start": start, "end": start + len(word), "label": label, "text": word})
    return found


def cases() -> list[tuple[str, str, str, str, str | None]]:
    """(name, head, tail, type, the fault's kind or None for a relation that holds): for every
    relation type, the one that holds, its ends missing, pointing at itself, and drawn between
    every other ordered pair of labels (its reverse too); and a type the schema lacks."""
    found = []
    for name, (head, tail) in TYPES.items():
        found.append((f"{name}-ok", IDS[head], IDS[tail], name, None))
        found.append((f"{name}-no-head", f"gone-{name}", IDS[tail], name, "broken-relation"))
        found.append((f"{name}-no-tail", IDS[head], f"gone-{name}", name, "broken-relation"))
        found.append((f"{name}-self", IDS[head], IDS[head], name, "self-relation"))
        for x, y in permutations(WORDS, 2):
            if (x, y) != (head, tail):
                found.append((f"{name}-{x}-{y}", IDS[x], IDS[y], name, "mislabelled-relation"))
    found.append(("unknown-type", IDS["ACTION"], IDS["ACTOR"], "WIELDS", "unknown-relation"))
    return found


CASES = cases()
BAD = [case for case in CASES if case[4]]


def text_of(k: int) -> str:
    return f"{TEXT} Case {k}."  # one text per document; the spans' offsets stay


# ---------------------------------------------------------------------------- the inputs, per reader


def ls_region(span: dict, rid: str | None = None) -> dict:
    return {
        "id": rid or span["id"],
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": span["start"], "end": span["end"], "text": span["text"], "labels": [span["label"]]},
    }


def ls_relation(head: str, tail: str, label: str, direction: str = "right") -> dict:
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": direction, "labels": [label]}


def ls_task(k: int, doc: str, relations: list[dict], annotators: int = 1) -> dict:
    result = [ls_region(span) for span in spans()] + relations
    return {
        "id": k,
        "data": {"text": text_of(k), "newsgold_id": doc, "story_id": f"s{k}"},
        "annotations": [
            {
                "id": 100 * k + n,
                "completed_by": n,
                "was_cancelled": False,
                "ground_truth": False,
                "updated_at": f"2026-01-0{n}T00:00:00Z",
                "result": result,
            }
            for n in range(1, annotators + 1)
        ],
    }


def directions() -> list[tuple[str, dict, tuple[str, str, str] | None, str | None]]:
    """Label Studio's arrows, per relation type: (name, the relation region, the relation it must
    be read as or None, the kind listed)."""
    found = []
    for name, (head, tail) in TYPES.items():
        h, t = IDS[head], IDS[tail]
        found += [
            (f"{name}-left", ls_relation(t, h, name, "left"), (h, t, name), None),
            (f"{name}-left-reversed", ls_relation(h, t, name, "left"), None, "mislabelled-relation"),
            (f"{name}-bi", ls_relation(t, h, name, "bi"), (h, t, name), "repaired"),
            (
                f"{name}-bi-neither",
                ls_relation(
                    IDS["COUNT"] if head != "COUNT" else IDS["LOCATION"],
                    IDS["COUNT"] if head != "COUNT" else IDS["LOCATION"],
                    name,
                    "bi",
                ),
                None,
                "self-relation",
            ),
            (f"{name}-sideways", ls_relation(h, t, name, "sideways"), None, "bad-shape"),
        ]
    return found


DIRECTIONS = directions()


def ls_export(path: Path, annotators: int = 1) -> Path:
    tasks = [
        ls_task(k, name, [ls_relation(head, tail, label)], annotators)
        for k, (name, head, tail, label, _) in enumerate(CASES, 1)
    ]
    tasks += [
        ls_task(len(CASES) + k, name, [region], annotators) for k, (name, region, _, _) in enumerate(DIRECTIONS, 1)
    ]
    path.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    return path


def gold_jsonl(path: Path) -> Path:
    lines = [
        json.dumps(
            {
                "id": name,
                "text": text_of(k),
                "story_id": f"s{k}",
                "spans": spans(),
                "relations": [{"head": head, "tail": tail, "label": label}],
            }
        )
        for k, (name, head, tail, label, _) in enumerate(CASES, 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


DOCCANO_IDS = {sid: n for n, sid in enumerate(IDS.values(), 1)}  # doccano entity ids are numbers


def doccano(path: Path) -> Path:
    def number(sid: str):
        return DOCCANO_IDS.get(sid, 90 + len(sid))  # an id no entity has

    lines = [
        json.dumps(
            {
                "id": name,
                "text": text_of(k),
                "entities": [
                    {
                        "id": DOCCANO_IDS[s["id"]],
                        "label": s["label"],
                        "start_offset": s["start"],
                        "end_offset": s["end"],
                    }
                    for s in spans()
                ],
                "relations": [{"id": 1, "from_id": number(head), "to_id": number(tail), "type": label}],
            }
        )
        for k, (name, head, tail, label, _) in enumerate(CASES, 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def doccano_id(sid: str) -> str:
    return f"e{DOCCANO_IDS.get(sid, 90 + len(sid))}"


# ---------------------------------------------------------------------------- what a dataset holds


def dataset_rows(out: Path) -> dict[str, dict]:
    from datasets import load_from_disk

    return {row["id"]: row for split in load_from_disk(str(out)).values() for row in split}


def listed(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "problems.jsonl").read_text(encoding="utf-8").splitlines()]


def assert_gold_holds_only_possible_relations(out: Path, ids=lambda sid: sid) -> None:
    rows, problems = dataset_rows(out), listed(out)
    assert len(rows) >= len(CASES)
    for name, head, tail, label, kind in CASES:
        row = rows[name]
        if kind is None:
            assert row["relations"] == [{"head": ids(head), "tail": ids(tail), "label": label}], name
            continue
        assert row["relations"] == [], f"{name}: a relation that cannot hold was exported"
        mine = [p for p in problems if p["document"] == name and p["kind"] == kind]
        assert len(mine) == 1, f"{name}: {[p for p in problems if p['document'] == name]}"
        assert (mine[0]["span"]["head"], mine[0]["span"]["tail"]) == (ids(head), ids(tail)), mine[0]
        assert name in json.dumps(mine[0]) or mine[0]["document"] == name
    for row in rows.values():  # and nothing impossible anywhere
        assert relation_faults(_relations(row), span_labels(row["spans"]), TYPES)[1] == []


def _relations(row: dict):
    from newsgold.annotate.spans import Relation

    return [Relation(r["head"], r["tail"], r["label"]) for r in row["relations"]]


# ---------------------------------------------------------------------------- export


@pytest.mark.parametrize("workers", [1, 2])
def test_label_studio_export_leaves_out_and_lists_every_impossible_relation(tmp_path, workers):
    from newsgold.annotate.formats.labelstudio import task_regions

    source = ls_export(tmp_path / "export.json")
    if workers > 1:
        assert len(task_regions(source, workers)) == workers  # the file is converted in two processes
    out = tmp_path / "ds"
    result = assert_ok(invoke(["annotate", "export", "--from", source, "--out", out, "--workers", workers]))
    assert "one process" not in result.output, result.output  # not fallen back to one process
    assert_gold_holds_only_possible_relations(out)
    problems = [p for p in listed(out) if p["kind"] != "repaired"]
    assert all(p["task_id"] is not None for p in problems)  # each names its task
    rows = dataset_rows(out)
    for name, _, expected, kind in DIRECTIONS:
        assert rows[name]["relations"] == (
            [] if expected is None else [{"head": expected[0], "tail": expected[1], "label": expected[2]}]
        ), name
        kinds = [p["kind"] for p in listed(out) if p["document"] == name]
        assert kinds == ([] if kind is None else [kind]), (name, kinds)


def test_the_two_ways_of_converting_write_the_same_dataset(tmp_path):
    source = ls_export(tmp_path / "export.json")
    for workers in (1, 2):
        assert_ok(
            invoke(["annotate", "export", "--from", source, "--out", tmp_path / f"ds{workers}", "--workers", workers])
        )
    assert (tmp_path / "ds1" / "problems.jsonl").read_bytes() == (tmp_path / "ds2" / "problems.jsonl").read_bytes()


def test_the_majority_vote_keeps_no_impossible_relation(tmp_path):
    """Three annotators drawing the same impossible relation do not make it gold."""
    source = ls_export(tmp_path / "export.json", annotators=3)
    out = tmp_path / "ds"
    assert_ok(invoke(["annotate", "export", "--from", source, "--out", out, "--policy", "majority"]))
    rows, problems = dataset_rows(out), listed(out)
    for name, head, tail, label, kind in CASES:
        if kind is None:
            kept = rows[name]["relations"]
            by_id = {s["id"]: s["label"] for s in rows[name]["spans"]}
            assert [(by_id[r["head"]], by_id[r["tail"]], r["label"]) for r in kept] == [
                (LABEL_OF[head], LABEL_OF[tail], label)
            ]
        else:
            assert rows[name]["relations"] == [], name
            assert [p["kind"] for p in problems if p["document"] == name] == [kind] * 3, name  # one per annotator


def test_the_majority_vote_checks_the_relations_it_joins():
    """The vote joins relations by their spans' offsets: two regions of one span (a duplicate)
    joined by a relation become a relation from a span to itself, which is left out."""
    from newsgold.annotate.export.controls import newsgold_config
    from newsgold.annotate.studio.resolve import resolve_annotations

    schema = SCHEMA.__class__(
        **{
            **SCHEMA.__dict__,
            "relations": SCHEMA.relations + (type(SCHEMA.relations[0])("same", "ACTION", "ACTION", ""),),
        }
    )
    fled = next(s for s in spans() if s["label"] == "ACTION")
    result = [ls_region(fled, "f1"), ls_region(fled, "f2"), ls_relation("f1", "f2", "same")]
    annotations = [{"id": n, "completed_by": n, "updated_at": f"2026-01-0{n}", "result": result} for n in (1, 2, 3)]
    resolved = resolve_annotations(TEXT, annotations, "majority", {}, newsgold_config(schema))
    assert resolved.relations == []
    assert "self-relation" in [p.kind for p in resolved.problems]


@pytest.mark.parametrize("fmt", ["gold", "spacy"])
def test_gold_jsonl_export_leaves_out_and_lists_every_impossible_relation(tmp_path, fmt):
    out = tmp_path / "ds"
    assert_ok(
        invoke(
            ["annotate", "export", "--from", gold_jsonl(tmp_path / "gold.jsonl"), "--out", out, "--from-format", fmt]
        )
    )
    assert_gold_holds_only_possible_relations(out)


def test_doccano_export_leaves_out_and_lists_every_impossible_relation(tmp_path):
    out = tmp_path / "ds"
    assert_ok(invoke(["annotate", "export", "--from", doccano(tmp_path / "doccano.jsonl"), "--out", out]))
    assert_gold_holds_only_possible_relations(out, doccano_id)


# ---------------------------------------------------------------------------- check


def test_check_reports_every_impossible_relation_of_a_dataset_on_disk(tmp_path):
    import pyarrow as pa
    from datasets import load_from_disk

    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"id": "d1", "text": TEXT, "story_id": "s1", "spans": spans()}) + "\n")
    out = tmp_path / "ds"
    assert_ok(invoke(["annotate", "export", "--from", source, "--out", out]))
    assert "no errors" in assert_ok(invoke(["annotate", "check", out])).output
    dataset = load_from_disk(str(out))
    split = next(name for name in dataset if len(dataset[name]))
    rows = dataset[split].to_list()
    rows[0]["relations"] = [{"head": head, "tail": tail, "label": label} for _, head, tail, label, _ in CASES]
    edited = tmp_path / "edited"
    shutil.copytree(out, edited)
    shutil.rmtree(edited / split)
    type(dataset[split])(
        pa.Table.from_pylist(rows, schema=dataset[split].data.schema), info=dataset[split].info
    ).save_to_disk(str(edited / split))
    result = invoke(["annotate", "check", edited])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    lines = result.output.splitlines()
    # the rows' events were left as exported, so they are stale too: one line of their own
    stale = [line for line in lines if line.startswith("error:") and "events column" in line]
    assert len(stale) == 1 and "document d1 events column" in stale[0], "\n".join(lines)
    errors = [line for line in lines if line.startswith("error:") and "relation" in line and line not in stale]
    assert len(errors) == len(BAD), "\n".join(errors)
    for (name, head, tail, label, kind), error in zip(BAD, errors):
        assert f"document d1 relation {label!r} {head} → {tail}" in error and f"({kind})" in error, (name, error)


# ---------------------------------------------------------------------------- score


def test_score_lists_and_leaves_out_impossible_gold_relations(tmp_path):
    from newsgold.annotate import api

    gold = gold_jsonl(tmp_path / "gold.jsonl")
    predicted = tmp_path / "pred.jsonl"
    predicted.write_text(
        "".join(
            json.dumps({"id": name, "text": text_of(k), "spans": spans()}) + "\n"
            for k, (name, *_rest) in enumerate(CASES, 1)
        )
    )
    assert_ok(invoke(["annotate", "score", gold, predicted]))
    report = api.score(gold, predicted)
    listed_ = {(p["document"], p["kind"], p["span"]["head"], p["span"]["tail"]) for p in report["gold_problems"]}
    assert listed_ == {(name, kind, head, tail) for name, head, tail, _, kind in BAD}


def prediction(name: str, head: str, tail: str, label: str) -> dict:
    return {
        "id": name,
        "text": TEXT,
        "model_version": "m1",
        "spans": spans(),
        "relations": [{"head": head, "tail": tail, "label": label}],
    }


@pytest.mark.parametrize("case", BAD, ids=[case[0] for case in BAD])
def test_score_refuses_predictions_with_an_impossible_relation(tmp_path, case):
    name, head, tail, label, _ = case
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": name, "text": TEXT, "spans": spans()}) + "\n")
    predicted = tmp_path / "pred.jsonl"
    predicted.write_text("\n" + json.dumps(prediction(name, head, tail, label)) + "\n")  # on line 2
    assert_refused(
        invoke(["annotate", "score", gold, predicted]), "pred.jsonl line 2", name, f"relation {label!r} {head} → {tail}"
    )


@pytest.mark.parametrize("case", BAD, ids=[case[0] for case in BAD])
def test_push_predictions_refuses_an_impossible_relation_before_reaching_a_server(tmp_path, case):
    from newsgold.annotate.errors import SpanError
    from newsgold.annotate.studio.push import check_predictions

    name, head, tail, label, _ = case
    records = [prediction("fine", IDS["ACTION"], IDS["ACTOR"], "agent"), prediction(name, head, tail, label)]
    with pytest.raises(SpanError) as refused:
        check_predictions(records, "preds.jsonl", SCHEMA)
    assert f"preds.jsonl record 2 (document {name})" in str(refused.value)
    assert f"relation {label!r} {head} → {tail}" in str(refused.value)
    source = tmp_path / "preds.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records))
    assert_refused(
        invoke(
            ["annotate", "push", "--predictions", source, "--project", "demo project", "--data-dir", tmp_path / "ls"]
        ),
        "record 2",
        f"relation {label!r} {head} → {tail}",
    )


def test_push_predictions_takes_the_relations_that_hold():
    from newsgold.annotate.studio.push import check_predictions

    check_predictions(
        [prediction(name, head, tail, label) for name, head, tail, label, kind in CASES if kind is None],
        "preds.jsonl",
        SCHEMA,
    )


# ---------------------------------------------------------------------------- the rules' own relations


def test_the_rule_preannotator_draws_only_relations_that_hold():
    from newsgold.annotate.preannotate import RuleAnnotator
    from tests.conftest import SEEDS, read_documents

    annotator = RuleAnnotator().warm_up()
    documents = read_documents(sorted(SEEDS.glob("*.txt")))[0]
    drawn = 0
    for doc in documents:
        annotation = annotator.annotate(doc)
        kept, faults = relation_faults(annotation.relations, span_labels(annotation.spans), TYPES)
        assert faults == [], f"{doc.id}: {[f.message for f in faults]}"
        drawn += len(kept)
    assert drawn > len(documents)  # the seeds do exercise the relations
