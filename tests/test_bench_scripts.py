"""The benchmark scripts the docs' figures come from still run (their figures are checked by
running them, docs/benchmarks.md): bench_loop.py had crashed since scoring began refusing labels
outside those scored, which no test saw. Tiny settings: this checks that they run, not what they
measure."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "script, args, expect",
    [
        ("bench_loop.py", ["--seeds", "1", "--rounds", "2", "--batch", "5"], "targets at round 1"),
        ("bench_starter.py", ["--dev"], "Targets (issue 21)"),
    ],
)
def test_a_benchmark_runs(script, args, expect, tmp_path):
    extra = ["--out", str(tmp_path / "plot.png")] if script == "bench_loop.py" else []
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / script), *args, *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert expect in done.stdout
