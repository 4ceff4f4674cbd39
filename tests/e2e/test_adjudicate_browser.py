"""Adjudication end to end, the reviewer in a real browser: two annotators (real accounts, their
annotations made through the API) disagree on one task and agree on another; `annotate
adjudicate` gives the disputed task its vote prediction and the tab "to adjudicate" holds it
alone; the reviewer opens the tab, the task, the vote's tab above the editor (the disputed spans
listed with their share of the votes), duplicates it into an annotation, deletes the spans to
reject and submits; `annotate adjudicate` then makes that annotation the ground truth, `annotate
export` holds exactly the reviewer's decision, and running `adjudicate` again adds nothing."""

import json
import re

import pytest

from newsgold.annotate.studio.adjudicate import VERSION
from newsgold.annotate.studio.views import ADJUDICATE_TITLE
from tests.e2e.test_browser import OUTLINER, TIMEOUT_MS, annotator, submit
from tests.e2e.test_loop import run

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PROJECT = "browser adjudicate"
DISPUTED = "Officials said 40 Taliban fighters crossed into Pakistan on Tuesday."
AGREED = "A storm struck Kunduz on Tuesday."


def span(text, words, label, rid, occurrence=0):
    start = text.index(words, occurrence)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(words), "text": words, "labels": [label]},
    }


def link(head, tail, label):
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": [label]}


def key(region):
    return region["value"]["start"], region["value"]["end"], region["value"]["labels"][0]


# both: 40, crossed, Pakistan and crossed → Pakistan; ann1 alone: Officials, "Taliban fighters" and
# crossed → Taliban fighters; ann2 alone: "Taliban" and crossed → Taliban
COMMON = [
    span(DISPUTED, "40", "COUNT", "c"),
    span(DISPUTED, "crossed", "ACTION", "x"),
    span(DISPUTED, "Pakistan", "LOCATION", "p"),
    link("x", "p", "place"),
]
FIRST = COMMON + [
    span(DISPUTED, "Officials", "ACTOR", "o"),
    span(DISPUTED, "Taliban fighters", "ACTOR", "t"),
    link("x", "t", "agent"),
]
SECOND = COMMON + [span(DISPUTED, "Taliban", "ACTOR", "t"), link("x", "t", "agent")]
REJECTED = ("Officials", "Taliban")  # what the reviewer deletes; "Taliban fighters" stays


def test_reviewer_settles_a_disputed_task_in_the_browser_and_export_holds_the_decision(
    chromium, ls_env, ls_client, tmp_path
):
    from playwright.sync_api import expect

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(DISPUTED + "\n")
    (folder / "b.txt").write_text(AGREED + "\n")
    run("push", folder, "--project", PROJECT, "--no-preannotate")
    project = ls_client.find_project(PROJECT)
    tasks = {t["data"]["text"]: t for t in ls_client.iter_tasks(project, fields="all")}
    disputed, agreed = tasks[DISPUTED], tasks[AGREED]
    one, two = (ls_client.create_user(f"adjudicate{n}@newsgold.local", f"adjudicate-pass-{n}") for n in (1, 2))
    ls_client.create_annotation(disputed["id"], FIRST, user_id=one)
    ls_client.create_annotation(disputed["id"], SECOND, user_id=two)
    storm = [span(AGREED, "storm", "ACTOR", "s"), span(AGREED, "Kunduz", "LOCATION", "k")]
    ls_client.create_annotation(agreed["id"], storm, user_id=one)
    ls_client.create_annotation(agreed["id"], storm, user_id=two)

    first = run("adjudicate", "--project", PROJECT).output
    assert "0 task(s) settled" in first and "1 task(s) to adjudicate; 1 vote prediction(s) added" in first, first
    (vote,) = [
        p
        for p in next(t for t in ls_client.iter_tasks(project, fields="all") if t["id"] == disputed["id"])[
            "predictions"
        ]
        if p["model_version"] == VERSION
    ]
    scores = {r["value"]["text"]: r["score"] for r in vote["result"] if r["type"] == "labels"}
    assert scores == {
        "40": 1.0,
        "crossed": 1.0,
        "Pakistan": 1.0,
        "Officials": 0.5,
        "Taliban fighters": 0.5,
        "Taliban": 0.5,
    }

    with annotator(chromium, ls_env, tmp_path) as (page, steps):
        page.goto(f"{ls_env.url}/projects/{project.id}/data")
        page.click(f"[role=tab][aria-label='{ADJUDICATE_TITLE}']")
        rows = page.locator("[data-testid=table-row]")
        expect(rows).to_have_count(1, timeout=TIMEOUT_MS)  # the disputed task alone
        expect(rows.first).to_contain_text(DISPUTED[:25])
        page.screenshot(path=str(steps / "1-tab.png"))
        rows.first.click()

        # the vote's tab above the editor: its regions listed with their share of the votes
        button = page.locator(
            ".lsf-annotation-button", has=page.locator(".lsf-annotation-button__name", has_text=VERSION)
        )
        button.click()
        outliner = page.locator(".lsf-outliner-item")
        expect(outliner).to_have_count(len(scores), timeout=TIMEOUT_MS)
        listed = {words: float(score) for _, words, score in page.eval_on_selector_all(".lsf-outliner-item", OUTLINER)}
        assert listed == scores, listed
        page.screenshot(path=str(steps / "2-vote.png"))

        # duplicate the vote into the reviewer's own annotation, reject two spans, submit
        button.locator(".lsf-annotation-button__trigger").click()
        page.get_by_text("Duplicate Annotation").click()
        expect(page.locator(".lsf-annotation-button")).to_have_count(4, timeout=TIMEOUT_MS)  # the reviewer's too
        expect(outliner).to_have_count(len(scores), timeout=TIMEOUT_MS)
        for number, words in enumerate(REJECTED, start=1):
            outliner.filter(
                has=page.locator(".lsf-outliner-item__text", has_text=re.compile(rf"^{re.escape(words)}$"))
            ).click()
            if number == 1:  # the region's details say why it is disputed
                expect(page.get_by_text("disputed (tie): drawn by adjudicate1@newsgold.local")).to_be_visible()
                page.screenshot(path=str(steps / "3-details.png"))
            page.click("button[aria-label='Delete selected region']")
        expect(outliner).to_have_count(len(scores) - len(REJECTED), timeout=TIMEOUT_MS)
        listed = page.eval_on_selector_all(".lsf-outliner-item", OUTLINER)
        decided = {(DISPUTED.index(words), DISPUTED.index(words) + len(words), label) for label, words, _ in listed}
        assert page.locator(".lsf-richtext__container .htx-highlight[data-label]").count() == len(decided)
        page.screenshot(path=str(steps / "4-decided.png"))
        submitted = submit(page)
        assert submitted["parent_prediction"] == vote["id"]

    wanted = {key(r) for r in COMMON + FIRST if r["type"] == "labels" and r["value"]["text"] not in REJECTED}
    assert decided == wanted
    second = run("adjudicate", "--project", PROJECT).output
    assert f"1 task(s) settled: the reviewer's annotation is now their ground truth ({disputed['id']})" in second
    assert "0 task(s) to adjudicate; 0 vote prediction(s) added, 0 replaced, 0 withdrawn" in second, second
    annotations = next(t for t in ls_client.iter_tasks(project, fields="all") if t["id"] == disputed["id"])[
        "annotations"
    ]
    assert [a["id"] for a in annotations if a["ground_truth"]] == [submitted["id"]]

    out = tmp_path / "dataset"
    run("export", "--project", PROJECT, "--out", out, "--policy", "majority")
    rows = {
        json.loads(line)["text"]: json.loads(line)
        for path in sorted((out / "jsonl").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    }
    row = rows[DISPUTED]
    exported = {s["id"]: (s["start"], s["end"], s["label"]) for s in row["spans"]}
    assert set(exported.values()) == wanted and len(exported) == len(wanted)
    words = {s["id"]: s["text"] for s in row["spans"]}
    assert sorted((words[r["head"]], words[r["tail"]], r["label"]) for r in row["relations"]) == [
        ("crossed", "Pakistan", "place"),
        ("crossed", "Taliban fighters", "agent"),
    ]
    assert {(s["start"], s["end"], s["label"]) for s in rows[AGREED]["spans"]} == {key(r) for r in storm}

    third = run("adjudicate", "--project", PROJECT).output
    assert "0 task(s) settled" in third and "0 task(s) to adjudicate; 0 vote prediction(s) added" in third, third
    views = [v for v in ls_client.views(project) if v["data"].get("title") == ADJUDICATE_TITLE]
    assert len(views) == 1
    predictions = [p for t in ls_client.iter_tasks(project, fields="all") for p in t["predictions"]]
    assert [p["id"] for p in predictions if p["model_version"] == VERSION] == [vote["id"]]
