"""Several annotators per task on Label Studio Community: `annotate push --overlap N
--overlap-share PCT` sets the project's overlap, and two real annotator accounts (signed up by
the organisation's invite link) drawing tasks as the web UI's "Label All Tasks" does (the
project's `next` task, then a submitted annotation) give exactly the overlap cohort N different
annotators and every other task one; a later push widens the cohort and the queue follows."""

import json
import re

import pytest
import requests
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.studio import server

pytestmark = pytest.mark.e2e

TEXTS = [
    f"Officials said {n * 10 + 5} soldiers crossed into {place} on {day}."
    for n, (place, day) in enumerate(
        [
            ("Tajikistan", "Monday"),
            ("Pakistan", "Tuesday"),
            ("Iran", "Friday"),
            ("Uzbekistan", "Sunday"),
            ("Turkmenistan", "Saturday"),
            ("Kyrgyzstan", "Thursday"),
            ("China", "Wednesday"),
            ("India", "May"),
        ]
    )
]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


class Annotator:
    """A person in the browser, as the web UI's labeling stream talks to the server: signed up by
    the invite link (a session cookie and its CSRF token), taking the project's next task and
    submitting an annotation of it."""

    def __init__(self, url: str, invite: str, email: str):
        self.url, self.email, self.session = url, email, requests.Session()
        form = self.session.get(f"{url}{invite}", timeout=30)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed = self.session.post(
            f"{url}{invite}",
            data={"csrfmiddlewaretoken": csrf, "email": email, "password": "annotator-pass-1"},
            allow_redirects=False,
            timeout=30,
        )
        assert signed.status_code == 302, signed.text[:300]

    def next_task(self, project_id: int) -> dict | None:
        answer = self.session.get(f"{self.url}/api/projects/{project_id}/next", timeout=60)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    def submit(self, project_id: int, task: dict) -> None:
        text = task["data"]["text"]
        start = text.index("soldiers")
        result = [
            {
                "id": "r1",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": start, "end": start + 8, "text": "soldiers", "labels": ["ACTOR"]},
            }
        ]
        answer = self.session.post(
            f"{self.url}/api/tasks/{task['id']}/annotations/?project={project_id}",
            json={"result": result, "lead_time": 3.0, "task": task["id"], "project": project_id},
            headers={
                "X-CSRFToken": self.session.cookies["csrftoken"],
                "Referer": f"{self.url}/projects/{project_id}/data",
            },
            timeout=60,
        )
        assert answer.status_code == 201, answer.text[:300]


def label_all_tasks(people: list[Annotator], project_id: int) -> int:
    """Each person in turn takes the next task and submits it, until the queue gives nobody one."""
    done, open_for = 0, set(range(len(people)))
    while open_for:
        for n in sorted(open_for):
            task = people[n].next_task(project_id)
            if task is None:
                open_for.discard(n)
                continue
            people[n].submit(project_id, task)
            done += 1
            assert done < 100, "the queue never ends"
    return done


def annotators_per_task(ls_client, project) -> list[int]:
    return sorted(
        len({a["completed_by"] for a in task.get("annotations") or [] if not a.get("was_cancelled")})
        for task in ls_client.iter_tasks(project, fields="all")
    )


def test_the_overlap_cohort_reaches_two_annotators_and_the_rest_one(ls_env, ls_client, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for n, text in enumerate(TEXTS):
        (folder / f"{n}.txt").write_text(text)
    out = run("push", folder, "--project", "overlap team", "--no-preannotate", "--overlap", 2, "--overlap-share", 50)
    assert "overlap: 50% of the tasks go to 2 different annotators" in out.output
    project = ls_client.find_project("overlap team")
    assert ls_client.overlap(project) == (2, 50)
    status = json.loads(run("status", "--project", "overlap team", "--json").output)
    assert status["overlap"] == {"annotators": 2, "share": 50}
    assert status["overlap_tasks"] == {"1": {"tasks": 4, "reached": 0}, "2": {"tasks": 4, "reached": 0}}

    token = server.credentials(ls_env.data_dir)["token"]
    invite = requests.get(f"{ls_env.url}/api/invite", headers={"Authorization": f"Token {token}"}, timeout=30)
    people = [Annotator(ls_env.url, invite.json()["invite_url"], f"team{n}@example.com") for n in (1, 2)]
    assert label_all_tasks(people, project.id) == 4 * 2 + 4 * 1
    assert annotators_per_task(ls_client, project) == [1, 1, 1, 1, 2, 2, 2, 2]
    status = json.loads(run("status", "--project", "overlap team", "--json").output)
    assert status["overlap_tasks"] == {"1": {"tasks": 4, "reached": 4}, "2": {"tasks": 4, "reached": 4}}
    assert "4 tasks need 2 annotator(s): 4 reached it" in run("status", "--project", "overlap team").output

    # a later push (nothing new) widens the cohort to every task: the queue hands out the rest
    out = run("push", folder, "--project", "overlap team", "--no-preannotate", "--overlap-share", 100)
    assert "0 new tasks" in out.output and ls_client.overlap(project) == (2, 100)
    status = json.loads(run("status", "--project", "overlap team", "--json").output)
    assert status["overlap_tasks"] == {"2": {"tasks": 8, "reached": 4}}
    assert label_all_tasks(people, project.id) == 4
    assert annotators_per_task(ls_client, project) == [2] * 8


def test_overlap_values_are_checked_before_anything_is_pushed(ls_env, ls_client, tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text(TEXTS[0])
    for option, value in (("--overlap", 0), ("--overlap", "two"), ("--overlap-share", 101), ("--overlap-share", 0.5)):
        result = CliRunner().invoke(cli, ["push", str(doc), "--project", "overlap refused", option, str(value)])
        assert result.exit_code == 2 and option in result.output, result.output
    assert ls_client.find_project("overlap refused") is None


def test_on_postgresql_the_cohort_holds_across_two_app_servers(pg_servers, tmp_path, monkeypatch):
    """The team behind a load balancer: the owner pushes through one app server, the annotators
    draw their tasks through the other, status is read through the first."""
    from newsgold.annotate import api
    from newsgold.annotate.studio.client import LabelStudio

    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", server.DATA_DIR_ENV, "NEWSGOLD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    running, token = pg_servers
    folder = tmp_path / "docs"
    folder.mkdir()
    for n, text in enumerate(TEXTS[:6]):
        (folder / f"{n}.txt").write_text(text)
    report = api.push_documents(
        [folder], "overlap on postgres", preannotator=False, overlap=3, overlap_share=50, data_dir=running[0].data_dir
    )
    assert report.overlap == (3, 50) and report.new_tasks == 6
    client = LabelStudio(running[1].url, token)
    project = client.find_project("overlap on postgres")
    invite = requests.get(f"{running[1].url}/api/invite", headers={"Authorization": f"Token {token}"}, timeout=30)
    people = [Annotator(running[1].url, invite.json()["invite_url"], f"pg-team{n}@example.com") for n in (1, 2, 3)]
    assert label_all_tasks(people, project.id) == 3 * 3 + 3 * 1
    assert annotators_per_task(client, project) == [1, 1, 1, 3, 3, 3]
    status = api.project_status("overlap on postgres", data_dir=running[0].data_dir)
    assert status.overlap == {"annotators": 3, "share": 50}
    assert status.overlap_tasks == {1: {"tasks": 3, "reached": 3}, 3: {"tasks": 3, "reached": 3}}
