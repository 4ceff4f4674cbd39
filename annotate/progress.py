"""How library functions report progress without printing: a callback the caller supplies.

    progress(stage, advance, total)

`stage` names the work ("reading", "pushing", "exporting"), `advance` is how many items were
done since the last call, `total` the number of items of the stage when it is known (else None).
The CLI draws a progress bar per stage; a notebook may pass its own function or nothing.
"""

from __future__ import annotations

from typing import Callable, Optional

Progress = Callable[[str, int, Optional[int]], None]


def silent(stage: str, advance: int, total: int | None = None) -> None:
    """The default: report nothing."""
