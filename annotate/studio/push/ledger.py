"""The push ledger: document id -> task id, stamped with the project's fingerprint, believed
only while the fingerprint holds and its content is the one newsgold wrote."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from newsgold.annotate.documents import id_key
from newsgold.annotate.outputs import atomic_file
from newsgold.annotate.studio.errors import Project


class Ledger:
    """The documents a project held after our last push, under the fingerprint it had then.

    The ledger is believed only when its stamp equals the project's fingerprint now and its
    content is the one newsgold wrote: a digest of its entries, stored with them, must match, its
    entries must be as many as the tasks the server counts, each a task id no higher than the
    highest one, no two alike. A ledger edited by hand (entries removed, stamp kept), truncated,
    or not newsgold's is not believed: the push lists the project's tasks, and `distrust` says why.
    """

    def __init__(self, folder: str | Path, url: str, project: Project):
        key = hashlib.sha256(f"{url.rstrip('/')}|{project.id}".encode()).hexdigest()[:16]
        self.path = Path(folder) / f"{key}.json"
        self.project = project
        self.distrust: str | None = None  # why the last `read` did not believe the ledger's content

    def stamp(self, count: int, highest: int) -> list:
        return [self.project.id, self.project.created_at, count, highest]

    @staticmethod
    def digest(documents: dict) -> str:
        return hashlib.sha256(orjson.dumps(documents, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def read(self, stamp: list) -> dict[str, int] | None:
        """The ledger's documents when its stamp equals `stamp` and its content is newsgold's
        (see the class), else None; `distrust` then says why when the content was at fault."""
        self.distrust = None
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None  # none yet: the usual first push from this machine
        try:
            saved = orjson.loads(raw)
        except ValueError:
            return self._distrusted("it is not JSON")
        if not isinstance(saved, dict) or not isinstance(saved.get("documents"), dict):
            return self._distrusted("it is not a newsgold push ledger")
        if saved.get("stamp") != stamp:
            return None  # the project changed since: the usual reason to list
        documents, count, highest = saved["documents"], stamp[2], stamp[3]
        if saved.get("digest") != self.digest(documents):
            return self._distrusted("its entries differ from the digest stored with them: it was edited")
        if len(documents) != count:
            return self._distrusted(f"it holds {len(documents)} documents where the project has {count} tasks")
        ids = list(documents.values())
        if not all(isinstance(t, int) and not isinstance(t, bool) and 0 < t <= highest for t in ids) or len(
            set(ids)
        ) != len(ids):
            return self._distrusted("its task ids are not the project's")
        if not all(id_key(doc_id) == doc_id for doc_id in documents):
            return self._distrusted("its document ids are not as a push writes them")  # the identity rule
        return documents

    def _distrusted(self, why: str) -> None:
        self.distrust = f"the push ledger {self.path} was not believed ({why}); the project's tasks were listed instead"
        return None

    def write(self, stamp: list, documents: dict[str, int]) -> None:
        """Replace the ledger atomically: a crash leaves the old one or the new one, never half.
        A project holding other tasks than one per document (tasks made outside newsgold, copies)
        gets no ledger, since it could never be believed: any old one is removed."""
        if len(documents) != stamp[2]:
            self.path.unlink(missing_ok=True)
            return
        with atomic_file(self.path, "wb") as out:
            out.write(orjson.dumps({"stamp": stamp, "documents": documents, "digest": self.digest(documents)}))
