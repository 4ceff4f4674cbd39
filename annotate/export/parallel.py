"""Converting one export file in several processes.

On Linux, an export file is cut into contiguous regions at task boundaries (`task_regions`), one
per process. This process converts the first region and writes every row; forked worker
processes convert the others, each spooling its batches to a file (a length and a pickle per
batch) that this process reads in region order, while the worker is still writing it. Every
task is parsed once and the rows come out in file order, so the files written do not depend on
the number of workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from queue import Empty
from typing import Iterator

from newsgold.annotate.documents import Identities
from newsgold.annotate.export.batches import Batch, Conversion, task_batches
from newsgold.annotate.export.controls import RegionCensus
from newsgold.annotate.export.report import ExportError, ExportReport, RegionsUnreadable
from newsgold.annotate.formats.labelstudio import iter_ls_export_file, task_regions
from newsgold.annotate.studio.agreement import agreement
from newsgold.annotate.studio.tasks import DOC_ID_FIELD

_SMALL_FILE = 8 << 20  # bytes: below this an export file is converted in this process
_WRITE_COST = 0.25  # writing a row (JSONL, Arrow, Parquet, with start-up) / converting its task (docs/decisions.md)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused (on entry as it was found): an export allocates
    millions of objects that reference counting frees (parsed tasks, rows), and the collector
    traversed them over and over (docs/decisions.md, "Exporting in parallel"). Forked workers
    inherit the pause."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_workers(path: Path) -> int:
    """Processes for converting an export file: the CPUs this process may use (at most 8), or
    one for a small file."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return 1 if Path(path).stat().st_size < _SMALL_FILE else max(1, min(cpus, 8))


def batches_from_ls_file(
    path: Path, conversion: Conversion, report: ExportReport, workers: int = 1, census: RegionCensus | None = None
) -> Iterator[Batch]:
    """Batches of an export file in file order, converted by up to `workers` processes (one per
    region of the file, see `task_regions`), with the agreement of multi-annotated tasks put in
    `report` (for the card) once the last batch is out, and the labelled regions of every task
    counted in `census` (in file order). With several workers it may raise
    RegionsUnreadable after some batches are out: start again with `workers=1`."""
    several: list[dict] = []
    # this process converts the first region and also writes every row with a story id as it
    # comes (and starts up), which costs about `_WRITE_COST` of converting it: its region
    # is smaller, so that all processes finish together; rows without one are written after
    # workers are forked (they inherit the loaded modules): on Linux only, where that is safe
    parallel = workers > 1 and sys.platform.startswith("linux")
    if parallel and _writes_while_converting(path):
        first_share = max(0.02, (1 - _WRITE_COST * (workers - 1)) / workers)
    else:  # its rows wait for the story grouping: they are written after the conversion
        first_share = 1 / workers
    regions = task_regions(path, workers, first_share) if parallel else []
    if len(regions) > 1:
        yield from _parallel_batches(path, regions, conversion, report, several, census)
    else:
        yield from task_batches(path, (0, None), conversion, report, several, census)
    if several:
        labels = list(conversion.labels)
        agreed = agreement(several, labels, conversion.users, conversion.config)
        if agreed["documents"]:
            report.agreement = {
                key: agreed[key] for key in ("documents", "definition", "pairs", "ground_truth", "chance")
            }


def _writes_while_converting(path: Path, peek: int = 64) -> bool:
    """Whether this process will write rows while the workers convert: a task with a story id
    is written as it comes, one without waits for the story grouping after the conversion.
    Judged from the first `peek` tasks (a file that cannot be read says so later, in order)."""
    try:
        return any(
            isinstance(task.get("data"), dict) and task["data"].get("story_id")
            for task in islice(iter_ls_export_file(path), peek)
        )
    except (ExportError, OSError):
        return True


def _worker(path: Path, region, conversion: Conversion, queue, spool: Path, census: RegionCensus | None) -> None:
    """A converting process: the batches of its region to a spool file (read once the regions
    before it are out), then its counts through the queue, or the error that stopped it."""
    report, several = ExportReport(Path(), ""), []
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is for the parent only
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # forked while the parent blocked it
    try:
        with open(spool, "wb") as out:
            for batch in task_batches(path, region, conversion, report, several, census):
                data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
                out.write(len(data).to_bytes(8, "little") + data)
                out.flush()  # the parent reads each batch as soon as it is whole
        queue.put(("done", (report, several, census)))
    except BaseException as exc:  # handed to the parent, which starts again in one process
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def _spooled(spool: Path, queue, process, share: list) -> Iterator[Batch]:
    """A worker's batches, read from its spool file while it writes them (each one a length
    and a pickle); then its counts go in `share`."""
    done = None
    with open(spool, "rb") as source:
        while True:
            at = source.tell()
            header = source.read(8)
            if len(header) == 8:
                size = int.from_bytes(header, "little")
                data = source.read(size)
                if len(data) == size:
                    yield pickle.loads(data)
                    continue
            source.seek(at)
            if done is not None:  # the worker closed the file before saying so: all read
                if header:
                    raise RegionsUnreadable(f"a spool file ends inside a batch ({spool})")
                share.append(done)
                return
            try:
                kind, payload = queue.get(timeout=0.02)
            except Empty:
                if not process.is_alive():
                    raise RegionsUnreadable(f"an export worker stopped (exit code {process.exitcode})") from None
                continue
            if kind == "error":
                raise RegionsUnreadable(payload)
            done = payload


def _one_identity(batches: Iterator[Batch], identities: Identities, exported: set) -> Iterator[Batch]:
    """The batches of the regions, checked across regions by the identity rule: one id with two
    texts stops the export (naming both tasks); a document that gave a row in two regions is
    converted again in one process, which keeps one row (`rows.TaskIdentities`)."""
    for batch in batches:
        for doc_id, digest, item, row in batch.identities:
            identities.check(doc_id, digest, item)
            if row and doc_id in exported:
                raise RegionsUnreadable(f"{item} holds a document an earlier part of the file holds too")
            if row:
                exported.add(doc_id)
        yield batch


def _parallel_batches(
    path: Path, regions, conversion: Conversion, report: ExportReport, several: list[dict], census: RegionCensus | None
) -> Iterator[Batch]:
    """The first region converted here, each other one by a worker process that spools its
    batches to a file; the spools are read in region order after the first region (each while
    its worker still writes it), so the output is the same as from one process."""
    context = multiprocessing.get_context("fork")  # the workers inherit the loaded modules
    with tempfile.TemporaryDirectory(prefix="newsgold-export-") as spools:
        spool_paths = [Path(spools) / f"region-{k}.pickle" for k in range(1, len(regions))]
        for spool in spool_paths:
            spool.touch()  # readable before its worker opens it
        queues = [context.Queue() for _ in spool_paths]
        processes = [
            context.Process(
                target=_worker,
                args=(path, region, conversion, queue, spool, None if census is None else RegionCensus()),
                daemon=True,
            )
            for region, queue, spool in zip(regions[1:], queues, spool_paths)
        ]
        gc.freeze()  # what is loaded now stays out of the workers' garbage collection (and copy-on-write)
        # SIGTERM waits until the workers are forked: a handler run inside fork's callbacks
        # cannot stop the export (its exception is only printed), so the signal would be lost
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            for process in processes:
                process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        gc.unfreeze()
        identities, exported = Identities("tasks", DOC_ID_FIELD), set()
        try:
            try:
                yield from _one_identity(
                    task_batches(path, regions[0], conversion, report, several, census), identities, exported
                )
            except ExportError as exc:  # perhaps the region ends inside a task: see task_regions
                raise RegionsUnreadable(str(exc)) from None
            for queue, process, spool in zip(queues, processes, spool_paths):
                finished: list = []
                yield from _one_identity(_spooled(spool, queue, process, finished), identities, exported)
                spool.unlink()
                share, found, counted = finished[0]
                report.absorb(share)
                several += found
                if census is not None:
                    census.absorb(counted)
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()


# ---------------------------------------------------------------------------- writing
