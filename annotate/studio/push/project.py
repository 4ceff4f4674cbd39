"""The project a push sends to: its title checked as Label Studio stores it, created from the
schema or its config updated in place, the oldest kept when two pushes create one each at once."""

from __future__ import annotations

import re
import unicodedata

from newsgold.annotate.schema import Schema, guidelines_markdown, labelstudio_config
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.errors import ConfigIncompatibleError, LabelStudioError, Project, distinct_titles

_HASH = re.compile(r"schema hash ([0-9a-f]{16})")


def describe(schema: Schema) -> str:
    return f"newsgold schema {schema.name} {schema.version}; schema hash {schema.hash}"


def project_schema_hash(project: Project) -> str | None:
    found = _HASH.search(project.description or "")
    return found.group(1) if found else None


def instructions_html(schema: Schema) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(guidelines_markdown(schema))


TITLE_LENGTH = (3, 50)  # Label Studio's PROJECT_TITLE_MIN_LEN and _MAX_LEN (core/settings/base.py)


def check_title(title: str) -> str:
    """The project title as Label Studio will store it, in Unicode NFC (the title rule,
    `labelstudio.title_key`), else a LabelStudioError: it must be 3 to 50 characters, and it
    trims surrounding spaces (refused here, so that the title given is the title stored)."""
    low, high = TITLE_LENGTH
    title = unicodedata.normalize("NFC", title)
    if title != title.strip():
        raise LabelStudioError(f"project title {title!r} starts or ends with spaces; give it as {title.strip()!r}")
    if not low <= len(title) <= high:
        raise LabelStudioError(
            f"project title {title!r} has {len(title)} characters; Label Studio takes {low} to {high}, "
            "choose another --project"
        )
    return title


def ensure_project(ls: LabelStudio, title: str, schema: Schema) -> tuple[Project, bool, bool, tuple]:
    """The project titled `title`, created from the schema if missing, its config updated in
    place if the schema changed compatibly. Returns (project, created, updated, notes).

    Two pushes may create one each at the same moment. So a push that created one lists the title
    again: the oldest is the project, and the push deletes its own if it is newer and still empty.
    It deletes no other: a project newer than its own is another push's, which that push deletes;
    an older one (also one Label Studio on SQLite kept after reporting its creation failed,
    "database is locked") is named in `notes`. Two pushes deleting one project at the same moment
    would break the server: Label Studio deletes a project with every model signal of its process
    switched off and restores them from what it found (`temporary_disconnect_all_signals` in
    `ProjectAPI.perform_destroy`), so two deletions at once can leave them off until it restarts,
    and annotations then no longer count on their tasks (`total_annotations` stays 0)."""
    config = labelstudio_config(schema)
    title = check_title(title)
    found = ls.find_projects(title)  # under the title rule: "Café" composed or not is one project
    distinct_titles(getattr(ls, "url", ""), title, found)
    created = None
    if not found:
        created = ls.create_project(title, config, instructions_html(schema), describe(schema))
        found = ls.find_projects(title) or [created]
    project, notes = found[0], []
    for other in found[1:]:
        if created is not None and other.id > created.id:
            continue  # another push's, created after ours: that push sees ours and deletes its own
        if created is not None and other.id == created.id and ls.delete_empty_project(other):
            notes.append(
                f"another push created project {title!r} at the same moment; this push used it (id "
                f"{project.id}) and deleted its own, still empty (id {created.id})"
            )
        else:
            notes.append(
                f"project {title!r} also exists as id {other.id}; this push used id {project.id}, the "
                f"oldest; see {ls.tasks_url(other.id)} and delete the one you do not need"
            )
    notes = tuple(notes)
    if created is not None and project.id == created.id:
        return created, True, False, notes
    if project_schema_hash(project) == schema.hash and project.label_config.strip() == config.strip():
        return project, False, False, notes
    removed = ls.used_labels(project) - set(schema.label_names)
    if removed:
        raise ConfigIncompatibleError(
            f"project {title!r}: existing annotations use label(s) {', '.join(sorted(removed))} that "
            f"schema {schema.path} no longer has; put them back, or push to a new --project"
        )
    ls.update_project(project, config, instructions_html(schema), describe(schema))
    return project, False, True, notes
