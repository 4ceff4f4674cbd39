"""Identity (issue 20, class 4): an id names one text, compared after one normalisation
(`documents.normalize_id`: `7`, `"7"`, `" 7 "` and NFC/NFD spellings are one id), checked by one
mechanism (`documents.Identities`) in every command where ids meet. Two items with one id and
different texts stop with one line naming both; the same id and text again is one document, said.

The inputs are generated: every spelling pair of one id, in every file shape that carries ids, run
through every command that reads it. Pushing to a server is in tests/e2e/test_identity_push.py."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest

from tests.hostile.kit import assert_ok, assert_refused, digests, invoke, seed_model

ROOT = Path(__file__).resolve().parents[2]
TEXT_A = "Taliban fighters seized Kabul on Sunday, officials said."
TEXT_B = "Afghan soldiers fled to Tajikistan across the river."

# two spellings of one id, as a user's files give them
ONE_ID = {
    "int-and-string": (7, "7"),
    "spaces": ("doc-1", "  doc-1 "),
    "nfc-and-nfd": (unicodedata.normalize("NFC", "zürich-1"), unicodedata.normalize("NFD", "zürich-1")),
    "same": ("x", "x"),
    "big-int": (10**20, str(10**20)),
}
SHOWN = {
    "int-and-string": "7",
    "spaces": "doc-1",
    "nfc-and-nfd": unicodedata.normalize("NFC", "zürich-1"),
    "same": "x",
    "big-int": str(10**20),
}


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def write_csv(path: Path, rows) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "text"])
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A dataset and a model fitted on the seed gold, for `train predict` and `train fit --unlabelled`."""
    return seed_model(tmp_path_factory.mktemp("identity-model"))


# every command that reads raw documents (PATHS), as argv with {input} and {out} (a folder of the test)
READERS = {
    "documents": "annotate documents {input} -o {out}/o.jsonl",
    "preannotate": "annotate preannotate {input} -o {out}/o.jsonl",
    "predict": "train predict {model}/model {input} -o {out}/o.jsonl",
    "fit-unlabelled": "train fit {model}/dataset --out {out}/m --unlabelled {input}",
    # refused while reading its documents, before any server is asked (none runs here)
    "push": "annotate push {input} --project identity-test --data-dir {out}/ls --no-preannotate",
}


def run(command: str, input_path: Path, out: Path, model: Path):
    argv = READERS[command].format(input=input_path, out=out, model=model)
    return invoke(argv)


def conflicting_inputs(tmp: Path, first, second) -> dict[str, tuple[Path, list[str]]]:
    """Inputs where `first` and `second` (one id) name two texts: the input and what the error names."""
    return {
        "jsonl": (
            write_jsonl(tmp / "c.jsonl", [{"id": first, "text": TEXT_A}, {"id": second, "text": TEXT_B}]),
            ["c.jsonl lines 1 and 2"],
        ),
        "csv": (
            write_csv(tmp / "c.csv", [{"id": first, "text": TEXT_A}, {"id": second, "text": TEXT_B}]),
            ["c.csv rows 2 and 3"],
        ),
    }


@pytest.mark.parametrize("command", READERS)
@pytest.mark.parametrize("spelling", ONE_ID)
@pytest.mark.parametrize("shape", ["jsonl", "csv"])
def test_one_id_two_texts_is_refused_naming_both_items(tmp_path, model, command, spelling, shape):
    first, second = ONE_ID[spelling]
    source, names = conflicting_inputs(tmp_path, first, second)[shape]
    before = digests(tmp_path)
    line = assert_refused(run(command, source, tmp_path, model), *names, repr(SHOWN[spelling]), "different texts")
    assert "give each its own id" in line
    assert digests(tmp_path) == before  # nothing written, no data folder made


@pytest.mark.parametrize("command", [c for c in READERS if c != "push"])
def test_one_id_across_two_files_is_refused_naming_both_files(tmp_path, model, command):
    write_jsonl(tmp_path / "a.jsonl", [{"id": 7, "text": TEXT_A}])
    write_csv(tmp_path / "b.csv", [{"id": "7", "text": TEXT_B}])
    joined = " --unlabelled " if command == "fit-unlabelled" else " "  # --unlabelled takes one path each
    argv = READERS[command].format(input=f"{tmp_path}/a.jsonl{joined}{tmp_path}/b.csv", out=tmp_path, model=model)
    assert_refused(invoke(argv), "a.jsonl line 1", "b.csv row 2", "'7'")


@pytest.mark.parametrize("command", ["documents", "preannotate", "predict"])
@pytest.mark.parametrize("spelling", ONE_ID)
def test_one_id_one_text_twice_is_one_document_and_said(tmp_path, model, command, spelling):
    first, second = ONE_ID[spelling]
    source = write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": first, "text": TEXT_A}, {"id": second, "text": " " + TEXT_A}, {"id": "other", "text": TEXT_B}],
    )
    result = assert_ok(run(command, source, tmp_path, model))
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [SHOWN[spelling], "other"]
    assert f"skipped {source} line 2: the same document (id {SHOWN[spelling]}) as {source} line 1: read once" in (
        result.output
    )


def test_documents_without_ids_and_one_text_are_one_document(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(TEXT_A)
    (tmp_path / "in" / "b.txt").write_text(TEXT_A + "\r\n")  # normalised: the same text, so the same id
    result = assert_ok(invoke(f"annotate documents {tmp_path}/in -o {tmp_path}/o.jsonl"))
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1
    assert "b.txt: the same document" in result.output and "1 skipped" in result.output


# ------------------------------------------------------------------ gold files: export --from and score


def gold_files(tmp: Path, first, second, same_text: bool) -> dict[str, Path]:
    texts = (TEXT_A, TEXT_A if same_text else TEXT_B)
    spans = [{"start": 0, "end": 16, "label": "ACTOR"}]
    return {
        "gold": write_jsonl(
            tmp / "g.jsonl", [{"id": i, "text": t, "spans": spans} for i, t in zip((first, second), texts)]
        ),
        "doccano": write_jsonl(
            tmp / "d.jsonl", [{"id": i, "text": t, "label": [[0, 16, "ACTOR"]]} for i, t in zip((first, second), texts)]
        ),
    }


@pytest.mark.parametrize("fmt", ["gold", "doccano"])
@pytest.mark.parametrize("spelling", ONE_ID)
def test_gold_one_id_two_texts_is_refused_by_export_and_score(tmp_path, spelling, fmt):
    first, second = ONE_ID[spelling]
    gold = gold_files(tmp_path, first, second, same_text=False)[fmt]
    predicted = write_jsonl(tmp_path / "p.jsonl", [{"id": SHOWN[spelling], "text": TEXT_A, "spans": []}])
    before = digests(tmp_path)
    for argv in (
        f"annotate export --from {gold} --from-format {fmt} --out {tmp_path}/ds",
        f"annotate score {gold} {predicted} --from-format {fmt}",
    ):
        assert_refused(invoke(argv), f"{gold.name} lines 1 and 2", repr(SHOWN[spelling]), "different texts")
        assert digests(tmp_path) == before


@pytest.mark.parametrize("spelling", ONE_ID)
def test_gold_one_id_one_text_twice_is_exported_once(tmp_path, spelling):
    first, second = ONE_ID[spelling]
    gold = gold_files(tmp_path, first, second, same_text=True)["gold"]
    result = assert_ok(invoke(f"annotate export --from {gold} --out {tmp_path}/ds"))
    rows = [
        json.loads(line)
        for path in sorted((tmp_path / "ds" / "jsonl").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    assert [r["id"] for r in rows] == [SHOWN[spelling]]
    assert "exact copy of an earlier document" in result.output


@pytest.mark.parametrize("spelling", ONE_ID)
def test_score_matches_predictions_to_gold_by_the_one_rule(tmp_path, spelling):
    first, second = ONE_ID[spelling]
    gold = write_jsonl(
        tmp_path / "g.jsonl", [{"id": first, "text": TEXT_A, "spans": [{"start": 0, "end": 16, "label": "ACTOR"}]}]
    )
    predicted = write_jsonl(
        tmp_path / "p.jsonl", [{"id": second, "text": TEXT_A, "spans": [{"start": 0, "end": 16, "label": "ACTOR"}]}]
    )
    result = assert_ok(invoke(f"annotate score {gold} {predicted} --json"))
    report = json.loads(result.stdout)
    assert report["documents"] == 1 and report["micro"]["strict"]["f1"] == 1.0


def test_score_refuses_a_prediction_whose_id_names_another_text_than_the_gold(tmp_path):
    gold = write_jsonl(tmp_path / "g.jsonl", [{"id": 7, "text": TEXT_A, "spans": []}])
    predicted = write_jsonl(tmp_path / "p.jsonl", [{"id": "7", "text": TEXT_B, "spans": []}])
    assert_refused(invoke(f"annotate score {gold} {predicted}"), "g.jsonl line 1", "p.jsonl line 1", "'7'")


def test_score_refuses_one_document_predicted_twice_differently(tmp_path):
    gold = write_jsonl(tmp_path / "g.jsonl", [{"id": 7, "text": TEXT_A, "spans": []}])
    predicted = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": 7, "text": TEXT_A, "spans": []},
            {"id": " 7", "text": TEXT_A, "spans": [{"start": 0, "end": 16, "label": "ACTOR"}]},
        ],
    )
    assert_refused(invoke(f"annotate score {gold} {predicted}"), "p.jsonl line 1", "p.jsonl line 2", "predicted twice")


# ------------------------------------------------------------------ Label Studio export files


def ls_tasks(ids, texts, annotated=(True, True)) -> list[dict]:
    tasks = []
    for k, (doc_id, text, done) in enumerate(zip(ids, texts, annotated), start=1):
        region = {
            "id": f"r{k}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 16, "text": text[:16], "labels": ["ACTOR"]},
        }
        tasks.append(
            {
                "id": k,
                "data": {"text": text, "newsgold_id": doc_id, "story_id": f"s{k}"},
                "annotations": [
                    {
                        "id": k,
                        "completed_by": 1,
                        "was_cancelled": False,
                        "ground_truth": False,
                        "updated_at": "2026-01-01T00:00:00Z",
                        "result": [region],
                    }
                ]
                if done
                else [],
            }
        )
    return tasks


@pytest.mark.parametrize("spelling", ONE_ID)
@pytest.mark.parametrize("annotated", [(True, True), (True, False), (False, True)])
def test_ls_export_one_newsgold_id_two_texts_is_refused_naming_both_tasks(tmp_path, spelling, annotated):
    source = tmp_path / "export.json"
    source.write_text(json.dumps(ls_tasks(ONE_ID[spelling], (TEXT_A, TEXT_B), annotated)))
    before = digests(tmp_path)
    assert_refused(
        invoke(f"annotate export --from {source} --out {tmp_path}/ds"),
        "tasks 1 and 2",
        f"newsgold_id {SHOWN[spelling]!r}",
        "different texts",
    )
    assert digests(tmp_path) == before


@pytest.mark.parametrize("spelling", ONE_ID)
def test_ls_export_two_tasks_of_one_document_give_one_row_and_are_listed(tmp_path, spelling):
    source = tmp_path / "export.json"
    source.write_text(json.dumps(ls_tasks(ONE_ID[spelling], (TEXT_A, TEXT_A))))
    result = assert_ok(invoke(f"annotate export --from {source} --out {tmp_path}/ds"))
    rows = [
        json.loads(line)
        for path in sorted((tmp_path / "ds" / "jsonl").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    assert [r["id"] for r in rows] == [SHOWN[spelling]]
    assert json.loads(rows[0]["provenance"])["task_id"] == 1
    problems = [json.loads(line) for line in (tmp_path / "ds" / "problems.jsonl").read_text().splitlines()]
    assert [(p["kind"], p["task_id"]) for p in problems] == [("duplicate-task", 2)]
    assert "task 1" in problems[0]["detail"]
    assert "not exported: 1 task(s) with the document of an earlier task" in result.output


def test_ls_export_conflict_is_found_across_worker_regions(tmp_path):
    """With several converting processes, the tasks of one id meet in the parent (parallel._one_identity)."""
    from newsgold.annotate.errors import DocumentError
    from newsgold.annotate.export import export_dataset

    tasks = ls_tasks(["a", "b"], (TEXT_A, TEXT_B))  # two tasks, then enough for two regions, then a conflict
    filler = ls_tasks([f"f{k}" for k in range(600)], [f"{TEXT_B} Report {k}." for k in range(600)], [True] * 600)
    last = ls_tasks(["a"], (TEXT_B,))
    everything = tasks + filler + last
    for number, task in enumerate(everything, start=1):
        task["id"] = number
    source = tmp_path / "export.json"
    source.write_text(json.dumps(everything))
    with pytest.raises(DocumentError, match=r"tasks 1 and 603: two tasks with newsgold_id 'a' and different texts"):
        export_dataset(tmp_path / "ds", from_file=source, workers=2)
    assert not (tmp_path / "ds").exists()
    # the same document in two regions: converted again in one process, one row
    last[0]["data"]["text"] = TEXT_A
    source.write_text(json.dumps(everything))
    report = export_dataset(tmp_path / "ds", from_file=source, workers=2)
    assert report.documents == 2 + 600 and sum(report.skipped.values()) == 1
    assert any("task 603 holds a document an earlier part of the file holds too" in note for note in report.notes)


# ------------------------------------------------------------------ re3d, predictions, the ledger


def test_re3d_one_text_in_two_sources_is_one_document_and_counted(tmp_path):
    for source in ("first", "second"):
        folder = tmp_path / "re3d" / source
        folder.mkdir(parents=True)
        write_jsonl(folder / "documents.json", [{"_id": f"{source}-1", "text": TEXT_A, "title": "t"}])
        write_jsonl(
            folder / "entities.json",
            [{"documentId": f"{source}-1", "type": "Organisation", "value": TEXT_A[:16], "begin": 0, "end": 16}],
        )
    result = assert_ok(invoke(f"annotate re3d {tmp_path}/re3d -o {tmp_path}/o.jsonl"))
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["source"] == "re3d/first/first-1"
    assert "not kept: 1 × copy of an earlier document" in result.output


@pytest.mark.parametrize("spelling", ONE_ID)
def test_predictions_ids_are_read_by_the_one_rule(spelling):
    from newsgold.annotate.errors import DocumentError
    from newsgold.annotate.schema import load_schema
    from newsgold.annotate.studio.push import check_predictions

    first, second = ONE_ID[spelling]
    records = [{"id": first, "text": TEXT_A, "spans": []}]
    check_predictions(records, "p.jsonl", load_schema())
    assert records[0]["id"] == SHOWN[spelling]  # as the tasks' newsgold_id is compared
    conflict = [{"id": first, "text": TEXT_A}, {"id": second, "text": TEXT_B}]
    with pytest.raises(DocumentError, match=rf"p.jsonl records 1 and 2: two predictions with id '{SHOWN[spelling]}'"):
        check_predictions(conflict, "p.jsonl", load_schema())


@pytest.mark.parametrize("bad", [[1], {"a": 1}, True, 7.0])
def test_an_id_of_another_type_is_refused_naming_item_and_field(tmp_path, bad):
    from newsgold.annotate.documents import normalize_id
    from newsgold.annotate.errors import DocumentError

    with pytest.raises(DocumentError, match="f line 3: field 'id' is"):
        normalize_id(bad, "f line 3")
    source = write_jsonl(tmp_path / "p.jsonl", [{"id": bad, "text": TEXT_A}])
    assert_refused(invoke(f"annotate documents {source}"), "p.jsonl line 1", "'id'")


def test_a_ledger_whose_ids_are_not_as_a_push_wrote_them_is_not_trusted(tmp_path):
    import orjson

    from newsgold.annotate.studio.errors import Project
    from newsgold.annotate.studio.push import Ledger

    project = Project(id=3, title="t", label_config="", description="", created_at="2026-01-01")
    ledger = Ledger(tmp_path, "http://x", project)
    stamp = ledger.stamp(2, 10)
    ledger.write(stamp, {"7": 1, "d2": 2})
    assert ledger.read(stamp) == {"7": 1, "d2": 2}
    for documents in ({" 7": 1}, {"7": "1"}, {"7": True}):
        ledger.path.write_bytes(orjson.dumps({"stamp": stamp, "documents": documents}))
        assert ledger.read(stamp) is None  # the push lists the tasks instead


@pytest.mark.parametrize("command", ["documents", "preannotate", "predict"])
def test_a_conflict_is_refused_also_with_skip_bad(tmp_path, model, command):
    """--skip-bad skips items that cannot be read; which of two texts an id names only the user can say."""
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 7, "text": TEXT_A}, {"nope": 1}, {"id": "7", "text": TEXT_B}])
    argv = READERS[command].format(input=source, out=tmp_path, model=model) + " --skip-bad"
    assert_refused(invoke(argv), "c.jsonl lines 1 and 3", "'7'")
    assert not (tmp_path / "o.jsonl").exists()
