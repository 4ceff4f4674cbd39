"""Exports of Label Studio projects newsgold did not create, and hostile regions, offline: the
project's own control names and labels are read, mapped onto the schema, and every region that
cannot be taken is listed (with its task), never dropped or turned into a traceback."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.export.controls import config_from_xml, newsgold_config, read_label_map
from newsgold.annotate.export.report import ExportError
from newsgold.annotate.schema import load_schema
from newsgold.annotate.studio.lsformat import from_ls_result

TEXT = "Afghan soldiers fled to Tajikistan, officials said."
O, B_ACTOR, I_ACTOR, B_LOCATION, B_ACTION = "O", "B-ACTOR", "I-ACTOR", "B-LOCATION", "B-ACTION"
FOREIGN_CONFIG = """<View>
  <Labels name="ner" toName="content"><Label value="PER"/><Label value="GPE"/><Label value="MISC"/></Labels>
  <Labels name="events" toName="content"><Label value="FLEE"/></Labels>
  <Text name="content" value="$body"/>
</View>"""


def region(start, end, label, rid, control="label", to="text", text=None, **value):
    return {
        "id": rid,
        "from_name": control,
        "to_name": to,
        "type": "labels",
        "value": {
            "start": start,
            "end": end,
            "text": TEXT[start:end] if text is None else text,
            "labels": [label],
            **value,
        },
    }


def relation(head, tail, label):
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": [label]}


def export_file(tmp_path, result, data=None, name="export.json"):
    task = {
        "id": 7,
        "data": data or {"text": TEXT, "story_id": "s1"},
        "annotations": [{"id": 1, "completed_by": 1, "result": result}],
    }
    path = tmp_path / name
    path.write_text(json.dumps([task]))
    return path


def run_export(tmp_path, source, *options, ok=True):
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out), *map(str, options)])
    assert "Traceback" not in result.output
    assert (result.exit_code == 0) == ok, result.output
    return out, result


def exported(out: Path):
    """The one exported row (tags as names) and the problems listed."""
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    rows = [row for split in dataset.values() for row in split]
    names = dataset["train"].features["ner_tags"].feature.names
    assert len(rows) == 1
    row = dict(rows[0], ner_tags=[names[t] for t in rows[0]["ner_tags"]])
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    return row, problems


def test_foreign_control_names_are_read_from_the_regions(tmp_path):
    """Before: every region of control 'ner' was dropped and the document exported as gold for
    all four labels with every tag O."""
    source = export_file(
        tmp_path, [region(0, 15, "ACTOR", "a", "ner", "content"), region(24, 34, "LOCATION", "b", "ner", "content")]
    )
    out, result = run_export(tmp_path, source)
    row, problems = exported(out)
    assert row["ner_tags"] == [B_ACTOR, I_ACTOR, O, O, B_LOCATION, O, O, O, O]
    assert row["annotated_labels"] == ["ACTOR", "LOCATION"]  # the regions offer no COUNT, ACTION
    assert problems == []
    assert "read from the regions (ner: ACTOR, LOCATION)" in result.stderr
    assert "gold for ACTOR, LOCATION only" in result.stderr


def test_two_labels_controls_a_config_file_and_a_label_map(tmp_path):
    """Two Labels controls over a Text named 'content' that shows the task field 'body': the
    config file says what each offers, the label map renames PER, GPE and FLEE and leaves MISC
    (outside the schema) out, which is refused until the map says so."""
    text_field = {"body": TEXT, "story_id": "s1"}
    source = export_file(
        tmp_path,
        [
            region(0, 15, "PER", "a", "ner", "content"),
            region(16, 20, "FLEE", "b", "events", "content"),
            region(24, 34, "GPE", "c", "ner", "content"),
            region(36, 45, "MISC", "d", "ner", "content"),
        ],
        data=text_field,
    )
    config = tmp_path / "config.xml"
    config.write_text(FOREIGN_CONFIG)
    mapping = tmp_path / "map.txt"
    mapping.write_text("# PER and GPE of the NER template\nPER=ACTOR\nGPE = LOCATION\n\n")
    options = ["--config", config, "--label-map", mapping, "--label-map", "FLEE=ACTION"]
    out, refused = run_export(tmp_path, source, *options, ok=False)
    assert refused.output == (
        f"Error: {config}: its labeling config offers label 'MISC', not in the schema (ACTOR, "
        "LOCATION, COUNT, ACTION); map it with --label-map MISC=LABEL, or leave it out with "
        "--label-map MISC=O\n"
    )
    out, result = run_export(tmp_path, source, *options, "--label-map", "MISC=O")
    row, problems = exported(out)
    assert row["ner_tags"] == [B_ACTOR, I_ACTOR, B_ACTION, O, B_LOCATION, O, O, O, O]
    assert row["annotated_labels"] == ["ACTOR", "LOCATION", "ACTION"]  # in schema order; no COUNT offered
    assert [(p["kind"], p["task_id"], p["span"]["id"]) for p in problems] == [("left-out", 7, "d")]
    assert "gold for ACTOR, LOCATION, ACTION only" in result.stderr


def test_a_label_outside_the_schema_is_one_line_naming_task_and_region(tmp_path):
    """Before: KeyError: 'B-WEAPON' and a traceback."""
    source = export_file(
        tmp_path,
        [region(0, 15, "ACTOR", "a"), region(16, 20, "WEAPON", "w")],
        data={"text": TEXT, "newsgold_id": "d1", "story_id": "s1"},
    )
    out, refused = run_export(tmp_path, source, ok=False)
    assert refused.output == (
        f"Error: {source}: task 7 region w has label 'WEAPON', not in the schema (ACTOR, "
        "LOCATION, COUNT, ACTION); map it with --label-map WEAPON=LABEL, or leave it out with "
        "--label-map WEAPON=O\n"
    )
    assert not out.exists()
    out, _ = run_export(tmp_path, source, "--label-map", "WEAPON=ACTION")
    assert exported(out)[0]["ner_tags"] == [B_ACTOR, I_ACTOR, B_ACTION, O, O, O, O, O, O]
    out, _ = run_export(tmp_path, source, "--label-map", "WEAPON=O", "--force")
    row, problems = exported(out)
    assert row["ner_tags"] == [B_ACTOR, I_ACTOR, O, O, O, O, O, O, O]
    assert row["annotated_labels"] == ["ACTOR", "LOCATION", "COUNT", "ACTION"]  # newsgold's own project
    assert [(p["kind"], p["task_id"], p["span"]["id"], p["span"]["labels"]) for p in problems] == [
        ("left-out", 7, "w", ["WEAPON"])
    ]


def test_a_region_label_the_given_config_does_not_offer_is_listed(tmp_path):
    """With --config, a region whose label the config does not offer (the config changed, or
    is not this project's) is listed with its task and region, not dropped."""
    config = tmp_path / "config.xml"
    config.write_text(
        '<View><Labels name="label" toName="text"><Label value="ACTOR"/></Labels>'
        '<Text name="text" value="$text"/></View>'
    )
    source = export_file(tmp_path, [region(0, 15, "ACTOR", "a"), region(16, 20, "WEAPON", "w")])
    row, problems = exported(run_export(tmp_path, source, "--config", config)[0])
    assert row["annotated_labels"] == ["ACTOR"]
    assert [(p["kind"], p["task_id"], p["span"]["id"]) for p in problems] == [("unknown-label", 7, "w")]
    assert "map it with --label-map WEAPON=LABEL" in problems[0]["detail"]


def test_a_project_whose_labels_are_none_of_the_schemas_is_one_line_and_writes_nothing(tmp_path):
    source = export_file(tmp_path, [region(0, 15, "PER", "a"), region(24, 34, "GPE", "b")])
    out, result = run_export(tmp_path, source, ok=False)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"Error: {source}: task 7 region b has label 'GPE' (and PER), not in the schema")
    assert "--label-map GPE=LABEL" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "options, cause",
    [
        (["--label-map", "PER=PERSON"], "PERSON is neither a schema label"),
        (["--label-map", "PER"], "'PER' is neither OLD=NEW nor an existing file"),
        (["--label-map", "PER=ACTOR", "--label-map", "PER=LOCATION"], "PER is mapped to both ACTOR and LOCATION"),
        (["--config", "{bad}"], "not a Label Studio labeling config"),
        (["--config", "{textless}"], "no Labels control over a Text object"),
    ],
)
def test_bad_label_maps_and_configs_are_one_line(tmp_path, options, cause):
    (tmp_path / "bad.xml").write_text("<View><Labels name='x'")
    (tmp_path / "textless.xml").write_text(
        '<View><Choices name="c" toName="t"><Choice value="a"/></Choices><Text name="t" value="$text"/></View>'
    )
    source = export_file(tmp_path, [region(0, 15, "PER", "a")])
    options = [o.format(bad=tmp_path / "bad.xml", textless=tmp_path / "textless.xml") for o in options]
    out, result = run_export(tmp_path, source, *options, ok=False)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and cause in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_config_and_label_map_are_refused_where_they_do_not_apply(tmp_path):
    from newsgold.annotate import export_dataset

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": TEXT, "spans": []}) + "\n")
    with pytest.raises(ExportError, match="--config applies to Label Studio exports"):
        export_dataset(tmp_path / "ds", from_file=gold, config=gold)
    with pytest.raises(ExportError, match="read from Label Studio"):
        export_dataset(tmp_path / "ds", project="p", config=gold)


def test_label_map_in_the_python_api(tmp_path):
    from newsgold.annotate import export_dataset

    source = export_file(
        tmp_path, [region(0, 15, "PER", "a", "ner", "content"), region(24, 34, "GPE", "b", "ner", "content")]
    )
    report = export_dataset(tmp_path / "ds", from_file=source, label_map={"PER": "ACTOR", "GPE": "LOCATION"})
    row, problems = exported(tmp_path / "ds")
    assert row["ner_tags"] == [B_ACTOR, I_ACTOR, O, O, B_LOCATION, O, O, O, O] and problems == []
    assert any("gold for ACTOR, LOCATION only" in note for note in report.notes)
    mapping = tmp_path / "map.txt"
    mapping.write_text("PER=ACTOR\nGPE=LOCATION\n")
    export_dataset(tmp_path / "ds2", from_file=source, label_map=mapping)
    assert exported(tmp_path / "ds2")[0]["ner_tags"] == row["ner_tags"]


def test_a_whitespace_padded_region_is_trimmed_to_the_token_and_recorded(tmp_path):
    """Label Studio #556: a double-click selects the space too. Before: listed as misaligned
    ("edges fall inside a token") and left out of ner_tags."""
    text = "Police said Jane Smith left."
    padded = {
        "id": "p",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 11, "end": 23, "text": " Jane Smith ", "labels": ["ACTOR"]},
    }
    spans, _, problems = from_ls_result(text, [padded], newsgold_config(load_schema()))
    assert [(s.start, s.end, s.text) for s in spans] == [(12, 22, "Jane Smith")]
    assert [(p.kind, p.detail) for p in problems] == [("repaired", "surrounding whitespace trimmed to [12, 22)")]
    blank = dict(padded, value={"start": 11, "end": 12, "text": " ", "labels": ["ACTOR"]})
    assert [p.kind for p in from_ls_result(text, [blank])[2]] == ["empty"]
    source = export_file(tmp_path, [region(23, 34, "LOCATION", "a")])  # " Tajikistan"
    row, problems = exported(run_export(tmp_path, source)[0])
    assert row["ner_tags"][4] == B_LOCATION
    assert [(p["kind"], p["span"]["id"]) for p in problems] == [("repaired", "a")]


def test_an_empty_region_is_listed_and_the_export_goes_on(tmp_path):
    """Before: `span ACTOR [5, 5) is empty or outside the text` stopped the whole export."""
    source = export_file(
        tmp_path,
        [
            region(5, 5, "ACTOR", "e"),
            region(24, 34, "LOCATION", "b"),
            region(46, 90, "ACTION", "long", text="said."),
            region(60, 70, "ACTOR", "far", text="Kabul"),
        ],
    )
    row, problems = exported(run_export(tmp_path, source)[0])
    assert row["ner_tags"][4] == B_LOCATION and row["ner_tags"][-2] == B_ACTION
    assert [(p["kind"], p["span"]["id"], p["task_id"]) for p in problems] == [
        ("empty", "e", 7),
        ("repaired", "long", 7),
        ("offset-mismatch", "far", 7),
    ]
    assert problems[1]["detail"] == "moved to [46, 51)"  # its end was past the text (length 51)
    assert "outside the text (length 51)" in problems[2]["detail"]


def test_offsets_given_as_strings(tmp_path):
    """Before: TypeError: slice indices must be integers (a traceback). Integer strings are read
    (the text check still guards them) and recorded; anything else is listed."""
    strings = region(0, 15, "ACTOR", "s")
    strings["value"].update(start="0", end="15")
    floats = region(24, 34, "LOCATION", "f")
    floats["value"].update(start=24.0, end=34.0)
    words = region(16, 20, "ACTION", "w")
    words["value"].update(start="sixteen")
    source = export_file(tmp_path, [strings, floats, words])
    row, problems = exported(run_export(tmp_path, source)[0])
    assert row["ner_tags"] == [B_ACTOR, I_ACTOR, O, O, B_LOCATION, O, O, O, O]
    assert [(p["kind"], p["span"]["id"]) for p in problems] == [
        ("repaired", "s"),
        ("repaired", "f"),
        ("bad-offsets", "w"),
    ]
    assert problems[0]["detail"] == "offsets given as strings, read as integers"
    assert "start='sixteen'" in problems[2]["detail"]


def test_regions_that_are_not_spans_or_of_unknown_controls_are_listed():
    config = newsgold_config(load_schema())
    result = [
        region(0, 15, "ACTOR", "a"),
        region(24, 34, "LOCATION", "x", "places"),
        {"id": "c", "from_name": "mood", "to_name": "text", "type": "choices", "value": {"choices": ["calm"]}},
        "garbage",
    ]
    spans, _, problems = from_ls_result(TEXT, result, config)
    assert [s.id for s in spans] == ["a"]
    assert [p.kind for p in problems] == ["unknown-control", "not-a-span", "not-a-span"]
    assert "control 'places' over 'text'" in problems[0].detail


def test_broken_relations_are_listed_in_the_export(tmp_path):
    """Before: a relation to a missing region and one of an unknown type were exported as they were."""
    source = export_file(
        tmp_path,
        [
            region(0, 15, "ACTOR", "a"),
            region(16, 20, "ACTION", "b"),
            region(24, 34, "WEAPON", "w"),
            relation("b", "a", "agent"),
            relation("b", "zz", "agent"),
            relation("b", "w", "place"),
            relation("b", "a", "owns"),
            relation("b", "a", "uses"),
        ],
        data={"text": TEXT, "newsgold_id": "d1", "story_id": "s1"},
    )
    row, problems = exported(run_export(tmp_path, source, "--label-map", "WEAPON=O", "--label-map", "uses=O")[0])
    assert row["relations"] == [{"head": "b", "tail": "a", "label": "agent"}]
    kinds = [(p["kind"], p["span"].get("to_id")) for p in problems]
    assert kinds == [
        ("left-out", None),
        ("broken-relation", "zz"),
        ("broken-relation", "w"),
        ("unknown-relation", "a"),
        ("left-out", "a"),
    ]
    check = CliRunner().invoke(cli, ["check", str(tmp_path / "ds")])
    assert check.exit_code == 0, check.output  # what was exported is consistent


def test_check_reports_relations_to_missing_spans_and_unknown_types(tmp_path):
    """Before: `annotate check` said "no errors" for such a dataset."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "id": "g1",
                "text": TEXT,
                "spans": [
                    {"id": "a", "start": 0, "end": 15, "label": "ACTOR", "text": "Afghan soldiers"},
                    {"id": "b", "start": 16, "end": 20, "label": "ACTION", "text": "fled"},
                ],
                "relations": [
                    {"head": "b", "tail": "zz", "label": "agent"},
                    {"head": "b", "tail": "a", "label": "owns"},
                ],
            }
        )
        + "\n"
    )
    out, _ = run_export(tmp_path, gold)
    # the export leaves both out and lists them ...
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    assert sorted(p["kind"] for p in problems) == ["broken-relation", "unknown-relation"]  # the validator's kinds
    assert "no errors" in CliRunner().invoke(cli, ["check", str(out)]).output
    # ... and `check` catches them in a dataset written otherwise (here: edited after the export)
    import pyarrow as pa
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    split = next(name for name in dataset if len(dataset[name]))
    rows = dataset[split].to_list()
    rows[0]["relations"] = [{"head": "b", "tail": "zz", "label": "agent"}, {"head": "b", "tail": "a", "label": "owns"}]
    edited = tmp_path / "edited"
    shutil.copytree(out, edited)
    shutil.rmtree(edited / split)
    type(dataset[split])(
        pa.Table.from_pylist(rows, schema=dataset[split].data.schema), info=dataset[split].info
    ).save_to_disk(str(edited / split))
    check = CliRunner().invoke(cli, ["check", str(edited)])
    assert check.exit_code == 1 and "Traceback" not in check.output, check.output
    errors = [line for line in check.output.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {split}: document g1 relation 'agent' b → zz: 'zz' is not the id of a span of the document "
        "(missing, or itself left out as a problem) (broken-relation); fix it at its source and export again",
        f"error: {split}: document g1 relation 'owns' b → a: type 'owns' is not a relation type of the schema "
        "(agent (ACTION → ACTOR), place (ACTION → LOCATION), quantity (ACTION → COUNT), counts (COUNT → ACTOR)) "
        "(unknown-relation); fix it at its source and export again",
    ]


def test_majority_and_agreement_read_the_foreign_config(tmp_path):
    from newsgold.annotate.studio.agreement import agreement
    from newsgold.annotate.studio.resolve import resolve_annotations

    mapping = {"PER": "ACTOR", "GPE": "LOCATION", "FLEE": "ACTION", "MISC": "O"}
    config, _ = config_from_xml(FOREIGN_CONFIG, "config", load_schema(), mapping)
    ner = [region(0, 15, "PER", "a", "ner", "content"), region(24, 34, "GPE", "b", "ner", "content")]
    annotations = [{"id": k, "completed_by": k, "result": ner[:n]} for k, n in ((1, 1), (2, 2), (3, 2))]
    resolved = resolve_annotations(TEXT, annotations, "majority", {}, config)
    assert [(s.label, s.text) for s in resolved.spans] == [("ACTOR", "Afghan soldiers"), ("LOCATION", "Tajikistan")]
    agreed = agreement(
        [{"id": 1, "data": {"body": TEXT}, "annotations": annotations[:2]}], list(load_schema().label_names), {}, config
    )
    assert agreed["documents"] == 1 and agreed["pairs"]["1 vs 2"]["ACTOR"]["strict"] == 1.0


def test_read_label_map_items_and_files(tmp_path):
    mapping = tmp_path / "map.txt"
    mapping.write_text("# comment\nPER=ACTOR\n\nGPE=LOCATION\nbroken line\n")
    with pytest.raises(ExportError, match=r"map.txt line 5: 'broken line' is neither OLD=NEW"):
        read_label_map([mapping])
    mapping.write_text("PER=ACTOR\n")
    assert read_label_map(["ORG=ACTOR", mapping]) == {"ORG": "ACTOR", "PER": "ACTOR"}


@pytest.mark.parametrize(
    "change, kind",
    [
        ({"labels": "ACTOR"}, "multi-label"),
        ({"labels": [["ACTOR"]]}, "unknown-label"),
        ({"start": None}, "bad-offsets"),
        ({"start": True}, "bad-offsets"),
        ({"start": "²"}, "bad-offsets"),  # a digit to str.isdigit, not to int(): raised ValueError
        ({"start": 15, "end": 3}, "empty"),
        ({"text": 5}, "offset-mismatch"),
    ],
)
def test_hostile_region_values_are_listed_never_raised(change, kind):
    hostile = region(0, 15, "ACTOR", "h")
    hostile["value"].update(change)
    spans, _, problems = from_ls_result(
        TEXT, [hostile, region(24, 34, "LOCATION", "ok")], newsgold_config(load_schema())
    )
    assert [s.id for s in spans] == ["ok"] and [p.kind for p in problems] == [kind]


def test_hostile_region_shapes_are_listed_never_raised():
    config = newsgold_config(load_schema())
    shapes = [
        dict(region(0, 15, "ACTOR", "v"), value=[1]),
        dict(region(0, 15, "ACTOR", "n"), from_name=5),
        {"type": "relation", "labels": ["agent"]},
        {"type": "relation", "from_id": "a", "to_id": "a"},
    ]
    spans, relations, problems = from_ls_result(TEXT, shapes, config)
    assert spans == [] and relations == []
    # a value that is not an object is a region of the wrong shape (it was listed as "0 labels", multi-label)
    assert [p.kind for p in problems] == ["bad-shape", "unknown-control", "broken-relation", "unlabeled-relation"]
