"""An event drawn by hand in the real Label Studio UI comes back from `annotate export` exactly.

Headless Chromium (the fixtures and helpers of test_browser.py) opens a task pushed without
pre-annotations, draws one span of every label an event needs, draws one relation of every type
of the schema (ACTION->ACTOR agent, ACTION->LOCATION place, ACTION->COUNT quantity, COUNT->ACTOR
counts) as an annotator does (select the region, "Create Relation", click the other region) and
chooses each relation's label in the Relations panel, where the choices offered must be exactly
the schema's relation types. After submitting, `annotate export` must hold exactly those spans
and relations, and its `events` column one record for the ACTION with exactly its arguments per
role and the COUNT's `counts` link (the event record contract of issue 22).

The DOM used is Label Studio 1.23's editor (libs/editor/src/components/SidePanels/DetailsPanel/
Relations.tsx and RegionItem.tsx, libs/ui/src/lib/select/select.tsx): the region's button
`aria-label="Create Relation"`, the panel tab `#Relations-draggable`, one `.lsf-relations__item`
per relation with its regions' indexes, its button "Show Relation Labels", and in
`.lsf-relation-meta` a Select whose options are `[role=option][data-value]` in
`[data-testid=select-popup]`. The config asks for one type per relation (`<Relations
choice="single">`; Label Studio's default lets a relation hold several, which the export would
leave out as a problem)."""

import json
import re

import pytest

from newsgold.annotate.schema import load_schema
from newsgold.annotate.studio import server
from tests.e2e.test_browser import TIMEOUT_MS, annotator, drag_over, submit
from tests.e2e.test_loop import run

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PROJECT = "browser events"
TEXT = "About 200 Taliban fighters fled Kunduz on Tuesday, residents said."
WORDS = {"ACTION": "fled", "ACTOR": "Taliban fighters", "LOCATION": "Kunduz", "COUNT": "About 200"}
# Each relation item's two regions, by the index the editor shows them with (from, to).
RELATION_INDEXES = """els => els.map(e => Array.from(e.querySelectorAll('.lsf-detailed-region__index_value'),
                                                     v => v.textContent))"""
OPTIONS = "[data-testid=select-popup] [role=option]"


def open_unannotated(page, url: str, project: int) -> None:
    """Open the project's one task from its task list, as an annotator does, and wait for its text."""
    from playwright.sync_api import expect

    page.goto(f"{url}/projects/{project}/data")
    page.locator("[data-testid=table-row]", has_text=TEXT[:30]).click()
    expect(page.locator(".lsf-richtext__container")).to_have_text(TEXT, timeout=TIMEOUT_MS)
    expect(page.locator(".lsf-richtext__container .htx-highlight")).to_have_count(0)


def draw_span(page, label: str, start: int, end: int) -> None:
    page.locator(".lsf-label", has_text=label).click()
    drag_over(page, start, end)
    page.wait_for_selector(f".htx-highlight[data-start='{start}'][data-end='{end}']")


def draw_relation(page, head: str, tail: str) -> None:
    """From the region listed as `head` in the Regions panel to the one listed as `tail`."""
    page.click("#Regions-draggable")
    page.locator(".lsf-outliner-item", has_text=head).click()
    page.click("button[aria-label='Create Relation']")
    page.locator(".lsf-outliner-item", has_text=tail).click()
    page.click("#Relations-draggable")


def choose_label(page, item, name: str) -> list[str]:
    """Open the relation item's label menu, pick `name`; the values the menu offered."""
    from playwright.sync_api import expect

    item.hover()
    item.locator("button[aria-label='Show Relation Labels']").click()
    item.locator(".lsf-relation-meta button").click()
    options = page.locator(OPTIONS)
    expect(options.first).to_be_visible()
    offered = [option.get_attribute("data-value") for option in options.all()]
    options.filter(has=page.locator("[data-testid=select-option-label]", has_text=re.compile(f"^{name}$"))).click()
    # one type per relation (choice="single"): the menu closes on the pick; a menu of several
    # choices would stay open for more
    expect(page.locator(OPTIONS)).to_have_count(0)
    return offered


def exported_row(out) -> dict:
    lines = [line for path in sorted((out / "jsonl").glob("*.jsonl")) for line in path.read_text().splitlines()]
    assert len(lines) == 1, f"the export holds {len(lines)} documents, not the one annotated"
    return json.loads(lines[0])


def expected_events(schema, spans: dict[str, dict]) -> list[dict]:
    """The event record contract of issue 22 for a document with one span of each label: one
    event for the trigger, each role (a relation from the trigger label) holding the span of its
    `to` label, each argument carrying, per relation from its label, the span it links to."""
    trigger = schema.event_trigger
    tails = {r.name: r.tail for r in schema.relations}
    event = {"id": spans[trigger]["id"], "trigger": spans[trigger]}
    for role in schema.event_roles:
        argument = dict(spans[role.tail])
        for link in schema.argument_links.get(role.tail, []):
            argument[link] = [spans[tails[link]]]
        event[role.name] = [argument]
    return [event]


def test_an_event_drawn_in_the_browser_is_exported_with_exactly_its_arguments(chromium, ls_env, ls_client, tmp_path):
    from playwright.sync_api import expect

    schema = load_schema()
    types = [r.name for r in schema.relations]
    assert {(r.head, r.tail) for r in schema.relations} <= {(a, b) for a in WORDS for b in WORDS}, (
        "a relation of the schema joins a label this test draws no span of: add one to WORDS"
    )
    offsets = {label: (TEXT.index(words), TEXT.index(words) + len(words)) for label, words in WORDS.items()}
    document = tmp_path / "events" / "document.txt"
    document.parent.mkdir()
    document.write_text(TEXT + "\n")
    run("push", document.parent, "--project", PROJECT, "--no-preannotate")
    project = ls_client.find_project(PROJECT)
    (task,) = ls_client.iter_tasks(project, fields="all")
    assert task["predictions"] == []

    with annotator(chromium, ls_env, tmp_path) as (page, steps):
        open_unannotated(page, ls_env.url, project.id)
        for label, (start, end) in offsets.items():
            draw_span(page, label, start, end)
        index = {}  # the number the editor shows each region with, by its words
        for item in page.locator(".lsf-outliner-item").all():
            number, label, words = item.inner_text().split("\n")
            assert WORDS[label] == words, (label, words)
            index[words] = number
        assert len(index) == len(WORDS)
        page.keyboard.press("Escape")  # no region selected before the first relation
        page.screenshot(path=str(steps / "1-spans.png"))

        for count, relation in enumerate(schema.relations, 1):
            head, tail = WORDS[relation.head], WORDS[relation.tail]
            draw_relation(page, head, tail)
            items = page.locator(".lsf-relations__item")
            expect(items).to_have_count(count)
            pairs = page.eval_on_selector_all(".lsf-relations__item", RELATION_INDEXES)
            assert pairs.count([index[head], index[tail]]) == 1, (relation, pairs)
            item = items.nth(pairs.index([index[head], index[tail]]))
            offered = choose_label(page, item, relation.name)
            assert offered == types, f"the relation menu offers {offered}, the schema's types are {types}"
            shown = item.locator(".lsf-relation-meta [data-testid=select-display-value]")
            expect(shown).to_have_text(relation.name)
        page.screenshot(path=str(steps / "2-relations.png"))

        submit(page)

    out = tmp_path / "dataset"
    run("export", "--project", PROJECT, "--out", out)
    row = exported_row(out)
    assert row["text"] == TEXT and row["annotators"] == [server.credentials(ls_env.data_dir)["username"]]
    assert (out / "problems.jsonl").read_text() == ""
    spans = {s["label"]: s for s in row["spans"]}
    assert sorted((s["start"], s["end"], s["label"], s["text"]) for s in row["spans"]) == sorted(
        (*offsets[label], label, words) for label, words in WORDS.items()
    )
    label_of = {s["id"]: s["label"] for s in row["spans"]}
    assert sorted((label_of[r["head"]], label_of[r["tail"]], r["label"]) for r in row["relations"]) == sorted(
        (r.head, r.tail, r.name) for r in schema.relations
    )

    assert "events" in row, (
        f"the export has no `events` column (keys: {sorted(row)}): issue 22 item 1 "
        "(annotate/events.py events_of, the dataset column) is missing"
    )
    assert row["events"] == expected_events(schema, spans)
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    assert [event for split in dataset.values() for events in split["events"] for event in events] == row["events"]
