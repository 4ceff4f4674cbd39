"""annotate push --model against a real Label Studio: one merged model_version per task, scored by
the document's confidence; documents the project already holds get that round once."""

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from tests.conftest import SEEDS, rules_version

pytestmark = pytest.mark.e2e


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from newsgold.annotate import convert_re3d, export_dataset
    from newsgold.train import fit

    tmp = tmp_path_factory.mktemp("model")
    convert_re3d(SEEDS / "corpora" / "re3d", tmp / "re3d.jsonl")
    export_dataset(tmp / "re3d", from_file=tmp / "re3d.jsonl")
    fit(tmp / "re3d", tmp / "model")
    return tmp / "model"


@pytest.fixture
def tagged(monkeypatch):
    """The ids of the documents the merged pre-annotator (rules + tagger) pre-annotates, in order."""
    from newsgold.annotate.preannotate.merge import MergedAnnotator

    seen, annotate_many = [], MergedAnnotator.annotate_many

    def counting(self, documents):
        for annotated in annotate_many(self, documents):
            seen.append(annotated.document.id)
            yield annotated

    monkeypatch.setattr(MergedAnnotator, "annotate_many", counting)
    return seen


def predictions_by_document(client, title):
    project = client.find_project(title)
    tasks = list(client.iter_tasks(project, fields="all"))
    return {t["data"]["newsgold_id"]: [(p["model_version"], p["score"]) for p in t["predictions"]] for t in tasks}


def test_push_with_a_model_stores_one_merged_round_with_the_document_score(ls_env, ls_client, model, tmp_path, tagged):
    expected = tmp_path / "merged.jsonl"
    run("preannotate", SEEDS, "--model", model, "-o", expected)
    records = {r["id"]: r for r in map(json.loads, expected.read_text().splitlines())}
    (version,) = {r["model_version"] for r in records.values()}
    assert version.startswith(rules_version() + "+tagger-")

    tagged.clear()
    first = run("push", SEEDS, "--project", "model round", "--model", model)
    assert "2 new tasks" in first.output and sorted(tagged) == sorted(records)
    stored = predictions_by_document(ls_client, "model round")
    assert stored == {doc: [(version, pytest.approx(r["score"], abs=1e-4))] for doc, r in records.items()}
    tagged.clear()
    again = run("push", SEEDS, "--project", "model round", "--model", model)
    assert "0 new tasks" in again.output and "added this model's round to 0 tasks" in again.output
    assert tagged == []  # every task has the round: the tagger is not run again
    assert predictions_by_document(ls_client, "model round") == stored


def test_push_with_a_model_reaches_documents_the_project_already_held(ls_env, ls_client, model, tagged):
    run("push", SEEDS, "--project", "model later")  # the rules' round
    result = run("push", SEEDS, "--project", "model later", "--model", model)
    assert "0 new tasks" in result.output and "added this model's round to 2 tasks" in result.output
    assert len(tagged) == 2
    tagged.clear()
    rerun = run("push", SEEDS, "--project", "model later", "--model", model)  # a re-run adds nothing
    assert "added this model's round to 0 tasks the project already held (2 had it" in rerun.output
    assert tagged == []  # and pre-annotates nothing
    stored = predictions_by_document(ls_client, "model later")
    assert len(stored) == 2
    for rounds in stored.values():
        versions = [v for v, _ in rounds]
        assert versions[0] == rules_version() and len(versions) == 2 and versions[1].startswith(rules_version() + "+")
    # the model's round is the one annotators are shown next, and the tab is ordered by it
    project = ls_client.find_project("model later")
    assert ls_client.shown_model_version(project) == versions[1]
    assert f"now pre-labels tasks with, and orders tab 'least confident first' by, {versions[1]!r}" in result.output


def test_push_with_the_starter_model(ls_env, ls_client, tmp_path):
    """`annotate push --model starter`, as the demo runs it: one merged round per task under the
    version `annotate preannotate --model starter` gives, the same on a second push (nothing added)."""
    expected = tmp_path / "starter.jsonl"
    run("preannotate", SEEDS, "--model", "starter", "-o", expected)
    (version,) = {json.loads(line)["model_version"] for line in expected.read_text().splitlines()}
    assert version.startswith(rules_version() + "+starter-")
    run("push", SEEDS, "--project", "starter round", "--model", "starter")
    again = run("push", SEEDS, "--project", "starter round", "--model", "starter")
    assert "0 new tasks" in again.output
    stored = predictions_by_document(ls_client, "starter round")
    assert len(stored) == 2 and all([v for v, _ in rounds] == [version] for rounds in stored.values())
