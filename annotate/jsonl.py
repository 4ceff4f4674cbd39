"""Reading JSONL files (the document shape of docs/architecture.md) and writing them atomically
through `annotate.outputs`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from newsgold.annotate.errors import DocumentError
from newsgold.annotate.outputs import Inputs, atomic_file


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """The numbered lines of a UTF-8 text file (a byte-order mark before the first is ignored);
    a file that is not UTF-8 is a DocumentError naming it."""
    line_no = 0
    try:
        with open(path, encoding="utf-8-sig") as lines:
            for line_no, line in enumerate(lines, start=1):
                yield line_no, line
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path} after line {line_no}: not UTF-8 ({exc.reason}); "
                            "convert the file to UTF-8") from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """The line number and JSON object of each non-blank line of a JSONL file (`iter_lines`); a
    bad line is a DocumentError naming it."""
    for line_no, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"{path} line {line_no}: not valid JSON ({exc.msg}); fix the line") from None
        if not isinstance(record, dict):
            raise DocumentError(f"{path} line {line_no}: a JSON object is expected")
        yield line_no, record


def read_jsonl(path: str | Path) -> list[dict]:
    """Every JSON object of a JSONL file (`iter_jsonl`)."""
    return [record for _, record in iter_jsonl(path)]


def write_jsonl(path: str | Path, records: Iterable[dict], inputs: Inputs = ()) -> int:
    """Write one JSON object per line, atomically (`outputs.atomic_file`, which refuses a `path`
    that is one of `inputs` or inside one): a reader never sees a partial file, and on any error
    `path` is left as it was."""
    count = 0
    with atomic_file(path, inputs=inputs) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
