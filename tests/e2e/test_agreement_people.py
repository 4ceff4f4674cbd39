"""Agreement and the majority vote against a real Label Studio: real users annotate the same
tasks (one of them twice), the owner writes a ground truth; people are counted, not
annotations, and what the vote leaves out is listed."""

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from tests.conftest import SEEDS

pytestmark = pytest.mark.e2e

EXTRA_DOC = "Officials said 40 Taliban fighters crossed into Pakistan on Tuesday."


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def key(region):
    return region["value"]["start"], region["value"]["end"], region["value"]["labels"][0]


def test_people_not_annotations_and_the_ground_truth_is_no_annotator(ls_env, ls_client, tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA_DOC)
    run("push", SEEDS, extra, "--project", "agreement people")
    project = ls_client.find_project("agreement people")
    tasks = sorted(ls_client.iter_tasks(project, fields="all"), key=lambda t: t["data"]["source"])
    a, b, c = tasks
    one, two, three = (ls_client.create_user(f"vote{n}@newsgold.local", f"vote-pass-{n}") for n in (1, 2, 3))

    def regions(task):
        return [r for r in task["predictions"][0]["result"] if r["type"] == "labels"]

    # A: vote1 draws the first span twice (two annotations), vote2 the second: one vote each
    xa, ya = regions(a)[:2]
    ls_client.create_annotation(a["id"], [xa], user_id=one)
    ls_client.create_annotation(a["id"], [xa], user_id=one)
    ls_client.create_annotation(a["id"], [ya], user_id=two)
    # B: three annotators; the second span is drawn by vote1 alone
    xb, yb = regions(b)[:2]
    ls_client.create_annotation(b["id"], [xb, yb], user_id=one)
    ls_client.create_annotation(b["id"], [xb], user_id=two)
    ls_client.create_annotation(b["id"], [xb], user_id=three)
    # C: vote1 annotates, the owner writes the ground truth
    xc = regions(c)[0]
    ls_client.create_annotation(c["id"], [xc], user_id=one)
    ls_client.create_annotation(c["id"], [xc], ground_truth=True)
    truth = next(t for t in ls_client.iter_tasks(project, fields="all") if t["id"] == c["id"])
    owner = ls_client.users()[next(x["completed_by"] for x in truth["annotations"] if x["ground_truth"])]

    report = json.loads(run("agreement", "--project", "agreement people", "--json").output)
    vote = [f"vote{n}@newsgold.local" for n in (1, 2, 3)]
    assert report["documents"] == 3
    assert sorted(report["pairs"]) == [f"{vote[0]} vs {vote[1]}", f"{vote[0]} vs {vote[2]}", f"{vote[1]} vs {vote[2]}"]
    assert list(report["ground_truth"]) == [vote[0]]  # the owner is the reference, in no pair
    assert report["ground_truth"][vote[0]][key(xc)[2]] == {"strict": 1.0, "partial": 1.0}
    assert owner not in json.dumps(report["pairs"]) and "an overlap 1/2" in report["definition"]
    # chance-corrected: the three voters are the coders (the owner's ground truth is none); on A
    # and B vote1 drew a span the others did not, so agreement is below perfect but defined
    chance = report["chance"]
    assert sorted(chance["kappa"]) == sorted(report["pairs"]) and set(chance["relations"]) == set(report["pairs"])
    assert chance["alpha"]["tags"] is not None and -1 <= chance["alpha"]["tags"] < 1
    human = run("agreement", "--project", "agreement people").output
    assert "Krippendorff's α" in human and "Cohen's κ" in human
    assert "annotator vs ground truth" in human and "partial: the same label and overlapping" in human

    out = tmp_path / "majority"
    result = run("export", "--project", "agreement people", "--out", out, "--policy", "majority")
    assert "not kept 1 span(s) drawn by a minority, 2 tied span(s), 0 relation(s)" in result.output
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    outvoted = sorted(
        (
            p["task_id"],
            p["kind"],
            tuple(key({"value": {**p["span"], "labels": [p["span"]["label"]]}})),
            tuple(p["span"]["drawn_by"]),
            p["span"]["votes"],
            p["span"]["annotators"],
        )
        for p in problems
        if p["kind"] in ("minority", "tie")
    )
    assert outvoted == sorted(
        [
            (a["id"], "tie", key(xa), (vote[0],), 1, 2),
            (a["id"], "tie", key(ya), (vote[1],), 1, 2),
            (b["id"], "minority", key(yb), (vote[0],), 1, 3),
        ]
    )
    from datasets import load_from_disk

    rows = {row["source"]: row for split in load_from_disk(str(out)).values() for row in split}
    spans = {source: [(s["start"], s["end"], s["label"]) for s in row["spans"]] for source, row in rows.items()}
    assert spans[a["data"]["source"]] == []  # before: vote1's two annotations outvoted vote2
    assert spans[b["data"]["source"]] == [key(xb)]
    assert spans[c["data"]["source"]] == [key(xc)]  # the ground truth wins
    assert rows[a["data"]["source"]]["annotators"] == sorted(vote[:2])
    card = (out / "README.md").read_text()
    assert "## Agreement" in card and "Krippendorff's α" in card and f"| {vote[0]} vs {vote[1]} |" in card
