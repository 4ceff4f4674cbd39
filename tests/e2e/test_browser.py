"""The annotator's view in a real browser: headless Chromium (Debian's `chromium`, driven by
playwright) logs in to the real Label Studio server, opens a task `annotate push` pre-annotated
with the rules, sees the pre-annotations as regions with their scores, corrects them as an
annotator does (deletes a region; clicks a label, then drags over words to add one; submits), and
`annotate export` must hold exactly that correction. After `push --predictions` the editor opens
tasks pre-filled with that round; the tab "least confident first" lists the tasks by score and
"Label Tasks As Displayed" hands out the least confident first.

Outside CI the tests are skipped, with the reason, when playwright or Chromium is missing; in CI
(`CI=true`) they fail instead: `scripts/test.sh` installs Chromium (`scripts/system.sh`) and playwright."""

import json
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsgold.annotate.studio import server
from tests.e2e.test_loop import region_key, run

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PROJECT = "browser correction"
TEXT = (
    "A storm struck as 200 nomad herders fled Kunduz on Tuesday, while Taliban fighters "
    "clashed with border guards near the Tajik border."
)
DELETE = ("struck", "ACTION")  # what a storm did is not what an actor did: the annotator deletes it
ADD = ("nomad herders", "ACTOR")  # people affected are ACTORs: the rules miss this one
# As root (CI) Chromium runs only without its sandbox; containers give /dev/shm little room; the
# closed network of the test machines refuses Chromium's background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

# The page point (x, y) inside the character at a text offset of the Text object: its left edge
# (first=true) or its right edge, found through a DOM Range over the text nodes that the
# region highlights split the text into.
CHARACTER_POINT = """([offset, first]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0, node;
  while ((node = walker.nextNode())) {
    const length = node.textContent.length;
    if (offset < seen + length) {
      const range = document.createRange();
      range.setStart(node, offset - seen);
      range.setEnd(node, offset - seen + 1);
      const box = range.getBoundingClientRect();
      return {x: first ? box.left + 1 : box.right - 1, y: box.top + box.height / 2};
    }
    seen += length;
  }
  return null;
}"""
HIGHLIGHTS = """els => els.map(e => [Number(e.dataset.start), Number(e.dataset.end),
                                    e.dataset.label.replace(/^\\d+:/, ''), e.textContent])"""
OUTLINER = """els => els.map(e => [e.querySelector('.lsf-labels-list').textContent,
                                 e.querySelector('.lsf-outliner-item__text').textContent,
                                 (e.querySelector('.lsf-outliner-item__control_type_score') || {}).textContent])"""


def pushed_task(ls_client, tmp_path, project: str, text: str):
    """Push `text` with the rules to `project`; its task, with its predictions."""
    document = tmp_path / project.replace(" ", "-") / "document.txt"
    document.parent.mkdir()
    document.write_text(text + "\n")
    run("push", document.parent, "--project", project)
    (task,) = ls_client.iter_tasks(ls_client.find_project(project), fields="all")
    return task


def regions_of(prediction: dict) -> dict[str, dict]:
    return {r["id"]: r for r in prediction["result"] if r["type"] == "labels"}


@contextmanager
def annotator(chromium, ls_server, tmp_path):
    """(page, steps): a page of headless Chromium logged in to the server through its login page,
    as the admin newsgold's server created, and a folder for the test's screenshots of its steps.
    Any failure inside becomes an AssertionError naming a new temporary folder with the page's
    screenshot and HTML at the failure and the steps' screenshots (pytest's own temporary folders
    are removed by later runs, also concurrent ones)."""
    from playwright.sync_api import sync_playwright

    credentials = server.credentials(ls_server.data_dir)
    steps = tmp_path / "screenshots"
    steps.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            # only the server under test: analytics and help pages are not fetched
            context.route(re.compile(rf"^(?!{re.escape(ls_server.url)}/)"), lambda route: route.abort())
            page = context.new_page()
            try:
                page.goto(f"{ls_server.url}/user/login/")
                page.fill("#email", credentials["username"])
                page.fill("#password", credentials["password"])
                page.click("button[type=submit]")
                page.wait_for_url(lambda address: "/user/login" not in address, wait_until="commit")
                yield page, steps
            except Exception as exc:
                folder = Path(tempfile.mkdtemp(prefix="newsgold-browser-failure-"))
                for shot in steps.glob("*.png"):
                    shutil.copy(shot, folder / shot.name)
                try:
                    page.screenshot(path=str(folder / "failure.png"), full_page=True)
                    (folder / "failure.html").write_text(page.content())
                except Exception as lost:  # the page itself is gone: the steps' screenshots remain
                    (folder / "failure.txt").write_text(f"no screenshot of the failure: {lost}\n")
                raise AssertionError(f"{type(exc).__name__}: {exc}\nscreenshots and page HTML: {folder}") from exc
        finally:
            browser.close()


def open_task(page, url: str, task: dict, regions: int) -> None:
    """Open the task from its project's task list, as an annotator does, and wait until the
    editor shows `regions` regions, highlighted in the text and listed with a score."""
    from playwright.sync_api import expect

    page.goto(f"{url}/projects/{task['project']}/data")
    page.locator("[data-testid=table-row]", has_text=task["data"]["text"][:30]).click()
    expect(page.locator(".lsf-richtext__container .htx-highlight")).to_have_count(regions, timeout=TIMEOUT_MS)
    expect(page.locator(".lsf-outliner-item__control_type_score")).to_have_count(regions, timeout=TIMEOUT_MS)


def assert_shows(page, text: str, prediction: dict, tab: bool = True) -> None:
    """The editor shows exactly the prediction's regions: highlighted in the text at their
    offsets, and listed in the Regions panel with their scores; with `tab`, the prediction's tab
    above the editor shows its score (a task opened from the task list has these tabs, the
    labeling stream has none)."""
    regions = regions_of(prediction).values()
    shown = page.eval_on_selector_all(".lsf-richtext__container .htx-highlight", HIGHLIGHTS)
    assert sorted((s, e, label) for s, e, label, _ in shown) == sorted(region_key(r) for r in regions)
    assert all(text[s:e] == words for s, e, _, words in shown)
    listed = sorted(page.eval_on_selector_all(".lsf-outliner-item", OUTLINER))
    expected = sorted((r["value"]["labels"][0], r["value"]["text"], r["score"]) for r in regions)
    assert [tuple(item[:2]) for item in listed] == [item[:2] for item in expected], (listed, expected)
    for (label, words, score), (_, _, want) in zip(listed, expected):  # shown to two decimals
        assert score is not None and abs(float(score) - want) <= 0.005 + 1e-9, (label, words, score, want)
    if tab:
        badge = page.locator(f".lsf-annotation-button__info span[title='Prediction score = {prediction['score']}']")
        assert badge.count() == 1, f"no tab of a prediction scored {prediction['score']}"


def drag_over(page, start: int, end: int) -> None:
    """Press the mouse on the first character of [start, end), move to its last, release."""
    first = page.evaluate(CHARACTER_POINT, [start, True])
    last = page.evaluate(CHARACTER_POINT, [end - 1, False])
    assert first and last, f"characters {start}..{end} are not on the page"
    page.mouse.move(first["x"], first["y"])
    page.mouse.down()
    page.mouse.move(last["x"], last["y"], steps=10)
    page.mouse.up()


def test_annotator_corrects_pre_annotations_in_the_browser_and_export_holds_it(chromium, ls_env, ls_client, tmp_path):
    task = pushed_task(ls_client, tmp_path, PROJECT, TEXT)
    (prediction,) = task["predictions"]
    regions = regions_of(prediction)
    spans = {rid: region_key(r) for rid, r in regions.items()}
    relations = {
        (spans[r["from_id"]], spans[r["to_id"]], r["labels"][0])
        for r in prediction["result"]
        if r["type"] == "relation"
    }
    start = TEXT.index(DELETE[0])
    deleted = (start, start + len(DELETE[0]), DELETE[1])
    start = TEXT.index(ADD[0])
    added = (start, start + len(ADD[0]), ADD[1])
    assert deleted in spans.values(), f"the rules no longer predict {deleted}: choose another region to delete"
    assert not any(s < added[1] and added[0] < e for s, e, _ in spans.values()), (
        f"the rules now predict a span over {added}: choose another span to add"
    )

    with annotator(chromium, ls_env, tmp_path) as (page, steps):
        open_task(page, ls_env.url, task, len(spans))
        page.screenshot(path=str(steps / "1-pre-annotated.png"))
        assert_shows(page, TEXT, prediction)

        # delete a region: select it in the Regions list, press its delete button
        page.locator(".lsf-outliner-item", has_text=DELETE[0]).click()
        page.click("button[aria-label='Delete selected region']")
        page.wait_for_selector(f".htx-highlight[data-start='{deleted[0]}'][data-end='{deleted[1]}']", state="detached")

        # add a region: click the label first, then drag over the words. The deleted region's
        # label stays selected after it is gone; the click makes ADD's the only one.
        label = page.locator(".lsf-label", has_text=ADD[1])
        label.click()
        assert "lsf-label_selected" in label.get_attribute("class")
        assert page.locator(".lsf-label_selected").count() == 1
        drag_over(page, added[0], added[1])
        new = page.wait_for_selector(f".htx-highlight[data-start='{added[0]}'][data-end='{added[1]}']")
        assert new.text_content() == ADD[0] and new.get_attribute("data-label").endswith(f":{ADD[1]}")
        page.screenshot(path=str(steps / "2-corrected.png"))

        submit(page)

    out = tmp_path / "dataset"
    run("export", "--project", PROJECT, "--out", out)
    lines = [line for path in sorted((out / "jsonl").glob("*.jsonl")) for line in path.read_text().splitlines()]
    assert len(lines) == 1, f"the export holds {len(lines)} documents, not the one annotated"
    row = json.loads(lines[0])
    assert row["text"] == TEXT and row["annotators"] == [server.credentials(ls_env.data_dir)["username"]]
    exported = {s["id"]: (s["start"], s["end"], s["label"]) for s in row["spans"]}
    assert set(exported.values()) == set(spans.values()) - {deleted} | {added}
    assert len(exported) == len(spans)  # one deleted, one added, nothing doubled
    assert {(exported[r["head"]], exported[r["tail"]], r["label"]) for r in row["relations"]} == {
        r for r in relations if deleted not in r[:2]
    }
    assert (out / "problems.jsonl").read_text() == ""


def test_editor_pre_fills_the_round_pushed_last(chromium, ls_env, ls_client, tmp_path):
    """After `push --predictions`, annotators open the tasks pre-filled with that round, not
    with the rules' round the tasks were pushed with."""
    text = "Officials said 40 Taliban fighters crossed into Pakistan on Tuesday."
    pushed_task(ls_client, tmp_path, "browser rounds", text)
    rules = tmp_path / "rules.jsonl"
    run("preannotate", tmp_path / "browser-rounds", "-o", rules)
    record = json.loads(rules.read_text())
    record.update(model_version="probe-round-2", score=0.37, relations=[])
    record["spans"] = [dict(span, score=0.37) for span in record["spans"] if span["label"] != "ACTION"]
    round_file = tmp_path / "round.jsonl"
    round_file.write_text(json.dumps(record) + "\n")
    run("push", "--predictions", round_file, "--project", "browser rounds")
    (task,) = ls_client.iter_tasks(ls_client.find_project("browser rounds"), fields="all")
    (second,) = [p for p in task["predictions"] if p["model_version"] == "probe-round-2"]
    assert len(regions_of(second)) < max(len(regions_of(p)) for p in task["predictions"])  # the rules' is larger

    with annotator(chromium, ls_env, tmp_path) as (page, steps):
        open_task(page, ls_env.url, task, len(regions_of(second)))
        page.screenshot(path=str(steps / "1-second-round.png"))
        assert_shows(page, text, second)


def test_label_tasks_as_displayed_in_the_tab_starts_with_the_least_confident(chromium, ls_env, ls_client, tmp_path):
    """The tab push made lists the tasks by prediction score, lowest first, with the score shown;
    "Label Tasks As Displayed" in it hands the annotator the least confident task first, pre-filled,
    and the next one after submitting."""
    from playwright.sync_api import expect

    from newsgold.annotate.studio.views import TITLE
    from tests.e2e.test_view import SCORES, TEXTS, documents, scored_round

    title = "browser least confident"
    run("push", documents(tmp_path), "--project", title, "--no-preannotate")
    run("push", "--predictions", scored_round(tmp_path), "--project", title)
    project = ls_client.find_project(title)
    tasks = {t["data"]["text"]: t for t in ls_client.iter_tasks(project, fields="all")}
    order = [TEXTS[SCORES.index(score)] for score in sorted(SCORES)]

    with annotator(chromium, ls_env, tmp_path) as (page, steps):
        page.goto(f"{ls_env.url}/projects/{project.id}/data")
        page.click(f"[role=tab][aria-label='{TITLE}']")
        rows = page.locator("[data-testid=table-row]")
        expect(rows).to_have_count(len(TEXTS), timeout=TIMEOUT_MS)
        expect(rows.first).to_contain_text(order[0][:25], timeout=TIMEOUT_MS)
        page.screenshot(path=str(steps / "1-tab.png"))
        listed = [row.inner_text() for row in rows.all()]
        for row, text, score in zip(listed, order, sorted(SCORES)):
            assert text[:25] in row and f"{score:.3f}" in row, (row, text, score)

        page.click("button[aria-label='Toggle open']")  # beside "Label All Tasks"
        page.get_by_text("Label Tasks As Displayed").click()
        page.click("button[aria-label='Close modal']")  # the guidelines, shown before labeling
        editor = page.locator(".lsf-richtext__container")
        expect(editor).to_have_text(order[0], timeout=TIMEOUT_MS)
        first = tasks[order[0]]
        (prediction,) = first["predictions"]
        expect(page.locator(".lsf-outliner-item__control_type_score")).to_have_count(
            len(regions_of(prediction)), timeout=TIMEOUT_MS
        )
        page.screenshot(path=str(steps / "2-first-task.png"))
        assert_shows(page, order[0], prediction, tab=False)

        submit(page)
        expect(editor).to_have_text(order[1], timeout=TIMEOUT_MS)
        page.screenshot(path=str(steps / "3-next-task.png"))


def submit(page) -> dict:
    """Press the editor's Submit, as an annotator does, wait for the server to store it, and
    return the annotation it stored."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/annotations" in r.url) as answer:
        page.click("button[aria-label='Submit current annotation']")
    assert answer.value.status == 201, answer.value.text()
    return answer.value.json()
