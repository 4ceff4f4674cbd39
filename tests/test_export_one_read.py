"""An export file without its labeling config is read once: the config is guessed from its
first tasks and checked against the regions of all of them as they are converted. A later task
with a label the first ones did not use still counts (converted again with the whole file's
config), and a label outside the schema there is refused, naming its task and region, with
nothing written. The cyclic garbage collector is paused during an export only."""

import gc
import json

import pytest

from newsgold.annotate import export
from newsgold.annotate.export import export_dataset
from newsgold.annotate.export.controls import config_from_regions
from newsgold.annotate.export.report import ExportError
from newsgold.annotate.formats.labelstudio import task_regions
from newsgold.annotate.schema import load_schema

TEXT = "Afghan soldiers fled to Tajikistan, officials said. " * 40  # tasks big enough to cut a file


def export_file(tmp_path, labels):
    """One task per label, its region of the foreign control `ner` over `TEXT`'s first word; each
    task its own text (one text is one document: tasks of one text give one row)."""
    tasks = [
        {
            "id": i,
            "data": {"text": f"{TEXT}Report {i}.", "story_id": f"s{i}"},
            "annotations": [
                {
                    "id": i,
                    "completed_by": 1,
                    "result": [
                        {
                            "id": f"r{i}",
                            "from_name": "ner",
                            "to_name": "content",
                            "type": "labels",
                            "value": {"start": 0, "end": 6, "text": "Afghan", "labels": [label]},
                        }
                    ],
                }
            ],
        }
        for i, label in enumerate(labels, start=1)
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return path


def dataset_files(out):
    return {
        p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and p.name != "README.md"
    }  # the card holds the folder's name and the time


@pytest.mark.parametrize("workers", [1, 2])
def test_a_label_first_used_after_the_guessed_tasks_counts(tmp_path, monkeypatch, workers):
    source = export_file(tmp_path, ["ACTOR"] * 5 + ["LOCATION"])
    assert len(task_regions(source, 2)) == 2  # with two workers, the file is cut in two
    report = export_dataset(tmp_path / "whole", from_file=source, workers=workers)  # guessed from 64 tasks
    monkeypatch.setattr(export, "_GUESSED_FROM", 2)
    guessed = export_dataset(tmp_path / "guessed", from_file=source, workers=workers)
    assert guessed.notes == report.notes
    assert any("read from the regions (ner: ACTOR, LOCATION)" in note for note in guessed.notes)
    assert dataset_files(tmp_path / "guessed") == dataset_files(tmp_path / "whole")
    rows = [
        json.loads(line)
        for p in (tmp_path / "guessed" / "jsonl").glob("*.jsonl")
        for line in p.read_text().splitlines()
    ]
    assert len(rows) == 6 and {tuple(row["annotated_labels"]) for row in rows} == {("ACTOR", "LOCATION")}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_label_outside_the_schema_after_the_guessed_tasks_is_refused(tmp_path, monkeypatch, workers):
    source = export_file(tmp_path, ["ACTOR"] * 5 + ["WEAPON"])
    monkeypatch.setattr(export, "_GUESSED_FROM", 2)
    with pytest.raises(ExportError) as refused:
        export_dataset(tmp_path / "ds", from_file=source, workers=workers)
    message = str(refused.value)
    assert "task 6 region r6 has label 'WEAPON'" in message and "--label-map WEAPON=" in message
    with pytest.raises(ExportError) as whole:  # what reading the whole file first says
        config_from_regions(source, load_schema(), {})
    assert message == str(whole.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]  # nothing written, nothing left


def test_the_cycle_collector_is_paused_during_an_export_only(tmp_path):
    source = export_file(tmp_path, ["ACTOR"] * 3)
    during = []
    export_dataset(tmp_path / "ds", from_file=source, progress=lambda *_: during.append(gc.isenabled()))
    assert during and not any(during)
    assert gc.isenabled()
    with pytest.raises(ExportError):
        export_dataset(tmp_path / "ds", from_file=source)  # exists: refused
    assert gc.isenabled()
    gc.disable()
    try:
        export_dataset(tmp_path / "ds2", from_file=source)
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
