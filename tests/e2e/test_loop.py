"""The Label Studio loop against a real server: push, annotate through the API as annotators
would in the UI, status, agreement, export, check."""

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from tests.conftest import SEEDS, rules_version

pytestmark = pytest.mark.e2e

EXTRA_DOC = "Officials said 40 Taliban fighters crossed into Pakistan on Tuesday."


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def tasks_of(client, title):
    project = client.find_project(title)
    return project, list(client.iter_tasks(project, fields="all"))


def region_key(region):
    value = region["value"]
    return value["start"], value["end"], value["labels"][0]


def test_server_binds_loopback_and_keeps_token_private(ls_server):
    port = int(ls_server.url.rsplit(":", 1)[1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if Path(table).exists():
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1 only, no 0.0.0.0 or ::
    credentials = ls_server.data_dir / "newsgold-credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    token = json.loads(credentials.read_text())["token"]
    log = (ls_server.data_dir / "label-studio.log").read_text(errors="replace")
    assert token not in log


def test_server_command_reuses_the_running_server(ls_env):
    result = run("server")
    assert ls_env.url in result.output
    assert "running" in run("server", "--status").output


def test_push_creates_project_and_is_idempotent(ls_env, ls_client):
    first = run("push", SEEDS, "--project", "idempotent push")
    assert "2 new tasks" in first.output
    again = run("push", SEEDS, "--project", "idempotent push")
    assert "0 new tasks, 2 already present (known from the ledger of the last push)" in again.output
    project, tasks = tasks_of(ls_client, "idempotent push")
    assert len(tasks) == 2
    assert all(t["predictions"][0]["model_version"] == rules_version() for t in tasks)
    assert "schema hash" in project.description


def test_push_ledger_is_not_trusted_once_the_project_changed(ls_env, ls_client, tmp_path):
    run("push", SEEDS, "--project", "ledger check")
    project = ls_client.find_project("ledger check")
    # another machine pushes a document the ledger cannot know about
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA_DOC)
    from tests.conftest import read_documents

    (doc,), _ = read_documents([extra])
    ls_client.import_tasks(project, [{"data": {"text": doc.text, "newsgold_id": doc.id}}])
    again = run("push", SEEDS, extra, "--project", "ledger check")
    assert "0 new tasks, 3 already present (listed from the server)" in again.output
    third = run("push", SEEDS, extra, "--project", "ledger check")
    assert "0 new tasks, 3 already present (known from the ledger of the last push)" in third.output
    # a task deleted outside newsgold: the ledger still names it, but must not be believed
    ls_client.delete_task(ls_client.task_ids_by_document(project)[doc.id])
    fourth = run("push", SEEDS, extra, "--project", "ledger check")
    assert "1 new tasks, 2 already present (listed from the server)" in fourth.output
    ids = [t["data"]["newsgold_id"] for t in ls_client.iter_tasks(project)]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 3


def test_push_succeeds_when_its_ledger_cannot_be_saved(ls_env, ls_client, tmp_path):
    ledgers = ls_env.data_dir / "push-ledgers"
    aside = tmp_path / "ledgers-aside"
    if ledgers.exists():
        ledgers.rename(aside)
    ledgers.write_text("a file where the ledger folder should be")
    try:
        result = CliRunner().invoke(cli, ["push", str(SEEDS), "--project", "unsaved ledger"])
        assert result.exit_code == 0, result.output
        assert "2 new tasks" in result.output and "could not save the push ledger" in result.output
    finally:
        ledgers.unlink()
        if aside.exists():
            aside.rename(ledgers)
    again = run("push", SEEDS, "--project", "unsaved ledger")
    assert "0 new tasks, 2 already present (listed from the server)" in again.output


def test_full_loop_exports_human_corrections(ls_env, ls_client, tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA_DOC)
    run("push", SEEDS, extra, "--project", "full loop")
    project, tasks = tasks_of(ls_client, "full loop")
    by_source = {t["data"]["source"]: t for t in tasks}
    doc_a, doc_b, doc_c = (
        by_source["000_f9e0f576e8aed2c8.txt"],
        by_source["004_f3d521be71fced6f.txt"],
        by_source["extra.txt"],
    )
    ann1 = ls_client.create_user("ann1@newsgold.local", "annotator-pass-1")
    ann2 = ls_client.create_user("ann2@newsgold.local", "annotator-pass-2")

    # ann2 first draws a single span on A (a disagreement with ann1, who comes later)
    predicted = [r for r in doc_a["predictions"][0]["result"] if r["type"] == "labels"]
    ls_client.create_annotation(doc_a["id"], [dict(predicted[0], id="x1")], user_id=ann2)
    # ann1 corrects the predictions on A: deletes one span, relabels one, adds one
    text_a = doc_a["data"]["text"]
    corrected = [dict(r) for r in predicted[2:]]
    corrected[0] = dict(corrected[0], value=dict(corrected[0]["value"], labels=["ACTION"]))
    start = text_a.index("Global Real News")
    corrected.append(
        {
            "id": "added1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": start, "end": start + 16, "text": "Global Real News", "labels": ["ACTOR"]},
        }
    )
    ls_client.create_annotation(doc_a["id"], corrected, user_id=ann1)
    # B: ann2 skips it, then the project owner labels it as ground truth
    ls_client.create_annotation(doc_b["id"], [], user_id=ann2, cancelled=True)
    text_b = doc_b["data"]["text"]
    gt_start = text_b.index("Tajikistan")
    ground_truth = [
        {
            "id": "g1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": gt_start, "end": gt_start + 10, "text": "Tajikistan", "labels": ["LOCATION"]},
        }
    ]
    ls_client.create_annotation(doc_b["id"], ground_truth, ground_truth=True)
    # C: only a cancelled annotation
    ls_client.create_annotation(doc_c["id"], [], user_id=ann1, cancelled=True)

    status = json.loads(run("status", "--project", "full loop", "--json").output)
    assert status["totals"] == {"tasks": 3, "annotated": 2, "skipped": 1, "remaining": 0}
    assert status["annotators"]["ann1@newsgold.local"] == {"annotations": 1, "cancelled": 1}
    assert status["predictions"] == {rules_version(): 3}
    acceptance = status["acceptance"][rules_version()]
    total = {k: sum(c.get(k, 0) for c in acceptance.values()) for k in ("kept", "changed", "deleted", "added")}
    predicted_b = [r for r in doc_b["predictions"][0]["result"] if r["type"] == "labels"]
    gt_kept = sum(1 for r in predicted_b if region_key(r) == region_key(ground_truth[0]))
    # A: 2 deleted, 1 relabelled (changed), the rest kept, 1 added; B: everything but the GT span deleted
    assert total["kept"] == len(predicted) - 3 + gt_kept
    assert total["changed"] == 1
    assert total["deleted"] == 2 + len(predicted_b) - gt_kept
    assert total["added"] == 1 + (1 - gt_kept)

    agreement = json.loads(run("agreement", "--project", "full loop", "--json").output)
    assert agreement["documents"] == 1 and "ann1@newsgold.local vs ann2@newsgold.local" in agreement["pairs"]
    assert agreement["disagreements"]

    out = tmp_path / "dataset"
    run("export", "--project", "full loop", "--out", out)
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    rows = {row["source"]: row for split in dataset.values() for row in split}
    assert set(rows) == {"000_f9e0f576e8aed2c8.txt", "004_f3d521be71fced6f.txt"}  # C: cancelled only
    exported_a = {(s["start"], s["end"], s["label"]) for s in rows["000_f9e0f576e8aed2c8.txt"]["spans"]}
    assert exported_a == {region_key(r) for r in corrected}  # ann1's corrections, the latest
    assert exported_a != {region_key(r) for r in predicted}  # not the predictions
    assert rows["000_f9e0f576e8aed2c8.txt"]["annotators"] == ["ann1@newsgold.local"]
    assert [(s["start"], s["end"], s["label"]) for s in rows["004_f3d521be71fced6f.txt"]["spans"]] == [
        region_key(ground_truth[0])
    ]
    assert rows["004_f3d521be71fced6f.txt"]["story_id"] == rows["000_f9e0f576e8aed2c8.txt"]["story_id"]
    names = dataset["train"].features["ner_tags"].feature.names
    row_b = rows["004_f3d521be71fced6f.txt"]
    first = next(i for i, (s, _) in enumerate(row_b["token_offsets"]) if s == gt_start)
    assert names[row_b["ner_tags"][first]] == "B-LOCATION"
    card = (out / "README.md").read_text()
    assert "schema" in card and "Agreement" in card and "full loop" in card
    assert (out / "parquet" / "train.parquet").exists() and (out / "jsonl" / "test.jsonl").exists()
    assert run("check", out).exit_code == 0
    assert not list(tmp_path.glob(".dataset.*"))  # the downloaded export and the temporary folder are gone
    # converted in two processes (a region each), the same files
    parallel = tmp_path / "dataset-2"
    run("export", "--project", "full loop", "--out", parallel, "--workers", "2")
    for name in ("train", "validation", "test"):
        assert (parallel / "jsonl" / f"{name}.jsonl").read_bytes() == (out / "jsonl" / f"{name}.jsonl").read_bytes()
        assert (parallel / "parquet" / f"{name}.parquet").read_bytes() == (
            out / "parquet" / f"{name}.parquet"
        ).read_bytes()

    # the same conversion from a Label Studio JSON export file, as downloaded from the UI
    export_file = tmp_path / "project-export.json"
    export_file.write_bytes(b"".join(ls_client.export_chunks(project)))
    from newsgold.annotate.formats.labelstudio import task_regions

    assert len(task_regions(export_file, 2, first_share=0.375)) == 2  # Label Studio's layout can be cut
    from_file = tmp_path / "from-file"
    run("export", "--from", export_file, "--out", from_file)
    again = {row["source"]: row["spans"] for split in load_from_disk(str(from_file)).values() for row in split}
    assert again == {source: row["spans"] for source, row in rows.items()}

    # refuse to overwrite without --force
    refused = run("export", "--project", "full loop", "--out", out, ok=False)
    assert refused.exit_code == 1 and "--force" in refused.output

    # a schema change that would orphan annotations (the ground truth uses LOCATION) is refused
    schema_toml = (SEEDS.parent / "schema" / "newsgold.toml").read_text()
    blocks = [b for b in schema_toml.split("\n\n") if 'name = "LOCATION"' not in b and 'name = "place"' not in b]
    kept = "\n\n".join(blocks).replace('place = "Tajikistan"\n', "")  # the worked event's place goes too
    (tmp_path / "broken.toml").write_text(kept)
    (tmp_path / "guidelines.md").write_text("# guidelines\n")
    refused = run("push", SEEDS, "--project", "full loop", "--schema", tmp_path / "broken.toml", ok=False)
    assert refused.exit_code == 1 and "LOCATION" in refused.output and "no longer has" in refused.output


def test_predictions_round_adds_without_duplicating(ls_env, ls_client, tmp_path):
    run("push", SEEDS, "--project", "predictions round", "--no-preannotate")
    predictions = tmp_path / "model.jsonl"
    run("preannotate", SEEDS, "-o", predictions)
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    for row in rows:
        row["model_version"] = "tagger-test-1"
    rows.append({"id": "not-in-project", "text": "Unknown document.", "spans": [], "model_version": "tagger-test-1"})
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    first = run("push", "--predictions", predictions, "--project", "predictions round")
    assert "2 predictions added" in first.output and "1 documents not in the project" in first.output
    run("push", "--predictions", predictions, "--project", "predictions round")
    _, tasks = tasks_of(ls_client, "predictions round")
    assert len(tasks) == 2
    assert all([p["model_version"] for p in t["predictions"]] == ["tagger-test-1"] for t in tasks)


def test_wrong_token_and_unreachable_server_fail_clearly(ls_server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "wrong-token")
    result = run("push", SEEDS, "--project", "nope", ok=False)
    assert result.exit_code == 1 and "API key was refused" in result.output
    from newsgold.annotate.studio.server import free_port

    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    result = run("status", "--project", "nope", ok=False)
    assert result.exit_code == 1 and "unreachable" in result.output
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    result = run("status", "--project", "nope", ok=False)
    assert result.exit_code == 1 and "LABEL_STUDIO_API_KEY is not set" in result.output


def test_tagger_predictions_close_the_loop(ls_env, ls_client, tmp_path):
    """export (gold) → train fit → train predict → annotate push --predictions → Label Studio."""
    from newsgold.train.cli import cli as train_cli

    runner = CliRunner()
    dataset = tmp_path / "gold"
    assert (
        runner.invoke(cli, ["export", "--from", str(SEEDS / "gold" / "heldout.jsonl"), "--out", str(dataset)]).exit_code
        == 0
    )
    model = tmp_path / "model"
    assert runner.invoke(train_cli, ["fit", str(dataset), "--out", str(model)]).exit_code == 0
    predictions = tmp_path / "tagger.jsonl"
    assert runner.invoke(train_cli, ["predict", str(model), str(SEEDS), "-o", str(predictions)]).exit_code == 0
    version = json.loads((model / "metadata.json").read_text())["model_version"]
    run("push", SEEDS, "--project", "tagger round")
    result = run("push", "--predictions", predictions, "--project", "tagger round")
    assert "2 predictions added" in result.output
    _, tasks = tasks_of(ls_client, "tagger round")
    assert all({p["model_version"] for p in t["predictions"]} == {rules_version(), version} for t in tasks)
