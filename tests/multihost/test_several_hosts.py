"""Delegate on five hosts: a database host (PostgreSQL and Redis, over the network only), two
web hosts (gunicorn, three workers each) and two worker hosts (`flask worker`), every email to
an SMTP sink on the bridge. People sign up and post on one web host; the other shows the
matches; each email goes out once; a worker killed mid-job and a web host stopped while it
holds requests lose nothing.

The tests run in order on one deployment (module fixture `cluster`); `pytest -s` prints what
they checked. Stalls are staged with PostgreSQL locks taken from the test: a job or a request
that waits on one is certainly in the middle of its work, on a host that pg_stat_activity names.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
import time

import pytest
import requests

import marketplace
from devtools.multihost import ROOT, WEB_PORT, python, wait_for
from tests.api.support import task_json
from tests.multihost.hosts import Cluster, Person

pytestmark = pytest.mark.slow

PROFILE = {
    "headline": "Inbox and calendar assistant",
    "bio": "Five years keeping founders' Gmail inboxes at zero and their calendars sane.",
    "skills": ["Gmail", "inbox management", "calendar management"],
    "hourly_rate_cents": 2500,
    "currency": "USD",
    "timezone": "America/New_York",
    "work_start": "09:00",
    "work_end": "17:00",
    "hours_per_week": 30,
}


@pytest.fixture(scope="module")
def people(cluster: Cluster) -> dict[str, Person]:
    assistant = cluster.sign_up(cluster.web1, "assistant", "Ana Reyes", "ana@assist.example")
    saved = cluster.api("PUT", cluster.web1, "/api/v1/me/profile", assistant.token, PROFILE)
    assert saved.status_code == 200, saved.text
    owner = cluster.sign_up(cluster.web1, "owner", "Olu Bakare", "olu@bakery.example")
    return {"assistant": assistant, "owner": owner}


def post_task(cluster: Cluster, web_url: str, owner: Person, title: str) -> int:
    posted = cluster.api("POST", web_url, "/api/v1/tasks", owner.token, task_json(title=title))
    assert posted.status_code == 201, posted.text
    return posted.json()["id"]


def expect_task_emails(cluster: Cluster, people: dict[str, Person], title: str) -> None:
    cluster.sink.wait_for(people["assistant"].email, title)
    cluster.sink.wait_for(people["owner"].email, f'Assistants recommended for "{title}"')


def test_the_hosts_run_this_checkout(cluster):
    d = cluster.deployment
    probe = d.network.spawn(
        d.web[1], "probe", python("-c", "import marketplace; print(marketplace.__file__)"), d.env
    )
    assert probe.popen.wait(timeout=60) == 0, probe.tail()
    on_host = probe.log.read_text().strip()
    assert on_host == marketplace.__file__ and on_host.startswith(str(ROOT)), on_host
    cluster.note(f"the hosts' Python imports {on_host} (probed on web2)")


def test_tasks_posted_on_one_web_host_show_their_matches_on_the_other(cluster, people):
    owner, assistant = people["owner"], people["assistant"]
    titles = ["Inbox triage for a bakery", "Calendar and inbox for a founder"]
    started = time.monotonic()
    tasks = {title: post_task(cluster, cluster.web1, owner, title) for title in titles}
    for task_id in tasks.values():
        cluster.wait_for_match(cluster.web2, owner, task_id, assistant)
    matched = time.monotonic() - started
    # The assistant sees the same on the other host, through their own token.
    jobs = cluster.api("GET", cluster.web2, "/api/v1/me/jobs", assistant.token)
    assert jobs.status_code == 200, jobs.text
    assert set(tasks.values()) <= {item["task_id"] for item in jobs.json()["items"]}
    for title in titles:
        expect_task_emails(cluster, people, title)
    cluster.settle()
    counts = cluster.assert_each_email_once()
    # Sign-ups' links, one match email and one recommendations email per task: no more.
    assert sum(counts.values()) == 2 + 2 * len(titles), counts
    web_sent = {h.address for h in cluster.deployment.web} & set(cluster.sink.senders())
    assert not web_sent, "a web host talked SMTP: requests must not wait on it"
    cluster.note(
        f"(a) {len(titles)} tasks posted on web1 matched on web2 in {matched:.1f} s "
        "(owner's recommendations and the assistant's jobs)"
    )


def test_a_worker_killed_mid_job_loses_nothing(cluster, people):
    owner, assistant = people["owner"], people["assistant"]
    title = "Inbox rescue after a holiday"
    workers = {h.address: h for h in cluster.deployment.workers}
    with cluster.connect() as lock:
        # The match job waits here to store its rows: certainly mid-job when killed.
        lock.execute("LOCK TABLE matches IN EXCLUSIVE MODE")
        task_id = post_task(cluster, cluster.web1, owner, title)

        def stuck_worker():
            return next(
                (
                    h
                    for a, h in workers.items()
                    if any("matches" in query for query in cluster.waiting_on_lock(a))
                ),
                None,
            )

        victim = wait_for(stuck_worker, 120, "a worker to start the match job", every=0.2)
        survivor = next(h for h in workers.values() if h is not victim)
        victim.kill()
        killed = time.monotonic()
        lock.rollback()
    assert not victim.pids()
    cluster.wait_for_match(cluster.web2, owner, task_id, assistant, timeout=240)
    redone = time.monotonic() - killed
    expect_task_emails(cluster, people, title)
    done_line = f'"Job matches.match_task({task_id},) done'
    assert done_line in cluster.log(survivor)
    assert done_line not in cluster.log(victim)
    # Handed back by RQ's clean-up on the live worker, as a retry (not failed, not lost).
    taken = re.search(rf"matches\.match_task\({task_id},\) \(([0-9a-f-]+)\)", cluster.log(victim))
    assert taken, "the killed worker's log does not name the job it took"
    retried = re.search(
        rf"Job {taken.group(1)}: scheduled for retry at [^,]+, (\d+) remaining",
        cluster.log(survivor),
    )
    assert retried, f"no retry of job {taken.group(1)} in {survivor.name}'s log"
    cluster.settle()
    cluster.assert_each_email_once()
    cluster.note(
        f"(c) {victim.name} SIGKILLed (the whole host) in the match job of task {task_id}; "
        f"{survivor.name}'s clean-up handed it back as a retry ({retried.group(1)} left) once "
        f"JOB_TIMEOUT + 60 s had passed, and ran it: matched on web2 {redone:.1f} s after "
        "the kill, its emails sent once"
    )


def refuses_connections(address: str) -> bool:
    try:
        socket.create_connection((address, WEB_PORT), timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def post_with_failover(cluster: Cluster, owner: Person, title: str) -> tuple[str, int]:
    """A client that knows both web hosts: a host that refuses the connection never saw
    the request, so it goes to the next one. Anything else fails the test."""
    for url in cluster.deployment.web_urls:
        try:
            return url, post_task(cluster, url, owner, title)
        except requests.ConnectionError as exc:
            if "refused" not in str(exc).lower():
                raise
    raise AssertionError("every web host refused the connection")


def test_a_web_host_going_away_loses_no_accepted_request(cluster, people):
    owner, assistant = people["owner"], people["assistant"]
    web1, web2 = cluster.deployment.web
    gunicorn = next(p for p in web1.processes if p.name == "gunicorn")
    in_flight = [f"Handover task {n}" for n in range(1, 4)]  # one per gunicorn worker
    after = [f"After the handover {n}" for n in range(1, 4)]
    results: dict[str, tuple[str, int] | BaseException] = {}

    def send(title: str, web_url: str | None) -> None:
        try:
            if web_url is None:
                results[title] = post_with_failover(cluster, owner, title)
            else:
                results[title] = (web_url, post_task(cluster, web_url, owner, title))
        except BaseException as exc:  # reported below, with the title
            results[title] = exc

    with cluster.connect() as lock:
        # Every post waits here, accepted and inside its request, until the lock goes.
        lock.execute("LOCK TABLE tasks IN EXCLUSIVE MODE")
        threads = [threading.Thread(target=send, args=(t, cluster.web1)) for t in in_flight]
        for thread in threads:
            thread.start()
        wait_for(
            lambda: len(cluster.waiting_on_lock(web1.address)) == len(in_flight),
            60,
            "web1's three workers inside their requests",
            every=0.1,
        )
        gunicorn.popen.send_signal(signal.SIGTERM)  # graceful: finish what was accepted
        stopped = time.monotonic()
        # The client (or the proxy) takes web1 out of its rotation: the next post goes to
        # web2 while web1 still drains. (Until its last worker exits, web1's workers keep
        # the listening socket open: a connection made to it then would wait in the
        # backlog and be reset, so nothing may send it new work once it is told to stop.)
        moved = threading.Thread(target=send, args=(after[0], cluster.web2))
        moved.start()
        threads.append(moved)
        wait_for(lambda: cluster.waiting_on_lock(web2.address), 60, "web2 serving the next post")
        assert gunicorn.popen.poll() is None, "web1 exited with requests in flight"
        lock.rollback()
    for thread in threads:
        thread.join(timeout=120)
    assert gunicorn.popen.wait(timeout=90) == 0, gunicorn.tail()
    drained = time.monotonic() - stopped
    assert "Shutting down: Master" in gunicorn.log.read_text()
    # Gone, it refuses connections: a client trying it first moves on to web2.
    assert refuses_connections(web1.address)
    for title in after[1:]:
        send(title, None)
    failed = {t: r for t, r in results.items() if isinstance(r, BaseException)}
    assert not failed, failed
    assert {t: results[t][0] for t in in_flight} == dict.fromkeys(in_flight, cluster.web1)
    assert {t: results[t][0] for t in after} == dict.fromkeys(after, cluster.web2)

    # Every post is stored once, and matched and announced like any other.
    mine = cluster.api("GET", cluster.web2, "/api/v1/tasks?limit=50", owner.token)
    assert mine.status_code == 200, mine.text
    stored = [row["task"]["title"] for row in mine.json()["items"]]
    for title in in_flight + after:
        assert stored.count(title) == 1, (title, stored)
        cluster.wait_for_match(cluster.web2, owner, results[title][1], assistant)
        expect_task_emails(cluster, people, title)
    cluster.settle()
    counts = cluster.assert_each_email_once()
    assert sum(counts.values()) == 2 + 2 * (3 + len(in_flight) + len(after)), counts
    cluster.note(
        f"(d) web1 got SIGTERM holding {len(in_flight)} accepted posts: all answered 201 "
        f"and it exited 0 after {drained:.1f} s; the client moved to web2 for "
        f"{len(after)} more (refused by web1 once gone); "
        f"{len(in_flight) + len(after)} tasks stored once each, matched and announced once"
    )
    cluster.note(f"(b) every email once: {sum(counts.values())} emails, none twice")
