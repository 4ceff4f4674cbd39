"""Label Studio export snapshots without the SDK: their timeout, waiting for one to be written,
Ctrl-C deferred while one is removed, and the streamed JSON array read item by item."""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from newsgold.annotate.studio.errors import LabelStudioError

SNAPSHOT_STAGE = "export snapshot"


SNAPSHOT_MARKER = "newsgold export "  # the title of every snapshot newsgold makes, then a unique id


CLEANUP_STAGE = "removing the export snapshot (Ctrl-C again to leave it)"


@contextmanager
def _signals_deferred():
    """Run the block with Ctrl-C and SIGTERM held back (in the main thread): the cleanup of an
    export snapshot must not itself be cut short by a second Ctrl-C; the block gets the list of
    signals held back, to end a wait early. A signal held back is raised after the block (KeyboardInterrupt, or SystemExit 128+N for SIGTERM) unless
    an exception is already on its way out, which stops the command anyway."""
    import sys

    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    held: list[int] = []  # the block may read it: a second Ctrl-C that should cut a wait short
    wanted = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    before = {number: signal.getsignal(number) for number in wanted}
    for number in wanted:
        signal.signal(number, lambda signum, frame: held.append(signum))
    try:
        yield held
    finally:
        for number, handler in before.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
    if held and sys.exc_info()[0] is None:
        if held[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + held[0])


SNAPSHOT_TIMEOUT = 3600.0  # seconds; Label Studio gives its own export jobs 3 hours


TIMEOUT_ENV = "NEWSGOLD_EXPORT_TIMEOUT"


DOWNLOAD_CHUNK = 1 << 20


# What a snapshot holds: every task, every annotation (also ground truth and skipped ones: the
# export resolves them itself), predictions, drafts and annotators as ids only (the export never
# reads them; a prediction's full result would double the download; an annotator's id is what
# the synchronous export gave too), no annotation history.
SNAPSHOT_OPTIONS = {
    "task_filter_options": {"only_with_annotations": False},
    "annotation_filter_options": {"usual": True, "ground_truth": True, "skipped": True},
    "serialization_options": {
        "predictions": {"only_id": True},
        "drafts": {"only_id": True},
        "include_annotation_history": False,
    },
}


def export_timeout() -> float:
    """Seconds an export snapshot may take: $NEWSGOLD_EXPORT_TIMEOUT, else SNAPSHOT_TIMEOUT."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    if not value:
        return SNAPSHOT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise LabelStudioError(
            f"${TIMEOUT_ENV}={value!r} is not a number of seconds above 0; "
            f"set it to e.g. {SNAPSHOT_TIMEOUT:.0f}, or unset it"
        )
    return seconds


def wait_for_snapshot(
    status: Callable[[], str],
    title: str,
    timeout: float,
    tick: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Poll `status()` of the export snapshot of project `title` until it is "completed": first
    after a quarter of a second, then less often, at most every 5 s, calling `tick()` at each
    wait. A LabelStudioError when the server says it failed or after `timeout` seconds."""
    deadline, pause = clock() + timeout, 0.25
    while True:
        found = status()
        if found == "completed":
            return
        if found == "failed":
            raise LabelStudioError(
                f"project {title!r}: Label Studio could not write the export snapshot "
                "(status failed); its log says why; export again once it is fixed"
            )
        left = deadline - clock()
        if left <= 0:
            raise LabelStudioError(
                f"project {title!r}: the export snapshot is still {found!r} after {timeout:.0f} s; check that "
                f"the server's export worker runs, or allow more seconds with ${TIMEOUT_ENV}"
            )
        tick()
        sleep(min(pause, left))
        pause = min(pause * 2, 5.0)


def iter_json_array(chunks: Iterable[bytes]) -> Iterator[dict]:
    """Items of a JSON array arriving as byte chunks, parsed incrementally (constant memory)."""
    import ijson

    events = ijson.sendable_list()
    coroutine = ijson.items_coro(events, "item", use_float=True)
    for chunk in chunks:
        coroutine.send(chunk)
        yield from events
        del events[:]
    coroutine.close()
    yield from events
