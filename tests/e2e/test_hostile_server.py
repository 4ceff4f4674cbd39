"""The bad-input corpus (tests/test_hostile.py) for the commands that talk to a real Label Studio:
one `Error:` line naming the item, a non-zero exit, no traceback, and nothing stored."""

import json
import shlex

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.documents import make_document

pytestmark = pytest.mark.e2e

TEXT = "Afghan soldiers fled to Tajikistan, officials said."
PROJECT = "hostile inputs"


def prediction(**span):
    return (
        json.dumps(
            {
                "id": make_document(TEXT, "doc.txt", "doc.txt").id,
                "text": TEXT,
                "model_version": "hostile-1",
                "spans": [{"start": 0, "end": 15, "label": "ACTOR", "text": "Afghan soldiers", **span}],
            }
        )
        + "\n"
    )


CASES = [
    ("push-missing-path", "push {c}/nowhere.txt --project '%s'" % PROJECT, "nowhere.txt"),
    ("push-title-too-short", "push {c}/doc.txt --project ab", "'ab'"),
    ("push-predictions-label-outside-schema", "push --predictions {c}/weapon.jsonl --project '%s'" % PROJECT, "WEAPON"),
    ("push-predictions-past-the-end", "push --predictions {c}/past.jsonl --project '%s'" % PROJECT, "past.jsonl"),
    ("status-unknown-project", "status --project 'no such project'", "no such project"),
    ("agreement-unknown-project", "agreement --project 'no such project'", "no such project"),
    ("export-unknown-project", "export --project 'no such project' --out {c}/x", "no such project"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-server")
    (folder / "doc.txt").write_text(TEXT)
    (folder / "weapon.jsonl").write_text(prediction(label="WEAPON"))
    (folder / "past.jsonl").write_text(prediction(end=500, text=TEXT[:500]))
    return folder


@pytest.mark.parametrize("case, argv, names", CASES, ids=[case[0] for case in CASES])
def test_bad_input_to_a_server_command_gives_one_line(ls_env, ls_client, corpus, case, argv, names):
    pushed = CliRunner().invoke(cli, ["push", str(corpus / "doc.txt"), "--project", PROJECT])  # idempotent
    assert pushed.exit_code == 0, pushed.output
    project = ls_client.find_project(PROJECT)
    before = ls_client.task_fingerprint(project), list(ls_client.iter_tasks(project, fields="all"))
    result = CliRunner().invoke(cli, shlex.split(argv.format(c=corpus)))
    assert "Traceback" not in result.output and (
        result.exception is None or isinstance(result.exception, SystemExit)
    ), f"{case}: {result.exception!r}"
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert result.exit_code != 0 and len(errors) == 1, f"{case}: {result.output}"
    assert names in errors[0], f"{case}: the error does not name {names!r}: {errors[0]}"
    assert not (corpus / "x").exists()
    assert (ls_client.task_fingerprint(project), list(ls_client.iter_tasks(project, fields="all"))) == before
    assert ls_client.find_project("ab") is None
