"""Export snapshots without a server: polling until complete, failure and timeout as one line,
the timeout's setting, and the temporary download removed when an export is interrupted."""

import pytest

import newsgold.annotate.export as export
from newsgold.annotate.studio.errors import LabelStudioError
from newsgold.annotate.studio.snapshot import SNAPSHOT_TIMEOUT, TIMEOUT_ENV, export_timeout, wait_for_snapshot


class Clock:
    """A fake clock that `sleep` advances."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def statuses(*found):
    answers = iter(found)
    return lambda: next(answers)


def test_polls_until_completed_waiting_longer_each_time_up_to_five_seconds():
    clock, ticks = Clock(), []
    wait_for_snapshot(
        statuses("created", *["in_progress"] * 7, "completed"), "p", 600, lambda: ticks.append(1), clock.sleep, clock
    )
    assert clock.slept == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert len(ticks) == 8


def test_a_snapshot_already_complete_is_not_waited_for():
    clock = Clock()
    wait_for_snapshot(statuses("completed"), "p", 600, sleep=clock.sleep, clock=clock)
    assert clock.slept == []


def test_a_failed_snapshot_is_one_line_naming_the_project():
    clock = Clock()
    with pytest.raises(LabelStudioError) as caught:
        wait_for_snapshot(statuses("in_progress", "failed"), "news desk", 600, sleep=clock.sleep, clock=clock)
    message = str(caught.value)
    assert "\n" not in message and "'news desk'" in message and "status failed" in message


def test_a_snapshot_that_never_completes_times_out_without_sleeping_past_the_deadline():
    clock = Clock()
    with pytest.raises(LabelStudioError) as caught:
        wait_for_snapshot(lambda: "in_progress", "news desk", 12, sleep=clock.sleep, clock=clock)
    assert clock.now == 12 and clock.slept[-1] <= 5
    message = str(caught.value)
    assert "still 'in_progress' after 12 s" in message and TIMEOUT_ENV in message


@pytest.mark.parametrize(
    "value, seconds", [(None, SNAPSHOT_TIMEOUT), ("", SNAPSHOT_TIMEOUT), ("90", 90.0), (" 7200.5 ", 7200.5)]
)
def test_the_timeout_comes_from_the_environment(monkeypatch, value, seconds):
    if value is None:
        monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    else:
        monkeypatch.setenv(TIMEOUT_ENV, value)
    assert export_timeout() == seconds


@pytest.mark.parametrize("value", ["ten", "0", "-5", "nan", "inf "])
def test_a_bad_timeout_is_one_line(monkeypatch, value):
    monkeypatch.setenv(TIMEOUT_ENV, value)
    if value.strip() == "inf":
        assert export_timeout() == float("inf")  # wait as long as it takes
        return
    with pytest.raises(LabelStudioError, match=f"\\${TIMEOUT_ENV}=.* is not a number of seconds above 0"):
        export_timeout()


class Interrupted:
    """A connection whose snapshot download stops after one chunk, as Ctrl-C or SIGTERM would."""

    url = "http://ls.test"

    def __init__(self, stop: type[BaseException]):
        self.stop, self.closed = stop, False

    def users(self):
        return {}

    def task_fingerprint(self, project):
        return 2, 2

    def export_chunks(self, project, progress):
        try:
            yield b'[{"id": 1, "data": {"text": "A text."}},'
            raise self.stop()
        finally:
            self.closed = True  # where the real one deletes the snapshot on the server


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_an_interrupted_download_leaves_no_file_and_closes_the_snapshot(tmp_path, monkeypatch, stop):
    from newsgold.annotate.schema import labelstudio_config, load_schema
    from newsgold.annotate.studio.errors import Project

    connection = Interrupted(stop)
    project = Project(1, "p", labelstudio_config(load_schema()), "")
    monkeypatch.setattr(export, "_project", lambda title, data_dir: (connection, project))
    with pytest.raises(stop):
        export.export_dataset(tmp_path / "ds", project="p")
    assert connection.closed
    assert list(tmp_path.iterdir()) == []
