"""Pushes that create the same project at the same moment: each deletes only its own project when
it is not the oldest, never another's. Label Studio deletes a project with every model signal of
its process switched off and restores them from what it found, so two deletions at once can leave
them off (annotations then no longer count on their tasks, and reconciliation would take annotated
copies for unannotated ones)."""

from __future__ import annotations

from newsgold.annotate.schema import labelstudio_config, load_schema
from newsgold.annotate.studio.errors import Project
from newsgold.annotate.studio.push import describe, ensure_project

SCHEMA = load_schema(None)
TITLE = "raced project"


class Server:
    """The projects of one Label Studio, and every deletion asked of it."""

    def __init__(self, *ids: int):
        self.projects: dict[int, Project] = {}
        self.deleted: list[int] = []
        for i in ids:
            self.add(i)

    def add(self, project_id: int) -> Project:
        made = Project(project_id, TITLE, labelstudio_config(SCHEMA), describe(SCHEMA))
        return self.projects.setdefault(project_id, made)


class Client:
    """One push's connection: its first listing finds no project (it looked before anyone
    created one); creating gives it id `gives` while the other pushes create `at_once`."""

    url = "http://ls.test"

    def __init__(self, server: Server, gives: int, at_once: tuple = ()):
        self.server, self.gives, self.at_once, self.listed = server, gives, at_once, 0

    def find_projects(self, title):
        self.listed += 1
        return [] if self.listed == 1 else [self.server.projects[i] for i in sorted(self.server.projects)]

    def create_project(self, title, config, instructions, description):
        for other in self.at_once:
            self.server.add(other)
        return self.server.add(self.gives)

    def delete_empty_project(self, project):
        self.server.deleted.append(project.id)
        self.server.projects.pop(project.id, None)
        return True

    def tasks_url(self, project_id, tab=None):
        return f"{self.url}/projects/{project_id}/data"


def test_two_pushes_creating_at_once_end_with_the_oldest_and_one_deletion():
    server = Server()
    first = ensure_project(Client(server, 16, at_once=(17,)), TITLE, SCHEMA)  # sees 16 and 17
    second = ensure_project(Client(server, 17), TITLE, SCHEMA)
    assert server.deleted == [17], "the other push's project deleted too, or the oldest deleted"
    assert first[0].id == second[0].id == 16 and sorted(server.projects) == [16]
    assert first[1] and first[3] == (), first
    assert not second[1] and len(second[3]) == 1 and "deleted its own, still empty (id 17)" in second[3][0]


def test_three_pushes_creating_at_once_each_delete_only_their_own():
    server = Server()
    results = [
        ensure_project(Client(server, 16, at_once=(17, 18)), TITLE, SCHEMA),
        ensure_project(Client(server, 17), TITLE, SCHEMA),
        ensure_project(Client(server, 18), TITLE, SCHEMA),
    ]
    assert server.deleted == [17, 18] and sorted(server.projects) == [16]
    assert {project.id for project, *_ in results} == {16}


def test_an_older_project_this_push_did_not_create_is_named_not_deleted():
    """An older one (one Label Studio on SQLite kept after reporting its creation failed, or one
    made by hand) is left and named; the push deletes only its own."""
    server = Server(16, 17)
    project, created, _, notes = ensure_project(Client(server, 18), TITLE, SCHEMA)
    assert project.id == 16 and not created
    assert server.deleted == [18] and sorted(server.projects) == [16, 17]
    assert any("also exists as id 17" in note for note in notes), notes
    assert any("deleted its own, still empty (id 18)" in note for note in notes), notes


def test_a_push_that_created_nothing_deletes_nothing():
    server = Server(16, 17)
    client = Client(server, 99)
    client.listed = 1  # it finds both at once
    project, created, _, notes = ensure_project(client, TITLE, SCHEMA)
    assert project.id == 16 and not created and server.deleted == []
    assert len(notes) == 1 and "also exists as id 17" in notes[0]
