"""Events end to end against a real Label Studio (issue 22, "done when"): gold exported → `train
fit` (tagger and argument linker; the development split chooses what draws the relations) →
`train predict` → `annotate push --model` and `--predictions` → annotators' annotations with
relations through the API → `annotate export`. The predictions pushed carry relations (from_id /
to_id pairs between their own regions, typed by the schema, under the model's version), and the
exported `events` column holds exactly the records built from what the annotators submitted."""

import json
import time

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.events import events_of
from newsgold.annotate.schema import load_schema
from newsgold.train.cli import cli as train_cli
from tests.conftest import ROOT, rules_version

pytestmark = pytest.mark.e2e

PROJECT = "events loop"
SCHEMA = load_schema()
TEXTS = [
    "Rebels attacked a military base near Goma, killing 5 soldiers, the army said on Tuesday.",
    "Police arrested 12 protesters in Nairobi on Monday after clashes with security forces.",
    "Taliban fighters seized two districts in Helmand province after days of fighting.",
    "Israeli troops raided the town of Jenin and detained 3 Palestinians, witnesses said.",
]
# the annotator's own event for TEXTS[0], whatever was predicted: every role, and a counts link
OWN = TEXTS[0]
OWN_SPANS = [
    ("Rebels", "ACTOR", "a"),
    ("attacked", "ACTION", "e1"),
    ("Goma", "LOCATION", "g"),
    ("killing", "ACTION", "e2"),
    ("5", "COUNT", "c"),
    ("soldiers", "ACTOR", "v"),
]
OWN_LINKS = [
    ("e1", "a", "agent"),
    ("e1", "g", "place"),
    ("e2", "a", "agent"),
    ("e2", "c", "quantity"),
    ("c", "v", "counts"),
]


def run(command, *args):
    result = CliRunner().invoke(command, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def region(text, words, label, rid):
    start = text.index(words)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(words), "text": words, "labels": [label]},
    }


def link(head, tail, label):
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": [label]}


def relations_of(result: list[dict]) -> list[tuple[str, str, str]]:
    """(head label, tail label, type) of each relation, checked to join two regions of `result`."""
    labels = {r["id"]: r["value"]["labels"][0] for r in result if r["type"] == "labels"}
    found = []
    for r in result:
        if r["type"] == "relation":
            assert r["from_id"] in labels and r["to_id"] in labels, r
            (name,) = r["labels"]
            found.append((labels[r["from_id"]], labels[r["to_id"]], name))
    return found


def as_gold(result: list[dict]) -> tuple[list[dict], list[dict]]:
    """The spans and relations of a Label Studio result, as the dataset carries them."""
    spans = [
        {
            "id": r["id"],
            "start": r["value"]["start"],
            "end": r["value"]["end"],
            "label": r["value"]["labels"][0],
            "text": r["value"]["text"],
        }
        for r in result
        if r["type"] == "labels"
    ]
    relations = [
        {"head": r["from_id"], "tail": r["to_id"], "label": r["labels"][0]} for r in result if r["type"] == "relation"
    ]
    return spans, relations


def test_fit_predict_push_annotate_export_carries_relations_and_events(ls_env, ls_client, tmp_path):
    started = time.monotonic()
    ends = SCHEMA.relation_ends
    gold = tmp_path / "gold"
    run(
        cli,
        "export",
        "--from",
        ROOT / "seeds" / "gold" / "starter" / "train.jsonl",
        "--out",
        gold,
        "--ratios",
        "0.75,0.25,0",
    )
    model = tmp_path / "model"
    fitted = run(train_cli, "fit", gold, "--out", model).output
    metadata = json.loads((model / "metadata.json").read_text())
    version = metadata["model_version"]
    assert (
        metadata["relations"] in ("linker", "rules")
        and f"relations: the {'argument linker' if metadata['relations'] == 'linker' else 'rules'}'" in fitted
    )

    docs = tmp_path / "docs"
    docs.mkdir()
    for number, text in enumerate(TEXTS):
        (docs / f"{number:02}.txt").write_text(text + "\n")
    predictions = tmp_path / "tagger.jsonl"
    run(train_cli, "predict", model, docs, "-o", predictions)
    records = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert {r["model_version"] for r in records} == {version}
    drawn = [r for record in records for r in record["relations"]]
    assert drawn, f"train predict drew no relation with the {metadata['relations']}' builder"
    for record in records:
        labels = {s["id"]: s["label"] for s in record["spans"]}
        assert all((labels[r["head"]], labels[r["tail"]]) == ends[r["label"]] for r in record["relations"])

    merged = f"{rules_version()}+{version}"
    run(cli, "push", docs, "--project", PROJECT, "--model", model)
    added = run(cli, "push", "--predictions", predictions, "--project", PROJECT).output
    assert f"{len(TEXTS)} predictions added" in added
    project = ls_client.find_project(PROJECT)
    tasks = sorted(ls_client.iter_tasks(project, fields="all"), key=lambda t: t["data"]["source"])
    assert [t["data"]["text"].strip() for t in tasks] == TEXTS
    for round_version in (merged, version):
        pushed = [p for t in tasks for p in t["predictions"] if p["model_version"] == round_version]
        assert len(pushed) == len(TEXTS), round_version
        links = [r for p in pushed for r in relations_of(p["result"])]
        assert links and all((head, tail) == ends[name] for head, tail, name in links), (round_version, links)

    # the annotators: the first task annotated from scratch, every role and a counts link; the
    # others accept the merged pre-annotation but for its last relation
    submitted = {}
    for task in tasks:
        if task["data"]["text"].strip() == OWN:
            result = [region(task["data"]["text"], *span) for span in OWN_SPANS] + [link(*r) for r in OWN_LINKS]
        else:
            (prediction,) = [p for p in task["predictions"] if p["model_version"] == merged]
            result = [dict(r) for r in prediction["result"]]
            dropped = [k for k, r in enumerate(result) if r["type"] == "relation"][-1:]
            result = [r for k, r in enumerate(result) if k not in dropped]
        ls_client.create_annotation(task["id"], result)
        submitted[task["data"]["newsgold_id"]] = as_gold(result)

    out = tmp_path / "dataset"
    run(cli, "export", "--project", PROJECT, "--out", out)
    from datasets import load_from_disk

    rows = {row["id"]: row for split in load_from_disk(str(out)).values() for row in split}
    assert set(rows) == set(submitted)
    for doc_id, (spans, relations) in submitted.items():
        assert rows[doc_id]["events"] == events_of(spans, relations, SCHEMA), doc_id
    (own,) = [row for row in rows.values() if row["text"].strip() == OWN]
    brief = [
        (
            e["trigger"]["text"],
            {
                role.name: [(a["text"], [c["text"] for c in a.get("counts") or []]) for a in e[role.name]]
                for role in SCHEMA.event_roles
            },
        )
        for e in own["events"]
    ]
    assert brief == [
        ("attacked", {"agent": [("Rebels", [])], "place": [("Goma", [])], "quantity": []}),
        ("killing", {"agent": [("Rebels", [])], "place": [], "quantity": [("5", ["soldiers"])]}),
    ]
    print(f"test_events_loop: {time.monotonic() - started:.0f} s (relations by the {metadata['relations']})")
