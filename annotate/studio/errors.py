"""What goes wrong talking to Label Studio, as one-line errors that name the server, the cause
and a fix; and a project as newsgold knows it (id, title)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from newsgold.annotate.errors import NewsgoldError


class LabelStudioError(NewsgoldError):
    """Label Studio refused a request or could not be reached."""


class UnreachableError(LabelStudioError):
    """The server did not answer at all (refused, reset, timed out): it may be restarting."""


class ConfigIncompatibleError(LabelStudioError):
    """A labeling config change would orphan existing annotations."""


class LabelingConfigError(NewsgoldError):
    """A labeling config that Label Studio cannot parse."""


@dataclass(frozen=True)
class Project:
    id: int
    title: str
    label_config: str
    description: str
    created_at: str = ""  # tells a project apart from a later one that reuses its id or title


def _detail(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        errors = body.get("validation_errors") or body.get("detail") or body
        return _one_line(str(errors))
    return _one_line(str(body or exc))


def _one_line(text: str, limit: int = 300) -> str:
    """`text` on one line, at most `limit` characters: an answer quoted in an error message."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def title_key(title: str) -> str:
    """The title rule: two project titles name one project when they are equal after Unicode
    NFC normalisation and with surrounding whitespace removed (Label Studio trims it), so
    "Café" typed composed or decomposed (NFD, as some file systems and keyboards give it) is one
    title. Every lookup of a project by title (push, export, status, agreement) compares these."""
    return unicodedata.normalize("NFC", str(title)).strip()


ANSWER_FIX = (
    "check that LABEL_STUDIO_URL is the address Label Studio's web UI opens at (e.g. "
    "http://localhost:8080, no path), or unset it to use the local server of `annotate server`"
)


def _json_detail(body) -> str:
    """ ": the detail" of a JSON error answer, on one line, or ""."""
    detail = (body.get("validation_errors") or body.get("detail") or body) if isinstance(body, dict) else body
    return f": {_one_line(str(detail))}" if detail not in (None, "", {}, []) else ""


def wrong_answer(
    url: str, what: str, status: int | None, content_type: str, body, redirected: str = ""
) -> "LabelStudioError":
    """The one-line error for an HTTP answer that is not what Label Studio's API gives to `what`:
    it names the URL, the status and content type (never an HTML page's body; a JSON error's
    detail, shortened to one line) and the fix."""
    kind = (content_type or "").split(";")[0].strip().lower() or "no content type"
    got = f"HTTP {status}, {kind}" + (f", after a redirect to {redirected}" if redirected else "")
    is_json = kind.endswith("json")
    if status in (401, 403):
        return LabelStudioError(
            f"{url}: the API key was refused ({got}) while trying to {what}; "
            "check LABEL_STUDIO_API_KEY (Account & Settings → Access Token)"
        )
    if status is not None and status >= 500 and not redirected:
        detail = "" if not is_json else _json_detail(body)
        return LabelStudioError(
            f"{url}: the server failed to {what} ({got}{detail}); its log says why "
            "(`annotate server` writes it in its data folder), or LABEL_STUDIO_URL is not "
            "Label Studio's address; try again once it is fixed"
        )
    if not is_json or redirected or (status is not None and status < 400):  # < 400: an answer it could not read
        login = " (a login page?)" if redirected and "login" in redirected.lower() else ""
        return LabelStudioError(f"{url}: the answer to {what!r} is not Label Studio's API ({got}{login}); {ANSWER_FIX}")
    detail = _json_detail(body)
    if status == 404:
        return LabelStudioError(
            f"{url}: Label Studio has no such item while trying to {what} ({got}{detail}); "
            "it was deleted meanwhile, or LABEL_STUDIO_URL points at another server"
        )
    return LabelStudioError(f"{url}: could not {what} ({got}{detail})")


def distinct_titles(url: str, title: str, found: list[Project]) -> None:
    """Refuse, in one line naming both ids, two projects whose stored titles differ but are
    one title under the title rule (made before the rule, or in the web UI): which one is
    meant cannot be told. Two projects of the very same title (two pushes that created one each
    at once, see `push.ensure_project`) are not refused: the oldest is the project."""
    for other in found[1:]:
        if other.title != found[0].title:
            raise LabelStudioError(
                f"{url}: project title {title!r} names two projects that look alike, id {found[0].id} "
                f"({found[0].title!r}) and id {other.id} ({other.title!r}), titles equal after Unicode NFC "
                f"normalisation and trimming; rename or delete one in Label Studio ({url}/projects/"
                f"{other.id}/settings)"
            )
