"""Entry point groups: how one part of newsgold (or another package) plugs into another by name.

    plugins.load("newsgold.models", "tagger")   # the object the entry point names, or None

`annotate` never imports `train`: it finds a model kind's loader (group `newsgold.models`,
`annotate.preannotate.models`) and the loop's trainer (`newsgold.trainers`, `annotate.studio.loop`)
here. A name read from a file, a model folder's manifest for one, only selects among the entry
points installed distributions register; it is never imported as a module path itself.
"""

from __future__ import annotations

from newsgold.annotate.errors import NewsgoldError


def found(group: str) -> list:
    """The entry points of `group` that installed distributions register (tests replace this)."""
    from importlib.metadata import entry_points

    return list(entry_points(group=group))


def registered(group: str) -> dict:
    """The entry points of `group` by name, the first one found of each name."""
    names: dict = {}
    for point in found(group):
        names.setdefault(point.name, point)
    return names


def load(group: str, name: str):
    """The object the entry point `name` of `group` names, imported now; None when no installed
    distribution registers `name` there. One line naming it when it cannot be imported."""
    point = registered(group).get(name)
    if point is None:
        return None
    try:
        return point.load()
    except Exception as exc:  # a broken install: the module or the object it names is missing
        cause = (str(exc).splitlines() or [""])[0]
        raise NewsgoldError(
            f"entry point {name!r} of group {group} ({getattr(point, 'value', '?')}) cannot be "
            f"loaded ({type(exc).__name__}: {cause}); reinstall the package that provides it"
        ) from None
