"""The push ledger is believed only under the exact fingerprint it was stamped with."""

from newsgold.annotate.studio.errors import Project
from newsgold.annotate.studio.push import Ledger

PROJECT = Project(7, "news", "<View/>", "", "2026-11-22 10:00:00+00:00")


def test_ledger_round_trip_under_the_same_stamp(tmp_path):
    ledger = Ledger(tmp_path, "http://127.0.0.1:8080/", PROJECT)
    stamp = ledger.stamp(2, 41)
    ledger.write(stamp, {"a" * 64: 40, "b" * 64: 41})
    assert Ledger(tmp_path, "http://127.0.0.1:8080", PROJECT).read(stamp) == {"a" * 64: 40, "b" * 64: 41}
    assert [p.name for p in tmp_path.iterdir()] == [ledger.path.name]  # no temporary file left


def test_ledger_is_ignored_when_anything_in_the_fingerprint_differs(tmp_path):
    ledger = Ledger(tmp_path, "http://127.0.0.1:8080", PROJECT)
    ledger.write(ledger.stamp(2, 41), {"a" * 64: 40})
    assert ledger.read(ledger.stamp(3, 42)) is None  # a task added
    assert ledger.read(ledger.stamp(1, 41)) is None  # a task deleted
    recreated = Project(7, "news", "<View/>", "", "2026-11-23 09:00:00+00:00")
    again = Ledger(tmp_path, "http://127.0.0.1:8080", recreated)  # same id, a new project
    assert again.path == ledger.path and again.read(again.stamp(2, 41)) is None
    assert Ledger(tmp_path, "http://127.0.0.1:8081", PROJECT).read(ledger.stamp(2, 41)) is None


def test_missing_or_corrupt_ledger_reads_as_none(tmp_path):
    ledger = Ledger(tmp_path, "http://127.0.0.1:8080", PROJECT)
    assert ledger.read(ledger.stamp(0, 0)) is None
    ledger.path.write_text('{"stamp": [7, "2026')
    assert ledger.read(ledger.stamp(0, 0)) is None
    ledger.path.write_text("[1, 2]")
    assert ledger.read(ledger.stamp(0, 0)) is None


def test_a_ledger_that_cannot_be_saved_leaves_nothing_behind(tmp_path):
    import pytest

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the ledger folder should be")
    ledger = Ledger(blocked, "http://127.0.0.1:8080", PROJECT)
    with pytest.raises(OSError):
        ledger.write(ledger.stamp(1, 1), {"a" * 64: 1})
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]
