"""The loop's logic without a server: the lease over an in-memory claim store judged by a fake
clock, the counting of new annotations, the state file, and the loop's reaction to an outage."""

import json
import multiprocessing

import pytest

from newsgold.annotate.studio.errors import UnreachableError
from newsgold.annotate.studio.lease import Claim, Lease, LocalLock, newest_state
from newsgold.annotate.studio.loop import Loop, LoopState, LoopStateError, due, read_state, write_state


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class Store:
    """Claims in memory, ids only growing, as Label Studio's tab ids do."""

    def __init__(self, clock):
        self.clock, self.items, self.next = clock, {}, 1

    def list(self):
        return [self.items[k] for k in sorted(self.items)]

    def create(self, owner, expires, state):
        claim = self.next
        self.next += 1
        self.items[claim] = Claim(claim, owner, expires, state)
        return claim

    def update(self, claim, owner, expires, state):
        if claim in self.items:
            self.items[claim] = Claim(claim, owner, expires, state)

    def delete(self, claim):
        self.items.pop(claim, None)

    def now(self):
        return self.clock()


def lease(store, clock, name, ttl=60):
    return Lease(store, name, ttl, monotonic=clock)


def test_one_holder_the_other_waits_until_release_and_gets_the_state():
    clock = Clock()
    store = Store(clock)
    a, b = lease(store, clock, "a"), lease(store, clock, "b")
    assert a.acquire() and a.held
    assert not b.acquire() and b.holder.owner == "a"
    clock.t += 30
    assert a.renew({"round": 1, "annotations": 2}) and not b.acquire()
    assert a.release({"round": 1, "annotations": 2, "model_version": "v1"})
    assert b.acquire() and b.state["model_version"] == "v1"
    assert [c.owner for c in store.list()] == ["b"]  # the released record was carried and deleted


def test_a_killed_holder_expires_and_loses_on_renewal():
    clock = Clock()
    store = Store(clock)
    a, b = lease(store, clock, "a"), lease(store, clock, "b")
    assert a.acquire()
    clock.t += 59
    assert not b.acquire()
    clock.t += 2  # a stopped renewing (killed -9): its claim expired
    assert not a.held
    assert b.acquire()
    assert not a.renew() and a.mine is None  # its claim is gone: it knows it lost


def test_an_expired_holder_yields_to_a_newer_claim_left_beside_it():
    clock = Clock()
    store = Store(clock)
    a = lease(store, clock, "a")
    assert a.acquire()
    clock.t += 61
    newer = store.create("b", clock.t + 60, {})  # b claimed; it has not cleaned up yet
    assert not a.renew() and a.holder.id == newer


def test_two_claims_at_once_the_oldest_wins():
    clock = Clock()
    store = Store(clock)
    a, b = lease(store, clock, "a"), lease(store, clock, "b")
    create = store.create

    def racing_create(owner, expires, state):  # b creates its claim just after a, before a lists again
        claim = create(owner, expires, state)
        b.mine = create("b", expires, state)
        return claim

    store.create = racing_create
    assert a.acquire()  # the oldest live claim is a's
    assert [c.owner for c in store.list()] == ["a", "b"]
    assert not b.acquire() and b.holder.owner == "a"  # b sees the older claim and deletes its own
    assert [c.owner for c in store.list()] == ["a"] and a.renew()


def test_newest_state_and_counting():
    claims = [
        Claim(1, "x", 0, {"round": 2, "annotations": 4}),
        Claim(2, "y", 0, {}),
        Claim(3, "z", 0, {"round": 3, "annotations": 6, "model_version": "v3"}),
    ]
    assert newest_state(claims)["model_version"] == "v3"
    state = LoopState(1, 4, "v1")
    assert not due(5, state, 2) and due(6, state, 2) and due(9, state, 2)
    assert not due(3, state, 2)  # deletions: fewer than at the last round
    assert LoopState(2, 1).newer(LoopState(1, 9)).round == 2
    assert LoopState.of({"round": "x"}) == LoopState()


def test_state_file_is_written_whole(tmp_path):
    assert read_state(tmp_path) == LoopState()
    write_state(tmp_path, LoopState(3, 7, "v", {"f1": 0.5}))
    assert json.loads((tmp_path / "state.json").read_text())["annotations"] == 7
    assert read_state(tmp_path) == LoopState(3, 7, "v", {"f1": 0.5})
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left
    (tmp_path / "state.json").write_text("{broken")  # not trusted, not forgotten: refused (tests/hostile/test_team.py)
    with pytest.raises(LoopStateError, match="state.json"):
        read_state(tmp_path)


def _try_lock(path, queue):
    queue.put(LocalLock(path).acquire())


def test_local_lock_excludes_another_process_and_is_released(tmp_path):
    lock = LocalLock(tmp_path / "x.lock")
    assert lock.acquire()
    queue = multiprocessing.get_context("fork").Queue()
    other = multiprocessing.get_context("fork").Process(target=_try_lock, args=(tmp_path / "x.lock", queue))
    other.start(), other.join()
    assert queue.get() is False
    lock.release()
    assert LocalLock(tmp_path / "x.lock").acquire()


class Outage:
    """A connection that is refused `down` times, then a project whose count never reaches a round."""

    def __init__(self, down):
        self.down, self.url, self.tabs = down, "http://example.invalid", {}

    def __call__(self):
        if self.down:
            self.down -= 1
            raise UnreachableError("http://example.invalid: Label Studio is unreachable (ConnectError)")
        return self

    def get_project(self, title, fix=""):
        from newsgold.annotate.schema import labelstudio_config, load_schema
        from newsgold.annotate.studio.errors import Project

        return Project(1, title, labelstudio_config(load_schema()), "")  # a project push made

    def views(self, project):
        return [{"id": k, "data": v} for k, v in sorted(self.tabs.items())]

    def create_view(self, project, data):
        self.tabs[len(self.tabs) + 1] = data
        return len(self.tabs)

    def update_view(self, project, view, data):
        self.tabs[view] = data

    def delete_view(self, project, view):
        self.tabs.pop(view, None)

    def server_time(self):
        return None

    def annotation_count(self, project):
        return 1


def test_an_outage_is_logged_once_backed_off_and_the_loop_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path / "cache"))
    records, sleeps, polls = [], [], []
    loop = Loop(
        "outage test",
        tmp_path / "work",
        2,
        poll=1,
        log=records.append,
        sleep=sleeps.append,
        connect=Outage(4),
        trainer=lambda *a, **k: pytest.fail("no round is due"),
    )
    loop.run(stop=lambda: polls.append(1) or len(polls) > 8)
    events = [r["event"] for r in records]
    assert events.count("server-unreachable") == 1 and events.count("server-back") == 1
    assert sleeps[:4] == [1, 2, 4, 8]  # the backoff doubles
    assert events.index("server-back") < events.index("lease-acquired")
    assert events[-2:] == ["lease-released", "stopped"]
    assert loop.lease.claims.list()[0].expires == 0  # released, kept as the record of the state
    logged = [json.loads(line)["event"] for line in (tmp_path / "work" / "loop.jsonl").read_text().splitlines()]
    assert logged == events


def test_rounds_come_every_n_annotations_and_a_failed_round_waits_for_more(tmp_path, monkeypatch):
    from newsgold.annotate.errors import NewsgoldError

    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path / "cache"))
    server = Outage(0)
    counts = iter([0, 1, 2, 2, 2, 3, 4, 5, 6])
    server.annotation_count = lambda project: next(counts)
    tried = []

    def train_and_push(self, ls, number, count, renewer):
        tried.append(count)
        if count == 2:
            raise NewsgoldError("the train split has no documents")
        return {"model_version": f"v{count}", "dev": None, "dev_note": "no validation split"}

    monkeypatch.setattr(Loop, "_train_and_push", train_and_push)
    records = []
    loop = Loop(
        "rounds test",
        tmp_path / "work",
        2,
        poll=1,
        log=records.append,
        sleep=lambda s: None,
        connect=server,
        trainer=lambda *a, **k: None,
    )
    state = loop.run(rounds=2)
    assert tried == [2, 3, 5]  # failed at 2: not again at 2, again at 3; then 2 more after 3
    assert [r["round"] for r in records if r["event"] == "round"] == [1, 2]
    assert [r["event"] for r in records].count("round-failed") == 1
    assert state == LoopState(2, 5, "v5") == read_state(tmp_path / "work")
    # a restarted loop goes on from the state file and the lease's record: nothing retrained at 5
    again = Loop(
        "rounds test",
        tmp_path / "work",
        2,
        poll=1,
        log=records.append,
        sleep=lambda s: None,
        connect=server,
        trainer=lambda *a, **k: None,
    )
    server.annotation_count = lambda project: 6
    tried.clear()
    polls = []
    again.run(stop=lambda: polls.append(1) or len(polls) > 3)
    assert again.state.round == 2 and tried == []


def test_sigterm_in_a_round_leaves_the_state_and_releases_the_lease(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path / "cache"))
    server = Outage(0)
    server.annotation_count = lambda project: 2

    def terminated(self, ls, number, count, renewer):  # what clikit's SIGTERM handler raises mid-round
        raise SystemExit(143)

    monkeypatch.setattr(Loop, "_train_and_push", terminated)
    records = []
    loop = Loop(
        "sigterm test",
        tmp_path / "work",
        2,
        poll=1,
        log=records.append,
        sleep=lambda s: None,
        connect=server,
        trainer=lambda *a, **k: None,
    )
    with pytest.raises(SystemExit) as exit:
        loop.run()
    assert exit.value.code == 143
    assert [r["event"] for r in records][-3:] == ["round-started", "lease-released", "stopped"]
    assert not (tmp_path / "work" / "state.json").exists()
    claim = loop.lease.claims.list()[0]
    assert claim.expires == 0 and claim.state["round"] == 0  # released; no round recorded
    assert loop.lock.acquire()  # the lock file was let go (a new LocalLock would get it too)
