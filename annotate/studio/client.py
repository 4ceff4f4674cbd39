"""The only module that talks to the Label Studio SDK.

The SDK is generated and deeply nested; everything else in newsgold speaks our own terms
(projects by title, documents by newsgold id, results as plain dicts) and calls this module.
Every SDK or HTTP failure becomes a LabelStudioError that names the server, the cause and a fix.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Iterable, Iterator

from newsgold.annotate.documents import id_key
from newsgold.annotate.errors import SchemaError
from newsgold.annotate.progress import Progress, silent
from newsgold.annotate.studio.errors import (
    ANSWER_FIX,
    ConfigIncompatibleError,
    LabelingConfigError,
    LabelStudioError,
    Project,
    UnreachableError,
    _detail,
    _one_line,
    distinct_titles,
    title_key,
    wrong_answer,
)
from newsgold.annotate.studio.snapshot import (
    CLEANUP_STAGE,
    DOWNLOAD_CHUNK,
    SNAPSHOT_MARKER,
    SNAPSHOT_OPTIONS,
    SNAPSHOT_STAGE,
    _signals_deferred,
    export_timeout,
    wait_for_snapshot,
)
from newsgold.annotate.studio.tasks import DOC_ID_FIELD

PAGE_SIZE = 1000


def validate_config(config: str, source: str = "labeling config") -> None:
    """Validate a labeling config offline with Label Studio's own `LabelInterface`."""
    from label_studio_sdk.label_interface import LabelInterface

    try:
        interface = LabelInterface(config)
        interface.validate()
    except Exception as exc:  # the SDK raises bare Exception/LabelStudioValidationErrorSentryIgnored
        raise SchemaError(f"{source}: Label Studio rejects the generated config ({exc}); fix the schema") from None


def span_controls(
    config: str, source: str
) -> tuple[dict[str, tuple[tuple[str, ...], tuple[str, ...]]], dict[str, str]]:
    """The `Labels` controls of a labeling config (name → the objects it labels, its labels)
    and its `Text` objects (name → their `value`, such as `$text`), parsed offline by Label
    Studio's own `LabelInterface`."""
    from label_studio_sdk.label_interface import LabelInterface

    try:
        interface = LabelInterface(config)
    except Exception as exc:  # the SDK raises its own XML syntax errors, or bare Exception
        raise LabelingConfigError(
            f"{source}: not a Label Studio labeling config ({exc}); "
            "copy it from the project's Settings → Labeling Interface → Code"
        ) from None
    controls = {
        c.name: (tuple(c.to_name or ()), tuple(c.labels or ())) for c in interface.controls if c.tag == "Labels"
    }
    texts = {o.name: str(o.value or "") for o in interface.objects if o.tag == "Text"}
    return controls, texts


def _filters(*conditions: tuple) -> dict:
    """Data Manager filters, all to hold: (field, operator, value) on a task field, a number, a
    boolean (`("annotators", "empty", True)`) or, for a field ending in `_at`, a UTC datetime."""
    items = []
    for name, operator, value in conditions:
        if name.endswith("_at"):
            kind, value = "Datetime", value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        else:
            kind = "Boolean" if isinstance(value, bool) else "Number"
        items.append({"filter": f"filter:tasks:{name}", "operator": operator, "type": kind, "value": value})
    return {"conjunction": "and", "items": items}


class LabelStudio:
    """A connection to one Label Studio server, in newsgold's terms."""

    def __init__(self, url: str, api_key: str, timeout: float = 120.0):
        import httpx
        from label_studio_sdk import LabelStudio as Client

        self.url = url
        self._seen = threading.local()  # the redirects of the current request, for error messages
        http = httpx.Client(timeout=timeout, follow_redirects=True, event_hooks={"response": [self._saw]})
        self._client = Client(base_url=url, api_key=api_key, timeout=timeout, httpx_client=http)

    def _saw(self, response) -> None:
        if response.is_redirect:
            self._seen.redirect = str(response.headers.get("location") or "")

    def _call(self, what: str, function, *args, _allow: tuple[int, ...] = (), **kwargs):
        """`function(*args, **kwargs)` (an SDK call); every way the server can answer wrongly or
        not at all becomes one LabelStudioError (`wrong_answer`, or unreachable), except an
        ApiError with a JSON answer of a status in `_allow`, raised for the caller to read."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError
        from pydantic import ValidationError

        self._seen.redirect = ""
        try:
            return function(*args, **kwargs)
        except ApiError as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            if exc.status_code in _allow and "json" in headers.get("content-type", "").lower():
                raise
            raise wrong_answer(
                self.url, what, exc.status_code, headers.get("content-type", ""), exc.body, self._seen.redirect
            ) from None
        except httpx.TooManyRedirects:
            raise LabelStudioError(
                f"{self.url}: the answer to {what!r} redirects in a loop (last to "
                f"{self._seen.redirect or '?'}), not Label Studio's API; {ANSWER_FIX}"
            ) from None
        except httpx.TimeoutException as exc:
            raise UnreachableError(
                f"{self.url}: Label Studio did not answer in time while trying to {what} ({type(exc).__name__}); "
                "check that the server runs and is not overloaded (its log says why), then try again"
            ) from None
        except httpx.TransportError as exc:  # refused, reset, name not found, protocol garbage
            raise UnreachableError(
                f"{self.url}: Label Studio is unreachable while trying to {what} ({type(exc).__name__}: "
                f"{_one_line(str(exc), 120)}); start it with `annotate server` or check LABEL_STUDIO_URL"
            ) from None
        except (ValidationError, json.JSONDecodeError) as exc:  # JSON, but not the API's
            raise LabelStudioError(
                f"{self.url}: the answer to {what!r} is not Label Studio's API ({type(exc).__name__}); {ANSWER_FIX}"
            ) from None

    def _refused(self, status: int, what: str) -> LabelStudioError:
        return wrong_answer(self.url, what, status, "application/json", None)

    def _raw(self, what: str, method: str, path: str, headers: dict | None = None, **kwargs):
        """A request through the SDK's own HTTP client and headers, for what the SDK does not
        offer or does slowly; a refusal or an error answer becomes a LabelStudioError."""
        wrapper = self._client._client_wrapper
        response = self._call(
            what,
            getattr(wrapper.httpx_client.httpx_client, method),
            f"{wrapper.get_base_url().rstrip('/')}/{path}",
            headers={**wrapper.get_headers(), **(headers or {})},
            **kwargs,
        )
        kind = response.headers.get("content-type", "")
        if response.status_code >= 300 or "json" not in kind.lower() or self._seen.redirect:
            try:
                body = response.json() if "json" in kind.lower() else None
            except ValueError:
                body = None
            raise wrong_answer(self.url, what, response.status_code, kind, body, self._seen.redirect)
        return response

    def check(self) -> str:
        """Who we are on the server (also verifies that the URL and key work)."""
        me = self._call("check the API key", self._client.users.whoami)
        who = getattr(me, "email", None) or getattr(me, "username", None)
        if not who:
            raise LabelStudioError(
                f"{self.url}: the answer to 'check the API key' is not Label Studio's API (no user in it); {ANSWER_FIX}"
            )
        return who

    # ------------------------------------------------------------------ projects
    def find_projects(self, title: str) -> list[Project]:
        """Every project whose title is `title` under the title rule (`title_key`), the oldest
        (lowest id) first. Every project is listed (without its counters): Label Studio's title
        filter compares stored characters, which miss another normalisation of the same title."""
        key = title_key(title)
        pager = self._call(
            "list projects",
            self._client.projects.list,
            page_size=100,
            include="id,title,label_config,description,created_at",
        )
        found = [
            Project(item.id, item.title, item.label_config or "", item.description or "", str(item.created_at or ""))
            for item in self._each("list projects", pager)
            if title_key(item.title or "") == key
        ]
        return sorted(found, key=lambda project: project.id)

    def find_project(self, title: str) -> Project | None:
        """The project titled `title`: the oldest when two pushes created one each at once; a
        LabelStudioError when two projects' titles differ but are one title under the title rule
        (`distinct_titles`)."""
        found = self.find_projects(title)
        distinct_titles(self.url, title, found)
        return found[0] if found else None

    def delete_empty_project(self, project: Project) -> bool:
        """Delete the project if it holds no task; False when it holds some. A project deleted
        meanwhile (by a concurrent push) counts as deleted."""
        from label_studio_sdk.core.api_error import ApiError

        what = f"delete the empty project {project.title!r} (id {project.id})"
        try:
            if self._call(
                what, self._client.tasks.list, project=project.id, page_size=1, include="id", _allow=(404,)
            ).items:
                return False
            self._call(what, self._client.projects.delete, id=project.id, _allow=(404,))
        except ApiError:  # 404 only (`_allow`): deleted meanwhile
            pass
        return True

    def tasks_url(self, project_id: int, tab: int | None = None) -> str:
        """Where annotators open a project's tasks in the web UI (in the Data Manager tab `tab`)."""
        return f"{self.url}/projects/{project_id}/data" + ("" if tab is None else f"?tab={tab}")

    def get_project(self, title: str, fix: str = "check --project") -> Project:
        """The project titled `title`; a LabelStudioError saying `fix` when there is none."""
        project = self.find_project(title)
        if project is None:
            raise LabelStudioError(f"project {title!r} does not exist on {self.url}; {fix}")
        return project

    def create_project(self, title: str, config: str, instructions: str, description: str) -> Project:
        created = self._call(
            f"create project {title!r}",
            self._client.projects.create,
            title=title,
            label_config=config,
            expert_instruction=instructions,
            show_instruction=True,
            description=description,
        )
        return Project(created.id, title, config, description, str(created.created_at or ""))

    def update_project(self, project: Project, config: str, instructions: str, description: str) -> None:
        from label_studio_sdk.core.api_error import ApiError

        try:
            self._call(
                f"update project {project.title!r}",
                self._client.projects.update,
                _allow=(400,),
                id=project.id,
                label_config=config,
                expert_instruction=instructions,
                description=description,
            )
        except ApiError as exc:
            if exc.status_code == 400 and "label_config" in str(getattr(exc, "body", "")):
                raise ConfigIncompatibleError(
                    f"project {project.title!r}: Label Studio refuses the new labeling config because "
                    f"existing annotations use what it removes ({_detail(exc)}); keep those labels in "
                    "the schema, or push to a new project"
                ) from None
            raise LabelStudioError(f"{self.url}: could not update project {project.title!r} ({_detail(exc)})") from None

    def shown_model_version(self, project: Project) -> str:
        """The project's model version: the predictions its labeling stream pre-labels tasks with
        and the Data Manager's prediction score averages ("" when none is chosen)."""
        found = self._call(f"read project {project.title!r}", self._client.projects.get, id=project.id)
        return found.model_version or ""

    def show_model_version(self, project: Project, version: str) -> None:
        self._call(
            f"choose model version {version!r} in project {project.title!r}",
            self._client.projects.update,
            id=project.id,
            model_version=version,
        )

    def annotation_count(self, project: Project) -> int:
        """How many submitted (not cancelled) annotations the project holds, ground truth
        included, in one small request: Label Studio counts them from the annotations themselves
        (`total_annotations_number`), not from the tasks' counters."""
        found = self._call(f"read project {project.title!r}", self._client.projects.get, id=project.id)
        return int(getattr(found, "total_annotations_number", None) or 0)

    def overlap(self, project: Project) -> tuple[int, int]:
        """(maximum_annotations, overlap_cohort_percentage) of the project: how many different
        annotators a task of the overlap cohort gets, and the percent of tasks in that cohort."""
        found = self._call(f"read project {project.title!r}", self._client.projects.get, id=project.id)
        return int(found.maximum_annotations or 1), int(
            100 if found.overlap_cohort_percentage is None else found.overlap_cohort_percentage
        )

    def set_overlap(self, project: Project, annotators: int, share: int) -> None:
        """Set the project's overlap: Label Studio Community's task queue (`next_task`) keeps a
        task open until `annotators` different people finished it (its `overlap`), for `share`
        percent of the tasks (the cohort, `Project._rearrange_overlap_cohort`), the others until
        one did. Its settings page hides these two; the API takes them, and the server
        recomputes every task's overlap when they change, and on each import."""
        self._call(
            f"set the overlap of project {project.title!r}",
            self._client.projects.update,
            id=project.id,
            maximum_annotations=annotators,
            overlap_cohort_percentage=share,
            show_overlap_first=True,
        )

    def used_labels(self, project: Project) -> set[str]:
        """Labels used by annotations in the project."""
        used = set()
        for task in self.iter_tasks(project, fields="all"):
            for annotation in task.get("annotations") or []:
                for region in annotation.get("result") or []:
                    used.update(region.get("value", {}).get("labels") or [])
        return used

    # ------------------------------------------------------------------ tasks
    def iter_tasks(self, project: Project, fields: str | None = None) -> Iterator[dict]:
        """Every task of the project as a dict, in id order. `fields="all"` adds annotations
        and predictions; the default returns only ids and data."""
        kwargs = {"fields": "all"} if fields == "all" else {"include": "id,data"}
        for item in self._by_id(project, **kwargs):
            yield item.dict(exclude_none=True) if fields == "all" else {"id": item.id, "data": item.data}

    def _by_id(self, project: Project, *conditions: tuple, only: list[int] | None = None, **kwargs) -> Iterator:
        """The project's tasks meeting `conditions` (see `_filters`), in id order, a page at a
        time. Each page asks for the ids above the last one seen rather than for page number k:
        a task deleted meanwhile (a concurrent push reconciling) would shift numbered pages and
        skip tasks. With `only`, among those task ids."""
        above = 0
        while True:
            query = {"filters": _filters(("id", "greater", above), *conditions), "ordering": ["tasks:id"]}
            if only is not None:
                query["selectedItems"] = {"all": False, "included": only}
            query = json.dumps(query)
            pager = self._call(
                "list tasks", self._client.tasks.list, project=project.id, page_size=PAGE_SIZE, query=query, **kwargs
            )
            items = pager.items or []
            yield from items
            if len(items) < PAGE_SIZE:
                return
            above = items[-1].id

    def _each(self, what: str, iterable) -> Iterator:
        """Items of an SDK pager or stream, each fetch guarded like any other call."""
        iterator = iter(iterable)
        while True:
            item = self._call(what, next, iterator, None)
            if item is None:
                return
            yield item

    def task_fingerprint(self, project: Project) -> tuple[int, int]:
        """(number of tasks, highest task id) of the project, in one small request.

        Task ids only grow, so any task added or deleted by anyone changes this pair.
        """
        pager = self._call(
            "count tasks",
            self._client.tasks.list,
            project=project.id,
            page_size=1,
            include="id",
            query=json.dumps({"ordering": ["-tasks:id"]}),
        )
        items = pager.items or []
        return int(getattr(pager.response, "total", None) or 0), int(items[0].id) if items else 0

    def server_time(self) -> datetime | None:
        """The server's clock (its HTTP `Date`, to the second), or None when it does not say."""
        response = self._call("check the API key", self._client.users.with_raw_response.whoami)
        try:
            return parsedate_to_datetime(response.headers.get("date"))
        except (TypeError, ValueError):
            return None

    def count_tasks(
        self, project: Project, since: datetime | None = None, excluding: Iterable[tuple[int, int]] = ()
    ) -> int:
        """How many tasks of the project were created after `since` with an id outside every
        inclusive range of `excluding`, in one small request (the Data Manager counts them)."""
        conditions = [("id", "not_in", {"min": low, "max": high}) for low, high in excluding]
        if since is not None:
            conditions.append(("created_at", "greater", since))
        pager = self._call(
            "count tasks",
            self._client.tasks.list,
            project=project.id,
            page_size=1,
            include="id",
            query=json.dumps({"filters": _filters(("id", "greater", 0), *conditions)}),
        )
        return int(getattr(pager.response, "total", None) or 0)

    def task_summaries(
        self, project: Project, since: datetime | None = None, ids: list[int] | None = None
    ) -> list[dict]:
        """The tasks created after `since` (None: any time) and, with `ids`, among those ids, in id
        order, each as {"id", "doc" (newsgold id), "text", "annotated" (a finished or skipped
        annotation), "model_versions" (of its predictions)}. "annotated" also reads who annotated
        (from the annotations themselves), not only the task's counters: a Label Studio process
        whose model signals were switched off (see `push.ensure_project`) stores annotations
        without counting them."""
        conditions = [("created_at", "greater", since)] if since else []
        chunks = [None] if ids is None else [ids[k : k + 200] for k in range(0, len(ids), 200)]  # short addresses
        return [
            {
                "id": task.id,
                "doc": id_key((task.data or {}).get(DOC_ID_FIELD)),  # compared as every newsgold id is
                "text": (task.data or {}).get("text"),
                "annotated": bool(task.total_annotations or task.cancelled_annotations or task.annotators),
                "model_versions": {p.model_version for p in task.predictions or []},
            }
            for chunk in chunks
            for task in self._by_id(
                project,
                *conditions,
                only=chunk,
                fields="all",
                include="id,data,predictions,total_annotations,cancelled_annotations,annotators",
            )
        ]

    def delete_unannotated_tasks(self, project: Project, task_ids: list[int]) -> int:
        """Delete these tasks in one Data Manager action, except any that carries an annotation
        (also a skipped one) by the time the server deletes: that check runs on the server, on the
        task's counters and on the annotations themselves (see `task_summaries`).
        Returns how many this request deleted (a task another push deleted first is not counted)."""
        if not task_ids:
            return 0
        response = self._call(
            f"delete {len(task_ids)} duplicate tasks of {project.title!r}",
            self._client.actions.with_raw_response.create,
            id="delete_tasks",
            project=project.id,
            selected_items={"all": False, "included": list(task_ids)},
            filters=_filters(
                ("total_annotations", "equal", 0), ("cancelled_annotations", "equal", 0), ("annotators", "empty", True)
            ),
        )
        try:
            return int(response.response.json()["processed_items"])
        except (ValueError, KeyError, TypeError):  # an answer without the count: say what was asked
            return len(task_ids)

    def task_ids_by_document(self, project: Project) -> dict[str, int]:
        """newsgold document id → task id, for every task pushed by newsgold."""
        mapping = {}
        for task in self.iter_tasks(project):
            doc_id = id_key((task.get("data") or {}).get(DOC_ID_FIELD))  # the identity rule (annotate.documents)
            if doc_id is not None:
                mapping.setdefault(doc_id, task["id"])
        return mapping

    def import_tasks(self, project: Project, tasks: list[dict]) -> tuple[list[int], int]:
        """Import tasks (with their predictions) in one request; returns the new task ids and how
        many predictions the server stored (Label Studio on SQLite, importing two batches at
        once, has been seen to store a batch's tasks without its predictions and answer 201).

        The request goes through the SDK's own HTTP client and headers (`_raw`), but its body is
        encoded here with `json.dumps`, not by the SDK's generic `jsonable_encoder` (why:
        docs/decisions.md, "Importing tasks").
        """
        response = self._raw(
            f"import {len(tasks)} tasks into {project.title!r}",
            "post",
            f"api/projects/{project.id}/import",
            params={"return_task_ids": "true"},
            content=json.dumps(tasks, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        answer = response.json()
        stored = answer.get("prediction_count")
        return list(answer.get("task_ids") or []), sum(
            len(t.get("predictions") or []) for t in tasks
        ) if stored is None else int(stored)

    def delete_task(self, task_id: int) -> None:
        self._call(f"delete task {task_id}", self._client.tasks.delete, id=task_id)

    def import_predictions(self, project: Project, predictions: list[dict]) -> int:
        response = self._call(
            f"import {len(predictions)} predictions into {project.title!r}",
            self._client.projects.import_predictions,
            id=project.id,
            request=predictions,
        )
        created = getattr(response, "created", None)  # how many it stored: it drops invalid ones silently
        return len(predictions) if created is None else int(created)

    def create_annotation(
        self,
        task_id: int,
        result: list[dict],
        user_id: int | None = None,
        cancelled: bool = False,
        ground_truth: bool = False,
        lead_time: float | None = None,
        parent_prediction: int | None = None,
    ) -> int:
        """Create an annotation as a user would through the web UI, which also sends the seconds
        spent (`lead_time`) and, for an annotation started from a prediction, its id."""
        who = {} if user_id is None else {"completed_by": user_id}  # None: the key's own user
        for key, value in (("lead_time", lead_time), ("parent_prediction", parent_prediction)):
            if value is not None:
                who[key] = value
        created = self._call(
            f"annotate task {task_id}",
            self._client.annotations.create,
            id=task_id,
            result=result,
            was_cancelled=cancelled,
            ground_truth=ground_truth,
            **who,
        )
        return created.id

    def set_ground_truth(self, annotation_id: int) -> None:
        """Make an annotation its task's ground truth (`PATCH /api/annotations/{id}/`; Label Studio
        unsets any other ground truth of the task)."""
        self._call(
            f"set annotation {annotation_id} as ground truth",
            self._client.annotations.update,
            id=annotation_id,
            ground_truth=True,
        )

    def delete_prediction(self, prediction_id: int) -> None:
        """Delete a prediction; one deleted meanwhile counts as deleted."""
        from label_studio_sdk.core.api_error import ApiError

        try:
            self._call(
                f"delete prediction {prediction_id}", self._client.predictions.delete, id=prediction_id, _allow=(404,)
            )
        except ApiError:  # 404 only: deleted meanwhile
            pass

    def create_user(self, email: str, password: str) -> int:
        user = self._call(
            f"create user {email}",
            self._client.users.create,
            username=email.split("@")[0],
            email=email,
            password=password,
        )
        return user.id

    def users(self) -> dict[int, str]:
        """User id → email."""
        return {u.id: u.email or u.username for u in self._call("list users", self._client.users.list)}

    # ------------------------------------------------------------------ Data Manager tabs
    def views(self, project: Project) -> list[dict]:
        """The project's Data Manager tabs ("views"), oldest first, each {"id", "data"}: `data`
        holds the tab's `title`, `ordering`, `hiddenColumns`, `filters` and what the web UI keeps."""
        found = self._call(
            f"list the Data Manager tabs of {project.title!r}", self._client.views.list, project=project.id
        )
        return sorted(
            ({"id": view.id, "data": dict(view.data or {})} for view in found or []), key=lambda view: view["id"]
        )

    def create_view(self, project: Project, data: dict) -> int:
        created = self._call(
            f"create the Data Manager tab {data.get('title')!r} in {project.title!r}",
            self._client.views.create,
            project=project.id,
            data=data,
        )
        return created.id

    def update_view(self, project: Project, view_id: int, data: dict) -> None:
        """Replace a tab's `data`; its filters are left as they are unless `data` has `filters`."""
        self._call(
            f"update the Data Manager tab {data.get('title')!r} (id {view_id}) of {project.title!r}",
            self._client.views.update,
            id=str(view_id),
            project=project.id,
            data=data,
        )

    def delete_view(self, project: Project, view_id: int) -> None:
        """Delete a tab; one deleted meanwhile (by a concurrent push) counts as deleted."""
        from label_studio_sdk.core.api_error import ApiError

        try:
            self._call(
                f"delete the Data Manager tab {view_id} of {project.title!r}",
                self._client.views.delete,
                id=str(view_id),
                _allow=(404,),
            )
        except ApiError:  # 404 only (`_allow`): deleted meanwhile
            pass

    def hidden_columns(self, project: Project) -> dict[str, list[str]]:
        """The columns a new tab hides, per mode (`explore`: the table, `labeling`: beside the
        editor), as the web UI reads them from the project's columns: ids such as
        `tasks:predictions_score`. The columns endpoint is not in the SDK, so it is asked through
        the SDK's own HTTP client."""
        response = self._raw(
            f"list the Data Manager columns of {project.title!r}",
            "get",
            "api/dm/columns/",
            params={"project": project.id},
        )
        hidden: dict[str, list[str]] = {}
        for column in response.json().get("columns") or []:
            path = f"{column['parent']}.{column['id']}" if column.get("parent") else column["id"]
            for mode, visible in (column.get("visibility_defaults") or {}).items():
                if not visible:
                    hidden.setdefault(mode, []).append(f"{column.get('target', 'tasks')}:{path}")
        return hidden

    # ------------------------------------------------------------------ export
    def export_chunks(
        self, project: Project, progress: Progress = silent, timeout: float | None = None, predictions: bool = False
    ) -> Iterator[bytes]:
        """The project's JSON export (every task, every annotation; predictions as ids, or whole
        with `predictions`), as a
        stream of bytes, through an export snapshot: created, polled until it is complete, then
        downloaded in chunks and deleted from the server (also when the caller stops early, fails
        or is interrupted: see `_remove_snapshot`). Label Studio's synchronous export builds the
        whole export in one request, which times out on large projects in the Community Edition.

        The server writes a snapshot in the creating request when it has no background worker
        (the embedded server), else in a worker (`status` goes created → in_progress → completed
        or failed); either may take `timeout` seconds (default $NEWSGOLD_EXPORT_TIMEOUT, else
        SNAPSHOT_TIMEOUT). `progress("export snapshot", 0, None)` is called while waiting and
        while downloading, so that a caller can show time passing."""
        timeout = export_timeout() if timeout is None else timeout
        what = f"create an export snapshot of {project.title!r}"
        progress(SNAPSHOT_STAGE, 0, None)
        options = {
            **SNAPSHOT_OPTIONS,
            "serialization_options": {
                **SNAPSHOT_OPTIONS["serialization_options"],
                "predictions": {"only_id": not predictions},
            },
        }
        # The snapshot exists on the server from the moment the creating request arrives: it
        # carries a title of its own, so that one whose creating call never returned (Ctrl-C,
        # SIGTERM, a timeout) is found and deleted too.
        marker, snapshot = f"{SNAPSHOT_MARKER}{uuid.uuid4().hex}", None
        try:
            snapshot = self._call(
                what,
                self._client.projects.exports.create,
                id=project.id,
                title=marker,
                **options,
                request_options={"timeout_in_seconds": timeout, "max_retries": 0},
            ).id
            wait_for_snapshot(
                lambda: self._snapshot_status(project, snapshot),
                project.title,
                timeout,
                lambda: progress(SNAPSHOT_STAGE, 0, None),
            )
            stream = self._client.projects.exports.download(
                id=project.id, export_pk=snapshot, request_options={"chunk_size": DOWNLOAD_CHUNK}
            )
            for chunk in self._each(f"download the export snapshot {snapshot} of {project.title!r}", stream):
                progress(SNAPSHOT_STAGE, 0, None)
                yield chunk
        finally:
            self._remove_snapshot(project, snapshot, marker, progress, timeout)

    def _snapshot_status(self, project: Project, snapshot: int) -> str:
        found = self._call(
            f"read the export snapshot {snapshot} of {project.title!r}",
            self._client.projects.exports.get,
            id=project.id,
            export_pk=snapshot,
        )
        return str(getattr(found.status, "value", found.status) or "created")

    def _remove_snapshot(
        self, project: Project, snapshot: int | None, marker: str, progress: Progress, timeout: float
    ) -> None:
        """Delete the export's snapshot (`snapshot`, or when its creating call did not return, the
        ones titled `marker`), best effort: this runs while an export ends, also on Ctrl-C, where a
        failure must not hide the export's own outcome. Ctrl-C and SIGTERM are held back meanwhile
        (`_signals_deferred`). Label Studio writes a snapshot still in progress back into its
        table when it finishes (its file field saves the whole row), so deleting it then would
        not hold: such a snapshot is first waited for, at most `timeout` seconds, calling
        `progress(CLEANUP_STAGE, 0, None)`; a second Ctrl-C or SIGTERM stops that wait (the
        snapshot is then deleted at once, which may not hold)."""
        with _signals_deferred() as held:
            for found in [snapshot] if snapshot is not None else self._marked(project, marker):
                deadline = time.monotonic() + timeout
                while not held and time.monotonic() < deadline and self._in_progress(project, found):
                    progress(CLEANUP_STAGE, 0, None)
                    time.sleep(0.25)
                self._delete_snapshot(project, found)

    def _in_progress(self, project: Project, snapshot: int) -> bool:
        try:
            found = self._client.projects.exports.get(
                id=project.id, export_pk=snapshot, request_options={"timeout_in_seconds": 10, "max_retries": 0}
            )
        except Exception:  # noqa: BLE001 - gone, or the server cannot say: delete it now
            return False
        return str(getattr(found.status, "value", found.status) or "") == "in_progress"

    def _delete_snapshot(self, project: Project, snapshot: int) -> bool:
        """Delete a snapshot and its file on the server, briefly, a few times if the server
        fails; True when it is gone (also when it was gone already)."""
        from label_studio_sdk.core.api_error import ApiError

        for attempt in range(3):
            try:
                self._client.projects.exports.delete(
                    id=project.id, export_pk=snapshot, request_options={"timeout_in_seconds": 10, "max_retries": 0}
                )
                return True
            except ApiError as exc:
                if exc.status_code == 404:
                    return True
            except Exception:  # noqa: BLE001 - a snapshot left on the server costs disk, not data
                pass
            time.sleep(0.5 * (attempt + 1))
        return False

    def _marked(self, project: Project, marker: str, attempts: int = 6) -> list[int]:
        """The ids of the project's snapshots titled `marker`, which a creating request that did
        not return may have made. The request may reach the server a moment after it was given
        up, so none found is looked for again, for about two seconds."""
        for attempt in range(attempts):
            try:
                found = self._client.projects.exports.list(
                    id=project.id, request_options={"timeout_in_seconds": 10, "max_retries": 0}
                )
                marked = [item.id for item in found or [] if getattr(item, "title", None) == marker]
            except Exception:  # noqa: BLE001
                marked = []
            if marked:
                return marked
            if attempt + 1 < attempts:
                time.sleep(0.1 * (attempt + 1))
        return []

    def export_snapshots(self, project: Project) -> list[int]:
        """The ids of the project's export snapshots on the server."""
        found = self._call(
            f"list the export snapshots of {project.title!r}", self._client.projects.exports.list, id=project.id
        )
        return sorted(item.id for item in found or [])
