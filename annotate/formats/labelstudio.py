"""The Label Studio JSON export (a JSON array of tasks): read task by task in bounded memory,
and cut into regions at task boundaries so that several processes can convert one file
(`annotate.export.parallel`)."""

from __future__ import annotations

import codecs
import json
import os
import re
from pathlib import Path
from typing import Iterator

from newsgold.annotate.errors import ExportError
from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.studio.tasks import checked_task

_BLOCK = 1 << 20  # bytes read at a time from an export file
_SPACE = re.compile(r"\s*")


def iter_ls_export_file(path: Path, start: int = 0, stop: int | None = None) -> Iterator[dict]:
    """Tasks of a Label Studio JSON export file, parsed one at a time, each checked for its shape
    (`lsformat.checked_task`: a task of the wrong shape comes as a MisshapenTask, which the rows
    list as a problem and leave out); what cannot be parsed as tasks is an ExportError.

    The standard library's C decoder (`raw_decode`) parses each task where it starts in a
    buffer of about one block of the file; a task cut by the end of the buffer is parsed again
    once the buffer holds more. Memory holds one block and one task, whatever the file's size.

    With `start`/`stop` (byte offsets from `task_regions`), only the tasks in that region: it
    starts at a task (or at the array's `[` when `start` is 0) and ends after the `,` following
    its last task (or at the end of the file).
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        handle.seek(start)
        left = (os.fstat(handle.fileno()).st_size if stop is None else stop) - start
        buffer, pos, eof = "", 0, False

        def fill(size: int) -> bool:
            nonlocal buffer, pos, eof, left
            if eof:
                return False
            block = handle.read(min(size, left))
            left -= len(block)
            eof = not block
            try:
                buffer = buffer[pos:] + utf8.decode(block, final=eof)
            except UnicodeDecodeError as exc:
                raise malformed(f"not UTF-8: {exc.reason}") from None
            pos = 0
            return True

        def next_char() -> str:
            nonlocal pos
            while True:
                pos = _SPACE.match(buffer, pos).end()
                if pos < len(buffer):
                    return buffer[pos]
                if not fill(_BLOCK):
                    return ""

        def malformed(what: str) -> ExportError:
            return ExportError(f"{path}: not a Label Studio JSON export ({what}); export JSON from the project")

        if start == 0:
            if next_char() != "[":
                raise malformed("it does not start with a JSON array")
            pos += 1
            if next_char() == "]":
                pos += 1
                if next_char():
                    raise malformed("data after the closing ]")
                return
        number = 0
        while True:
            number += 1
            size = _BLOCK
            next_char()  # raw_decode does not skip leading whitespace
            while True:
                try:
                    task, end = decoder.raw_decode(buffer, pos)
                    break
                except json.JSONDecodeError as exc:
                    if not fill(size):
                        raise malformed(f"task {number}{_after(start)}: {exc.msg}") from None
                    size *= 2  # a long task: read ever larger blocks, not one block per retry
                except RecursionError:  # the decoder recurses once per level of nesting
                    raise malformed(
                        f"task {number}{_after(start)} nests arrays or objects too deeply to be a task"
                    ) from None
            if not isinstance(task, dict):
                raise malformed(f"task {number}{_after(start)} is not a JSON object")
            pos = end
            yield checked_task(task)  # a task of the wrong shape: a MisshapenTask, saying what is wrong
            separator = next_char()
            pos += 1
            if separator == "," and stop is not None and not next_char():
                return  # the end of this region: the next task starts the next one
            if separator == "]":
                if next_char():
                    raise malformed("data after the closing ]")
                return
            if separator != ",":
                raise malformed(f"{separator or 'the end of the file'!r} after task {number}{_after(start)}")


def _after(start: int) -> str:
    return f" after byte {start}" if start else ""


def task_regions(path: Path, parts: int, first_share: float | None = None) -> list[tuple[int, int | None]]:
    """Up to `parts` byte regions of an export file, each starting at a task: the first holds
    about `first_share` of the bytes (default: an equal share), the others equal shares of the rest.

    A region boundary is a `{` right after the `,` that follows a `}`, where a whole JSON object
    with the `id`, `data` and `annotations` of a task decodes and is followed by `,` or `]`. An
    object nested in a task can look like that only if it has those keys itself; then the region
    before it ends inside a task, reading it fails with RegionsUnreadable, and the export starts
    again in one process. Where no boundary is found near a cut, there are fewer regions.
    """
    size = Path(path).stat().st_size
    cuts = [0]
    decoder = json.JSONDecoder()
    candidate = re.compile(r"\}\s*,\s*(\{)")
    with open(path, "rb") as handle:
        first = 1 / parts if first_share is None else first_share
        for k in range(1, parts):
            at = max(int(size * (first + (1 - first) * (k - 1) / (parts - 1))), cuts[-1] + 1)
            handle.seek(at)
            window = handle.read(4 << 20).decode("utf-8", "surrogateescape")  # byte-exact round trip
            for match in candidate.finditer(window):
                try:
                    task, end = decoder.raw_decode(window, match.start(1))
                except (json.JSONDecodeError, RecursionError):
                    continue
                follows = _SPACE.match(window, end).end()
                if (
                    isinstance(task, dict)
                    and {"id", "data", "annotations"} <= task.keys()
                    and window[follows : follows + 1] in (",", "]")
                ):
                    cut = at + len(window[: match.start(1)].encode("utf-8", "surrogateescape"))
                    cuts.append(cut)
                    break
    return [(begin, end) for begin, end in zip(cuts, cuts[1:] + [None])]


def is_labelstudio(sample: Sample) -> bool:
    """A file that starts with a JSON array (after a byte-order mark and whitespace)."""
    return sample.head.startswith(b"[")


FORMAT = InputFormat(
    name="labelstudio",
    title="Label Studio export",
    help="a Label Studio JSON export",
    detect=is_labelstudio,
    read=iter_ls_export_file,
    order=20,
    gold=False,
)
