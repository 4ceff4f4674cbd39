"""Reading JSONL files (the document shape of docs/architecture.md) and writing them atomically
through `annotate.outputs`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from newsgold.annotate.errors import DocumentError
from newsgold.annotate.outputs import Inputs, atomic_file, check_regular  # noqa: F401 (check_regular: readers import it here)

MAX_DEPTH = 64  # nesting of JSON arrays and objects a record may have (ours have 4)


def check_text(text: str, item: str, fix: str = "") -> str:
    """`text` when it holds no NUL character; else a DocumentError naming `item`: NUL bytes in
    a text file are UTF-16 without its byte-order mark (or not text at all)."""
    at = text.find("\0")
    if at >= 0:
        order = "LE" if at % 2 else "BE"
        raise DocumentError(
            f"{item}: holds NUL bytes (the first at character {at}), so it is UTF-16 without a "
            f"byte-order mark or not text; convert it to UTF-8 (iconv -f UTF-16{order} -t UTF-8){fix}"
        )
    return text


_TOO_DEEP = object()


def _depth(value) -> int:
    deepest, level = 0, [(value, 1)]
    while level:
        value, depth = level.pop()
        if isinstance(value, (list, dict)):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
            level += [(inner, depth + 1) for inner in (value.values() if isinstance(value, dict) else value)]
    return deepest


def parse_json(text: str | bytes, item: str):
    """The JSON value of `text` (a line, a small file), or a DocumentError naming `item`: not
    JSON, or nested deeper than MAX_DEPTH arrays and objects (Python would fail on it later)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{item}: not valid JSON ({exc.msg}); fix the line") from None
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{item}: not UTF-8 ({exc.reason}); convert the file to UTF-8") from None
    except RecursionError:
        value = _TOO_DEEP
    opening = (b"[", b"{") if isinstance(text, bytes) else ("[", "{")
    if value is _TOO_DEEP or (sum(map(text.count, opening)) > MAX_DEPTH and _depth(value) > MAX_DEPTH):
        raise DocumentError(
            f"{item}: JSON nested more than {MAX_DEPTH} levels deep; a record is flat "
            "(docs/architecture.md): fix the line"
        )
    return value


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def encoding_of(head: bytes) -> str:
    """The encoding a text file's first bytes declare: UTF-32 or UTF-16 by their byte-order mark,
    else UTF-8 (its own byte-order mark, if any, dropped). Without a mark only UTF-8 is read."""
    return next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8-sig")


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """The numbered lines of a text file: UTF-8, or UTF-16/32 with a byte-order mark (`encoding_of`;
    the mark is dropped); a file that is not, or a line with NUL bytes (UTF-16 without its mark),
    is a DocumentError naming it."""
    line_no = 0
    with open(path, "rb") as start:
        encoding = encoding_of(start.read(4))
    try:
        with open(path, encoding=encoding) as lines:
            for line_no, line in enumerate(lines, start=1):
                yield line_no, check_text(line, f"{path} line {line_no}")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path} after line {line_no}: not {encoding.removesuffix('-sig').upper()} "
            f"({exc.reason}); convert the file to UTF-8"
        ) from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """The line number and JSON object of each non-blank line of a JSONL file (`iter_lines`); a
    bad line (not JSON, too deep, not an object) is a DocumentError naming it."""
    for line_no, line in iter_lines(path):
        if not line.strip():
            continue
        record = parse_json(line, f"{path} line {line_no}")
        if not isinstance(record, dict):
            raise DocumentError(f"{path} line {line_no}: a JSON object is expected, got {type(record).__name__}")
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
