"""A new round for the tasks a project already holds (`push --model`): the tasks are listed once,
and only the documents whose task lacks the round are pre-annotated, so a re-run costs no tagger
time. Against an in-memory stand-in for the few Label Studio calls involved."""

import pytest

from newsgold.annotate.documents import make_document
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.spans import Span
from newsgold.annotate.studio.errors import Project
from newsgold.annotate.studio.push import import_round
from newsgold.annotate.studio.tasks import DOC_ID_FIELD
from newsgold.annotate.studio.views import ORDERING, TITLE

ROUND = "rules-1+tagger-2"
PROJECT = Project(3, "news", "<View/>", "")


class Server:
    """The project's tasks and what a round of predictions asks of Label Studio about them."""

    def __init__(self, tasks):
        self.tasks = tasks  # [{"id", "data", "predictions"}], in id order
        self.listings, self.imported = 0, []

    def get_project(self, title, fix):
        return PROJECT

    def task_summaries(self, project, since=None, ids=None):
        self.listings += 1
        return [
            {
                "id": task["id"],
                "doc": task["data"].get(DOC_ID_FIELD),
                "text": task["data"].get("text"),
                "annotated": False,
                "model_versions": {p["model_version"] for p in task["predictions"]},
            }
            for task in self.tasks
        ]

    def import_predictions(self, project, payloads):
        self.imported.extend(payloads)
        for payload in payloads:
            next(t for t in self.tasks if t["id"] == payload["task"])["predictions"].append(payload)
        return len(payloads)

    def views(self, project):
        return [{"id": 1, "data": {"title": TITLE, "ordering": ORDERING, "hiddenColumns": {"explore": []}}}]

    def shown_model_version(self, project):
        return ROUND

    def show_model_version(self, project, version):
        raise AssertionError("the round is already the one shown")


class Counting:
    """A pre-annotator that marks the first word of each document and counts what it was given."""

    def __init__(self):
        self.seen = []

    def __call__(self, documents):
        self.seen.extend(doc.id for doc in documents)
        return [
            AnnotatedDocument(
                doc, (Span(0, doc.text.index(" "), "LOCATION", doc.text.split()[0], 0.9),), (), ROUND, score=0.5
            ).to_record()
            for doc in documents
        ]


DOCS = [
    make_document(text, "t.txt", f"t.txt line {n}")
    for n, text in enumerate(
        ["Kabul was quiet on Monday.", "Kunduz fell to the Taliban.", "Mosul is rebuilding.", "Herat voted today."]
    )
]


def task(task_id, doc, *versions, text=None):
    return {
        "id": task_id,
        "data": {"text": text or doc.text, DOC_ID_FIELD: doc.id},
        "predictions": [{"model_version": v, "result": []} for v in versions],
    }


def test_a_rerun_pre_annotates_no_held_document():
    server = Server([task(n + 1, doc, "rules-1", ROUND) for n, doc in enumerate(DOCS)])
    tagger = Counting()
    report = import_round(server, "news", DOCS, tagger, ROUND)
    assert tagger.seen == [] and server.imported == [] and server.listings == 1
    assert (report.documents, report.predictions, report.already_present, report.unknown_documents) == (4, 0, 4, 0)


def test_a_partly_covered_project_pre_annotates_only_the_tasks_lacking_the_round():
    kabul, kunduz, mosul, herat = DOCS
    server = Server(
        [task(1, kabul, "rules-1", ROUND), task(2, kunduz, "rules-1"), task(3, mosul), task(4, kunduz, ROUND)]
    )  # a copy: the first task of a document is the one that counts
    tagger, steps = Counting(), []
    report = import_round(server, "news", DOCS + [kabul], tagger, ROUND, progress=steps.append)
    assert tagger.seen == [kunduz.id, mosul.id]  # not Kabul (has it), not Herat (no task)
    assert [(p["task"], p["model_version"]) for p in server.imported] == [(2, ROUND), (3, ROUND)]
    assert (report.documents, report.predictions, report.already_present, report.unknown_documents) == (4, 2, 1, 1)
    assert sum(steps) == 4 and server.listings == 1
    again = Counting()
    assert import_round(server, "news", DOCS, again, ROUND).predictions == 0 and again.seen == []


def test_a_held_document_whose_text_differs_from_its_task_is_refused_before_any_pre_annotation():
    kabul, kunduz, *_ = DOCS
    server = Server([task(1, kabul, ROUND, text="Kabul was loud on Monday."), task(2, kunduz)])
    tagger = Counting()
    with pytest.raises(DocumentError, match=r"record 1 \(document [0-9a-f]{16}\): its text differs from task 1's"):
        import_round(server, "news", [kabul, kunduz], tagger, ROUND)
    assert tagger.seen == [] and server.imported == []
