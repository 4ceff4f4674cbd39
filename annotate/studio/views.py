"""The Data Manager tab "least confident first": the project's tasks by prediction score, lowest first.

Label Studio Community Edition has no active learning; what it has is the Data Manager tab
(a "view": a title, an ordering, filters, hidden columns) and "Label tasks as displayed", which
hands an annotator the tab's tasks in the tab's order. So every push makes sure the project has
exactly one tab titled `TITLE`, ordered by `tasks:predictions_score` ascending, with the
Prediction score column shown (Label Studio hides it by default).

What the score is, in Label Studio 1.23 (`data_manager.managers.annotate_predictions_score`):
the mean `score` of the task's predictions of the project's model version (Settings →
Predictions; Label Studio sets it to the first version imported with tasks, and the same version
is the one the labeling stream pre-labels with), or of all its predictions when the project has
none. Tasks without a score come last. newsgold sends one prediction per task and version, scored
with the pre-annotator's confidence in the whole document.

Tabs have no unique key on the server, and two pushes may run at once, so a push that creates
the tab lists the tabs again; every push keeps the oldest tab of that title and deletes the
others (another push may delete the same one first). A push also puts back what makes the tab
what its title says, when someone changed it: the ordering and the visible score column. Filters,
column widths and other hidden columns are the team's and stay as they are; a tab renamed is no
longer ours, and the next push adds a new one.
"""

from __future__ import annotations

from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.errors import Project

TITLE = "least confident first"
ORDERING = ["tasks:predictions_score"]  # ascending: the least confident first
SCORE_COLUMN = "tasks:predictions_score"


def _shown(hidden: dict | None, defaults: dict[str, list[str]]) -> dict[str, list[str]]:
    """Hidden columns (per mode, as the web UI stores them; None: the project's defaults) with
    the score column shown in the table (`explore`)."""
    hidden = {mode: list(ids) for mode, ids in (defaults if hidden is None else hidden).items()}
    hidden["explore"] = [column for column in hidden.get("explore", []) if column != SCORE_COLUMN]
    return hidden


def shown_version(ls: LabelStudio, project: Project, pushed: set[str], switch: bool = False) -> str | None:
    """After a push stored predictions under the versions `pushed`, make the round annotators see
    (and the tab is ordered by) the one this push brought, or say why not.

    When the project has chosen no model version, the one pushed is chosen (what Label Studio
    itself does for tasks imported with predictions, and not for predictions added to existing
    tasks). When it has chosen another, a push that brings a new round on purpose (`switch`: a
    trained model's round, `push --model` or `push --predictions`) chooses it and says which it
    replaced; a rules-only push never takes the display away from another round and says so, since
    its tasks are then shown without pre-annotation and ordered last."""
    if not pushed:
        return None
    shown = ls.shown_model_version(project)
    if shown in pushed:
        return None
    if len(pushed) == 1 and (switch or not shown):
        version = next(iter(pushed))
        ls.show_model_version(project, version)
        return (
            (
                f"project {project.title!r} now pre-labels tasks with, and orders tab {TITLE!r} by, {version!r} "
                f"(was {shown!r}); tasks without it are shown no pre-annotation"
            )
            if shown
            else None
        )
    return (
        f"project {project.title!r} pre-labels tasks with, and orders tab {TITLE!r} by, the predictions of "
        f"{f'model version {shown!r}' if shown else 'no single model version'}, not "
        f"{', '.join(sorted(pushed))} of this push; to use this round choose it in the project's Settings → "
        "Annotation → Prelabeling"
    )


def ensure_view(ls: LabelStudio, project: Project) -> tuple[int | None, str]:
    """Make the project hold exactly one tab `TITLE`, ordered and showing the score; returns its
    id (None if someone deleted it meanwhile) and what was done: "created", "repaired" (its
    ordering or score column put back) or "kept"."""
    view, outcome = _one_tab(
        ls,
        project,
        TITLE,
        lambda: {
            "title": TITLE,
            "ordering": ORDERING,
            "type": "list",
            "target": "tasks",
            "hiddenColumns": _shown(None, ls.hidden_columns(project)),
        },
    )
    if view is None:  # deleted meanwhile by someone else: the next push makes it again
        return None, outcome
    data = {key: value for key, value in view["data"].items() if key not in ("filters", "selectedItems")}
    hidden = data.get("hiddenColumns") if isinstance(data.get("hiddenColumns"), dict) else None
    if data.get("ordering") != ORDERING or hidden is None or SCORE_COLUMN in (hidden.get("explore") or []):
        data["ordering"] = ORDERING
        data["hiddenColumns"] = _shown(hidden, ls.hidden_columns(project) if hidden is None else {})
        ls.update_view(project, view["id"], data)
        outcome = "repaired" if outcome == "kept" else outcome
    return view["id"], outcome


def _one_tab(ls: LabelStudio, project: Project, title: str, make) -> tuple[dict | None, str]:
    """The project's one tab titled `title` (created from `make()` when missing; the oldest kept
    and the others deleted, as concurrent runs may each create one) and "created" or "kept"."""
    ours = [view for view in ls.views(project) if view["data"].get("title") == title]
    outcome = "kept"
    if not ours:
        created = ls.create_view(project, make())
        ours = [view for view in ls.views(project) if view["data"].get("title") == title]
        outcome = "created" if ours and ours[0]["id"] == created else "kept"
    for duplicate in ours[1:]:  # made by a concurrent run (or one interrupted before it cleaned up)
        ls.delete_view(project, duplicate["id"])
    return (ours[0] if ours else None), outcome


ADJUDICATE_TITLE = "to adjudicate"


def id_filters(task_ids) -> dict:
    """Data Manager filters holding exactly `task_ids`: one id range per run of consecutive ids,
    any of them (`or`); none matches no task (id 0)."""
    runs: list[list[int]] = []
    for tid in sorted(set(task_ids)):
        if runs and tid == runs[-1][1] + 1:
            runs[-1][1] = tid
        else:
            runs.append([tid, tid])
    items = [
        {"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": low}
        if low == high
        else {"filter": "filter:tasks:id", "operator": "in", "type": "Number", "value": {"min": low, "max": high}}
        for low, high in runs
    ] or [{"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": 0}]
    return {"conjunction": "or", "items": items}


def ensure_adjudication_view(ls: LabelStudio, project: Project, task_ids) -> tuple[int | None, str]:
    """Make the project hold exactly one tab `ADJUDICATE_TITLE` whose filters hold exactly
    `task_ids` (the tasks `annotate adjudicate` found, by id: Label Studio Community's Data
    Manager has no filter on ground truth), ordered by id; returns its id and "created",
    "updated" (its tasks changed) or "kept"."""
    filters = id_filters(task_ids)
    view, outcome = _one_tab(
        ls,
        project,
        ADJUDICATE_TITLE,
        lambda: {
            "title": ADJUDICATE_TITLE,
            "ordering": ["tasks:id"],
            "type": "list",
            "target": "tasks",
            "filters": filters,
            "hiddenColumns": ls.hidden_columns(project),
        },
    )
    if view is None:
        return None, outcome
    if view["data"].get("filters") != filters:
        data = {key: value for key, value in view["data"].items() if key != "selectedItems"}
        ls.update_view(project, view["id"], {**data, "filters": filters})
        outcome = "updated" if outcome == "kept" else outcome
    return view["id"], outcome
