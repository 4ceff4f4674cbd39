"""A project newsgold did not create, on the real server: its own control names, two Labels
controls and labels of its own, exported with --label-map through its labeling config."""

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli

pytestmark = pytest.mark.e2e

TEXT = "Afghan soldiers fled to Tajikistan, officials said."
CONFIG = """<View>
  <Labels name="ner" toName="content"><Label value="PER"/><Label value="GPE"/><Label value="MISC"/></Labels>
  <Labels name="events" toName="content"><Label value="FLEE"/></Labels>
  <Text name="content" value="$body"/>
</View>"""


def region(start, end, label, rid, control="ner"):
    return {
        "id": rid,
        "from_name": control,
        "to_name": "content",
        "type": "labels",
        "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]},
    }


def test_a_foreign_project_is_exported_through_its_own_config(ls_env, ls_client, tmp_path):
    project = ls_client.create_project("foreign ner", CONFIG, "", "made by hand, not by newsgold")
    [task_id], _ = ls_client.import_tasks(project, [{"body": TEXT, "story_id": "s1"}])
    ls_client.create_annotation(
        task_id,
        [
            region(0, 15, "PER", "p"),
            region(16, 20, "FLEE", "f", "events"),
            region(24, 34, "GPE", "g"),
            region(36, 45, "MISC", "m"),
        ],
    )
    out = tmp_path / "ds"
    runner = CliRunner()
    refused = runner.invoke(cli, ["export", "--project", "foreign ner", "--out", str(out)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.output == (
        "Error: project 'foreign ner': its labeling config offers label 'FLEE' (and GPE, MISC, "
        "PER), not in the schema (ACTOR, LOCATION, COUNT, ACTION); map it with --label-map "
        "FLEE=LABEL, or leave it out with --label-map FLEE=O\n"
    )
    assert not out.exists() and not list(tmp_path.iterdir())

    result = runner.invoke(
        cli,
        [
            "export",
            "--project",
            "foreign ner",
            "--out",
            str(out),
            "--label-map",
            "PER=ACTOR",
            "--label-map",
            "GPE=LOCATION",
            "--label-map",
            "FLEE=ACTION",
            "--label-map",
            "MISC=O",
        ],
    )
    assert result.exit_code == 0, result.output
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    names = dataset["train"].features["ner_tags"].feature.names
    [row] = [row for split in dataset.values() for row in split]
    assert [names[t] for t in row["ner_tags"]] == [
        "B-ACTOR",
        "I-ACTOR",
        "B-ACTION",
        "O",
        "B-LOCATION",
        "O",
        "O",
        "O",
        "O",
    ]
    assert row["annotated_labels"] == ["ACTOR", "LOCATION", "ACTION"]  # the project offers no COUNT
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    assert [(p["kind"], p["task_id"], p["span"]["id"]) for p in problems] == [("left-out", task_id, "m")]
    assert "documents are gold for ACTOR, LOCATION, ACTION only" in result.stderr
