"""`annotate loop`: rounds that start themselves.

The loop polls the project's count of submitted annotations (one small request every `poll`
seconds; Label Studio counts them from the annotations themselves). When `every` new ones have
arrived since the last round, it runs a round: export the project (`export_dataset`, atomic),
fit the team's model on it through the trainer registered in the entry point group
`newsgold.trainers` (`annotate` never imports `train`; the trainer returns the model's version
and its score on the validation split), merge it with the rules (`merge.load_merged`) and push its
predictions to the tasks nobody has annotated yet (`push.import_round`: once per task and
version), which makes the round the project's model version, so the tab "least confident first"
orders by it.

Polling, not Label Studio's webhooks: a webhook needs the server to reach the loop's address
(a port open from the server to the trainer's machine, and the webhook configured in the
project), polling works from anywhere the API is reachable, and a loop that was down misses
nothing: it counts again.

Only the holder of the lease (`annotate.studio.lease`) trains. The state (round, annotations counted
when it started, model_version, dev score) is written atomically to `state.json` in the work
folder and recorded in the lease's claim, so a restarted loop, or one taking over on another
machine, does not train again on annotations already used. A server that does not answer is
logged once and asked again with a backoff (up to `MAX_BACKOFF` seconds); when it answers again
the loop says so and goes on. Events go to `log(record)`; the CLI prints them and every record
is appended to `loop.jsonl` in the work folder. Library code never prints.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.studio.agreement import project_config
from newsgold.annotate.studio.errors import LabelStudioError, UnreachableError
from newsgold.annotate.studio.lease import Lease, LocalLock, ViewClaims
from newsgold.annotate.studio.loopstate import (  # noqa: F401 (the state's names, offered here too)
    LOG_FILE,
    STATE_FILE,
    WORK_LOCK,
    LoopState,
    LoopStateError,
    due,
    prepare_work,
    read_state,
    write_state,
)
from newsgold.annotate.studio.server import ServerError

TRAINERS = "newsgold.trainers"
MAX_BACKOFF = 60.0
Log = Callable[[dict], None]


class EventLog:
    """Each event a record {"time", "event", ...}: appended to the JSONL file, then to `log`."""

    def __init__(self, path: Path, log: Log):
        self.path, self.log = path, log

    def __call__(self, event: str, **fields) -> dict:
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "event": event, **fields}
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.log(record)
        return record


def load_trainer():
    """The trainer of the entry point group `newsgold.trainers` (`train.rounds.fit_round`)."""
    from newsgold.annotate import plugins

    trainer = plugins.load(TRAINERS, "tagger")
    if trainer is None:
        raise NewsgoldError(
            f"no trainer is installed (entry point 'tagger' in group {TRAINERS}); reinstall "
            "newsgold (pip install newsgold) and try again"
        )
    return trainer


def lock_path(url: str, project_id: int) -> Path:
    from newsgold.annotate.layercache import cache_dir

    key = hashlib.sha256(f"{url.rstrip('/')}|{project_id}".encode()).hexdigest()[:16]
    return cache_dir() / "loop-locks" / f"{key}.lock"


class Renewer:
    """Renews the lease from a thread every `interval` seconds while a round runs."""

    def __init__(self, lease: Lease, interval: float):
        self.lease, self.interval = lease, interval
        self.lost, self._stop = False, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="newsgold-lease")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.lease.renew():
                    self.lost = True
                    return
            except NewsgoldError:  # unreachable for now: `held` expires on its own clock
                pass

    def __enter__(self) -> "Renewer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class RoundLost(NewsgoldError):
    """The lease was lost while the round ran; nothing more of it is pushed."""


class Loop:
    def __init__(
        self,
        project: str,
        work: str | Path,
        every: int,
        *,
        poll: float = 30.0,
        ttl: float = 60.0,
        features: str = "pipeline",
        seed: int | None = None,
        ratios=None,
        schema=None,
        data_dir=None,
        log: Log = lambda record: None,
        sleep: Callable[[float], None] = time.sleep,
        connect: Callable | None = None,
        trainer: Callable | None = None,
    ):
        from newsgold.annotate.schema import as_schema
        from newsgold.annotate.studio.server import connect as server_connect
        from newsgold.annotate.studio.server import external_connection

        self.project, self.work, self.every, self.poll, self.ttl = project, Path(work), every, poll, ttl
        self.features, self.seed, self.ratios = features, seed, ratios
        self.schema, self.data_dir = as_schema(schema), data_dir
        if poll >= ttl:
            from newsgold.annotate.limits import OptionError

            raise OptionError(
                f"--poll {poll:g} is not shorter than --lease {ttl:g}: the lease would lapse between two "
                "looks at the project and another loop take it; give a --lease longer than --poll "
                "(twice it or more)"
            )
        if connect is None:  # a half-set or misspelt LABEL_STUDIO_URL never mends: refused, not waited out
            external_connection()
        self.trainer = trainer or load_trainer()
        self.state, self.work_lock = prepare_work(self.work, project)  # one loop per folder
        self.event = EventLog(self.work / LOG_FILE, log)
        self.sleep, self.connect = sleep, connect or (lambda: server_connect(data_dir))
        self.ls = self.found = self.lease = self.lock = None
        self.outage: str | None = None
        self.outage_since = 0.0
        self.failed_at: int | None = None  # the count a round failed at: tried again only with more
        self.waiting_for: str | None = None

    # ---------------------------------------------------------------- connection
    def _connected(self):
        if self.ls is None:
            ls = self.connect()
            found = ls.get_project(self.project, "push documents first: annotate push PATHS --project NAME")
            project_config(found, self.schema, "loop")  # a project push did not make: refused, not retried
            self.ls, self.found = ls, found
            self.lease = self.lease or Lease(ViewClaims(ls, found), ttl=self.ttl)
            self.lease.claims = ViewClaims(ls, found)
            self.lock = self.lock or LocalLock(lock_path(ls.url, found.id))
        return self.ls

    def _trouble(self, exc: Exception, backoff: float) -> float:
        """Log an outage once, forget the connection, wait `backoff`; the next backoff."""
        if self.outage is None:
            self.outage, self.outage_since = str(exc), time.monotonic()
            self.event("server-unreachable", error=str(exc), retry_seconds=backoff, backoff_max=MAX_BACKOFF)
        self.ls = None
        self.sleep(backoff)
        return min(backoff * 2, MAX_BACKOFF)

    # ---------------------------------------------------------------- the loop
    def run(self, rounds: int | None = None, stop: Callable[[], bool] = lambda: False) -> LoopState:
        """Poll and run rounds until `rounds` rounds ran (None: until interrupted or `stop()`)."""
        self.event(
            "started",
            project=self.project,
            every=self.every,
            poll=self.poll,
            work=str(self.work),
            round=self.state.round,
            annotations=self.state.annotations,
        )
        ran, backoff = 0, self.poll
        try:
            while not stop() and (rounds is None or ran < rounds):
                try:
                    ls = self._connected()
                    if self.outage is not None:
                        self.event(
                            "server-back", seconds=round(time.monotonic() - self.outage_since, 1), after=self.outage
                        )
                        self.outage, backoff = None, self.poll
                    if self._hold():
                        count = ls.annotation_count(self.found)
                        if count < self.state.annotations:  # some deleted: the next N count from here
                            self.event("fewer-annotations", was=self.state.annotations, now=count)
                            self.state = replace(self.state, annotations=count)
                            write_state(self.work, self.state, self.project)
                        if due(count, self.state, self.every) and count != self.failed_at:
                            ran += self._round(ls, count)
                            continue
                except RoundLost as exc:
                    self.event("lease-lost", detail=str(exc))
                except (UnreachableError, ServerError) as exc:
                    backoff = self._trouble(exc, backoff)
                    continue
                except LabelStudioError as exc:  # an answer, but not the one expected (a restart's 502)
                    if self.found is None:
                        raise
                    backoff = self._trouble(exc, backoff)
                    continue
                self.sleep(self.poll)
        finally:
            self._release()
        return self.state

    def _hold(self) -> bool:
        """Whether we hold the lease (taking or renewing it), logging a wait once per holder."""
        lease = self.lease
        if lease.mine is not None:
            if lease.monotonic() < lease.valid_until - self.ttl * 0.75:
                return True
            if lease.renew(asdict(self.state)):
                return True
            self.event("lease-lost", holder=lease.holder.owner if lease.holder else None)
        if not self.lock.acquire():
            return self._waiting(f"another loop on this machine ({self.lock.path})")
        if not lease.acquire():
            holder = lease.holder
            return self._waiting(f"lease held by {holder.owner}" if holder else "lease taken by another loop")
        self.state = self.state.newer(LoopState.of(lease.state))
        self.waiting_for = None
        self.event(
            "lease-acquired",
            owner=lease.owner,
            round=self.state.round,
            annotations=self.state.annotations,
            model_version=self.state.model_version,
        )
        return True

    def _waiting(self, why: str) -> bool:
        if why != self.waiting_for:
            self.waiting_for = why
            self.event("waiting", why=why)
        return False

    def _release(self) -> None:
        try:
            if self.lease is not None and self.ls is not None and self.lease.release(asdict(self.state)):
                self.event("lease-released", owner=self.lease.owner)
        except NewsgoldError as exc:  # unreachable: the claim expires by itself
            self.event("lease-not-released", error=str(exc), expires_in=self.ttl)
        finally:
            if self.lock is not None:
                self.lock.release()
            self.work_lock.release()
            self.event("stopped", round=self.state.round)

    # ---------------------------------------------------------------- a round
    def _round(self, ls, count: int) -> int:
        """Export, fit, push; 1 when the round completed, 0 when it failed (logged)."""
        number = self.state.round + 1
        self.event("round-started", round=number, annotations=count)
        started = time.monotonic()
        try:
            with Renewer(self.lease, self.ttl / 4) as renewer:
                result = self._train_and_push(ls, number, count, renewer)
        except (LabelStudioError, ServerError, RoundLost):  # the server's trouble: the round is tried again
            raise
        except NewsgoldError as exc:  # too little data to fit...: wait for more annotations
            self.failed_at = count
            self.event("round-failed", round=number, annotations=count, error=str(exc))
            return 0
        self.state = LoopState(number, count, result["model_version"], result.get("dev"))
        write_state(self.work, self.state, self.project)
        if not self.lease.renew(asdict(self.state)):
            self.event("lease-lost", detail="after the round, which is complete")
        self.failed_at = None
        self.event(
            "round",
            round=number,
            annotations=count,
            seconds=round(time.monotonic() - started, 1),
            **{k: v for k, v in result.items()},
        )
        return 1

    def _train_and_push(self, ls, number: int, count: int, renewer: Renewer) -> dict:
        from newsgold.annotate.documents import Document
        from newsgold.annotate.export import export_dataset
        from newsgold.annotate.jsonl import write_jsonl
        from newsgold.annotate.preannotate.merge import load_merged
        from newsgold.annotate.preannotator import annotate_all
        from newsgold.annotate.studio.push import import_round

        extra = {k: v for k, v in (("seed", self.seed), ("ratios", self.ratios)) if v is not None}
        dataset, model = self.work / "dataset", self.work / "model"
        export = export_dataset(
            dataset, project=self.project, force=True, schema=self.schema, data_dir=self.data_dir, **extra
        )
        open_tasks = [task for task in ls.task_summaries(self.found) if not task["annotated"] and task["doc"]]
        documents = [Document(str(task["doc"]), task["text"], "label-studio") for task in open_tasks]
        unlabelled = self.work / "unlabelled.jsonl"
        write_jsonl(unlabelled, (doc.to_dict() for doc in documents))
        fitted = self.trainer(dataset, model, features=self.features, unlabelled=[unlabelled] if documents else [])
        self._check(renewer)
        merged = load_merged(model, self.schema.hash)
        self._check(renewer)
        report = import_round(
            ls,
            self.project,
            documents,
            lambda docs: [a.to_record() for a in annotate_all(merged, docs)],
            merged.model_version,
            schema=self.schema,
        )
        return {
            "model_version": merged.model_version,
            "tagger_version": fitted.get("model_version"),
            "documents": export.documents,
            "splits": dict(export.split_counts),
            "train_documents": fitted.get("train_documents"),
            "dev": fitted.get("dev"),
            "dev_note": fitted.get("dev_note"),
            "tasks_predicted": report.predictions,
            "notes": list(report.notes),
            "tasks_without_spans": report.without_spans,
            "tasks_already_predicted": report.already_present,
            "unannotated_tasks": len(documents),
        }

    def _check(self, renewer: Renewer) -> None:
        if renewer.lost or not self.lease.held:
            raise RoundLost(
                "the lease was lost while training (another loop holds it now); nothing of this round was pushed"
            )
