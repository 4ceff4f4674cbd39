"""What every number newsgold takes may be, stated once.

`LIMITS` holds the bounds of each numeric option of `annotate` and `train` under the name of
the matching argument of the Python API (`c1`, `port`, `story_threshold`, ...), and `RATIOS` the
rule of the export's split ratios. The command lines turn each into a click parameter type
(`clikit.checked(name)`, `clikit.RATIOS`), so a value is refused with one usage line before any
work starts (`read`, `ratios_problem`); the API calls `check(name, value)` / `check_ratios(value)`
and raises OptionError.
Both refuse the same values with the same words: nan, inf, -inf, a value outside what the option
means, a fraction where a whole number is due, a word where a number is due.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from newsgold.annotate.errors import NewsgoldError


class OptionError(NewsgoldError):
    """A number given to an option or an API argument that cannot mean anything."""

    exit_code = 2  # like click's usage errors


@dataclass(frozen=True)
class Bound:
    """A whole number (`kind=int`) or a finite number (`kind=float`) between `low` and `high`,
    each end included unless it is open; `what` says what the value is."""

    kind: type
    low: float
    high: float
    what: str
    low_open: bool = False
    high_open: bool = False

    def interval(self) -> str:
        """The bounds in interval notation: [1,65535], (0,1]."""
        return (
            f"{'(' if self.low_open else '['}{_number(self.low)},{_number(self.high)}{')' if self.high_open else ']'}"
        )

    def describe(self) -> str:
        """What a value must be, in words: 'a whole number from 1 to 65535 (a TCP port)'."""
        kind = "a whole number" if self.kind is int else "a finite number"
        if self.low_open or self.high_open:
            low = f"above {_number(self.low)}" if self.low_open else f"at least {_number(self.low)}"
            high = f"below {_number(self.high)}" if self.high_open else f"at most {_number(self.high)}"
            return f"{kind} {low} and {high} ({self.what})"
        return f"{kind} from {_number(self.low)} to {_number(self.high)} ({self.what})"

    def parse(self, text: str) -> int | float:
        """The number a command-line word means, or ValueError."""
        text = text.strip()
        if self.kind is int:
            return int(text)
        return float(text)

    def accepts(self, value) -> bool:
        if not _finite(value) or (self.kind is int and not isinstance(value, numbers.Integral)):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def _number(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else str(value)


def _finite(value) -> bool:
    """A real number that is not nan, inf or -inf (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or math.isfinite(value)


LIMITS: dict[str, Bound] = {
    # annotate documents / preannotate / push / export
    "story_threshold": Bound(float, 0, 1, "the TF-IDF cosine at which two documents are one story", low_open=True),
    "max_story": Bound(int, 1, 10**9, "documents in one story"),
    # annotate push
    "batch_size": Bound(int, 1, 5000, "tasks per import request"),
    "overlap": Bound(int, 1, 100, "different annotators each task of the overlap cohort gets"),
    "overlap_share": Bound(int, 1, 100, "the percent of tasks in the overlap cohort"),
    # annotate server
    "port": Bound(int, 1, 65535, "a TCP port"),
    # annotate export
    "seed": Bound(int, 0, 2**63 - 1, "the seed of the story-to-split assignment"),
    "workers": Bound(int, 1, 256, "converting processes"),
    # annotate check
    "show": Bound(int, 0, 10**9, "warnings to print, 0 for all"),
    # annotate loop
    "every": Bound(int, 1, 10**6, "new submitted annotations that start a round"),
    "poll": Bound(float, 0.5, 86400, "seconds between two looks at the project"),
    "lease": Bound(float, 5, 86400, "seconds a loop's lease lasts unless renewed"),
    # train fit
    "c1": Bound(float, 0, 1000, "the CRF's L1 regularisation weight"),
    "c2": Bound(float, 0, 1000, "the CRF's L2 regularisation weight"),
    # train curve
    "steps": Bound(int, 1, 50, "training sizes on the curve, each a model fitted"),
}

RATIOS_RULE = (
    "three non-negative numbers, the train,validation,test shares, that sum to 1, train above 0 (e.g. 0.8,0.1,0.1)"
)
RATIOS_TOLERANCE = 1e-6


def shown(value) -> str:
    """A value as a message quotes it."""
    return repr(value) if isinstance(value, str) else str(value)


def problem(name: str, value, typed: str | None = None) -> str | None:
    """Why the number `value` cannot be the argument `name` (None when it can): "nan is not a
    finite number from 0 to 1000 (the CRF's L1 regularisation weight)". A string is not a
    number here (`read` parses a command-line word); `typed` is what the user typed."""
    bound = LIMITS[name]
    return None if bound.accepts(value) else f"{shown(value if typed is None else typed)} is not {bound.describe()}"


def read(name: str, value) -> tuple[str | None, int | float | None]:
    """A command-line value of the option whose API argument is `name`: (why it cannot be,
    None) or (None, the number). A word is parsed as the option's kind of number; a number (a
    default) is taken as it is."""
    bound = LIMITS[name]
    typed = value if isinstance(value, str) else None
    if typed is not None:
        try:
            value = bound.parse(typed)
        except ValueError:
            return f"{shown(typed)} is not {bound.describe()}", None
    why = problem(name, value, typed)
    return (why, None) if why else (None, bound.kind(value) + 0)  # + 0: -0.0 is 0.0


def check(name: str, value, error: type[NewsgoldError] = OptionError):
    """`value` as the argument `name` takes it (an int or a float), or `error` (OptionError,
    or the caller's own NewsgoldError) naming the argument, the value and what it must be.
    None (an optional argument left out) passes."""
    if value is None:
        return None
    why = problem(name, value)
    if why:
        raise error(f"{name}: {why}")
    return LIMITS[name].kind(value) + 0  # + 0: -0.0 is 0.0


def ratios_problem(value) -> tuple[str | None, tuple[float, float, float] | None]:
    """(why `value` cannot be the split ratios, None) or (None, the three ratios as floats).
    `value` is a "0.8,0.1,0.1" string or a sequence of three numbers."""

    def refused(reason: str):
        return f"{shown(value)}: {reason}; give {RATIOS_RULE}", None

    try:
        parts = list(value.split(",") if isinstance(value, str) else value)
    except TypeError:
        return refused("not a list of numbers")
    found = []
    for part in parts:
        try:
            number = float(part.strip()) if isinstance(part, str) else part
        except ValueError:
            return refused(f"{shown(part.strip())} is not a number")
        if not _finite(number) or not 0 <= number <= 1:
            return refused(f"{shown(part)} is not a finite number from 0 to 1")
        found.append(float(number))
    if len(found) != 3:
        return refused(f"{len(found)} number(s), not 3")
    if abs(sum(found) - 1) > RATIOS_TOLERANCE:
        return refused(f"they sum to {sum(found):.6g}, not 1")
    if not found[0] > 0:
        return refused("a train share of 0 leaves nothing to train on")
    return None, (found[0], found[1], found[2])


def check_ratios(value, error: type[NewsgoldError] = OptionError) -> tuple[float, float, float]:
    """The split ratios (train, validation, test) as three floats, or `error` (as `check`)."""
    why, ratios = (
        ratios_problem(value)
        if not isinstance(value, str)
        else (f"{shown(value)}: a string; give {RATIOS_RULE} as a sequence", None)
    )
    if why:
        raise error(f"ratios: {why}")
    return ratios
