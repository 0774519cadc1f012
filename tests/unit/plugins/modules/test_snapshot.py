# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The snapshot module's main(), in-process against the simulator: due or not, creates, waits, tags, limits, faults.

What a run made is read back from the simulator's own store and request log, never from the module.
"""

from __future__ import annotations

import datetime
import time
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import (
    TOKEN,
    clear_connection_env,
    run_module,
)

READ_ONLY = "unit-read-only-token-0123"
NO_TAGS = "unit-token-without-tag-create"
NO_ACTIONS = "unit-token-without-actions-read"
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def data() -> t.List[dict]:
    """30 snapshots of two Droplets and two volumes, one an hour from 2024-01-01 (long before now)."""
    snaps = make_snapshots(count=30, seed=5, volumes=2, droplets=2)
    for index, snap in enumerate(snaps):
        snap["created_at"] = (START + datetime.timedelta(hours=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return snaps


def first(snaps: t.Sequence[dict], kind: str) -> str:
    return next(s["resource_id"] for s in snaps if s["resource_type"] == kind)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_connection_env(monkeypatch)


@pytest.fixture(name="sim")
def fixture_sim(make_sim: t.Callable[..., t.Any]) -> t.Any:
    sim = make_sim(snapshots=data(), read_only_tokens=[READ_ONLY],
                   denied_scopes={NO_TAGS: ["tag:create"], NO_ACTIONS: ["actions:read"]})
    sim.creations.action_seconds = 0.2
    return sim


def _run(sim: t.Any, **args: t.Any) -> dict:
    given = {"token": TOKEN, "api_url": sim.url, "retries": 0, "name": "nightly"}
    given.update(args)
    return run_module(snapshot.main, given)[0]


def posts(sim: t.Any) -> t.List[str]:
    return [r.path for r in sim.requests if r.method == "POST"]


def of(sim: t.Any, resource_id: str) -> t.List[dict]:
    sim.creations.settle()
    return [s for s in sim.snapshots if s["resource_id"] == resource_id]


def age_everything(sim: t.Any, hours: int) -> None:
    """Move every snapshot ``hours`` into the past: time passing, as the module's min_age sees it."""
    moved = []
    for snap in sim.snapshots:
        when = datetime.datetime.strptime(snap["created_at"], "%Y-%m-%dT%H:%M:%SZ") - datetime.timedelta(hours=hours)
        moved.append(dict(snap, created_at=when.strftime("%Y-%m-%dT%H:%M:%SZ")))
    sim.snapshots = moved


# -- volumes -------------------------------------------------------------------------------------------------------

def test_volume_snapshot_is_taken_with_its_tags_in_one_post(sim):
    volume = first(sim.snapshots, "volume")
    before = {s["id"] for s in of(sim, volume)}
    newest = max(of(sim, volume), key=lambda s: s["created_at"])
    result = _run(sim, resource_id=volume, tags=["backup", "env:prod"], _ansible_diff=True)
    assert result["changed"] is True and result["created"] is True
    new = [s for s in of(sim, volume) if s["id"] not in before]
    assert len(new) == 1
    assert result["diff"]["before"] == "newest snapshot of volume %s: %s %s (created %s)\n" % (
        volume, newest["id"], newest["name"], newest["created_at"])
    assert result["diff"]["after"] == "newest snapshot of volume %s: %s nightly (created %s, tags [backup, env:prod])\n" % (
        volume, new[0]["id"], new[0]["created_at"])
    assert result["snapshot"] == new[0]
    assert new[0]["name"] == "nightly" and new[0]["tags"] == ["backup", "env:prod"]
    assert posts(sim) == ["/v2/volumes/%s/snapshots" % volume]
    assert "action" not in result


def test_within_min_age_nothing_is_posted_and_the_newest_is_returned(sim):
    volume = first(sim.snapshots, "volume")
    taken = _run(sim, resource_id=volume, min_age="23h")
    assert taken["created"] is True
    sim.reset_log()
    again = _run(sim, resource_id=volume, min_age="23h")
    assert again["changed"] is False and again["created"] is False
    assert again["snapshot"]["id"] == taken["snapshot"]["id"]
    assert again["msg"].startswith("not due: ")
    assert posts(sim) == []


def test_after_min_age_exactly_one_more_is_taken(sim):
    volume = first(sim.snapshots, "volume")
    _run(sim, resource_id=volume, min_age="23h")
    age_everything(sim, 24)
    sim.creations.forget_volume_limit()
    count = len(of(sim, volume))
    sim.reset_log()
    result = _run(sim, resource_id=volume, min_age="23h")
    assert result["created"] is True
    assert len(of(sim, volume)) == count + 1
    assert len(posts(sim)) == 1


def test_check_mode_sends_no_post_and_says_what_it_would_take(sim):
    volume = first(sim.snapshots, "volume")
    count = len(of(sim, volume))
    result = _run(sim, resource_id=volume, tags=["backup"], min_age="1d", _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and result["created"] is False and result["snapshot"] is None
    assert result["would_create"] == {"name": "nightly", "tags": ["backup"], "resource_id": volume,
                                      "resource_type": "volume"}
    assert result["msg"].startswith("would take snapshot 'nightly' of volume %s" % volume)
    assert "nightly" in result["diff"]["after"]
    assert posts(sim) == [] and len(of(sim, volume)) == count


def test_check_mode_says_why_nothing_is_due(sim):
    volume = first(sim.snapshots, "volume")
    _run(sim, resource_id=volume)
    sim.reset_log()
    result = _run(sim, resource_id=volume, min_age="1h", _ansible_check_mode=True)
    assert result["changed"] is False and result["msg"].startswith("not due: ")
    assert posts(sim) == []


def test_a_full_volume_is_refused_before_any_post(sim):
    volume = first(sim.snapshots, "volume")
    while len(of(sim, volume)) < 25:
        sim.create(resource_type="volume", resource_id=volume, created_at="2023-01-01T00:00:00Z")
    sim.reset_log()
    result = _run(sim, resource_id=volume)
    assert result["failed"] is True
    assert "holds 25 snapshots" in result["msg"] and "at most 25" in result["msg"]
    assert "snapshot_retention" in result["msg"]
    assert posts(sim) == []
    would = _run(sim, resource_id=volume, _ansible_check_mode=True)
    assert would.get("failed") is None and would["changed"] is False
    assert would["msg"].startswith("a real run would refuse: volume %s holds 25 snapshots" % volume)


def test_a_second_volume_snapshot_within_ten_minutes_fails_at_once_with_the_apis_message(sim):
    volume = first(sim.snapshots, "volume")
    _run(sim, resource_id=volume)
    sim.reset_log()
    result = _run(sim, resource_id=volume, retries=5)
    assert result["failed"] is True
    assert "failed to create snapshot: this operation is rate-limited - one request per 10m0s" in result["msg"]
    assert "10 minutes" in result["msg"] and "HTTP 429; too_many_requests: " in result["msg"]
    assert "request_id " in result["msg"] and "request_id none" not in result["msg"]
    assert [r.status for r in sim.requests if r.method == "POST"] == [429]  # not retried


def test_the_ten_minute_refusal_is_not_due_when_min_age_explains_it(sim):
    volume = first(sim.snapshots, "volume")
    path = "/v2/volumes/%s/snapshots" % volume

    def someone_else(server: t.Any) -> None:
        server.creations.route("POST", path, "Bearer %s" % TOKEN, b'{"name": "other"}', {})

    # Another tool snapshots the volume after the module read its listing, as its POST arrives.
    sim.creations.before_next_create(lambda server, _path: someone_else(server))
    result = _run(sim, resource_id=volume, min_age="1h")
    assert result.get("failed") is None and result["changed"] is False
    assert result["snapshot"]["name"] == "other" and result["msg"].startswith("not due: ")


def test_a_lost_answer_is_looked_for_not_sent_again(sim, monkeypatch):
    warned: t.List[str] = []
    monkeypatch.setattr(snapshot.AnsibleModule, "warn", lambda _module, text: warned.append(text))
    volume = first(sim.snapshots, "volume")
    before = {s["id"] for s in of(sim, volume)}
    sim.add_fault(Fault("lost", path="/v2/volumes/%s/snapshots" % volume, method="POST"))
    result = run_module(snapshot.main, {"token": TOKEN, "api_url": sim.url, "retries": 3, "name": "nightly",
                                        "resource_id": volume})[0]
    new = [s for s in of(sim, volume) if s["id"] not in before]
    assert len(new) == 1 and result["changed"] is True and result["created"] is True
    assert result["snapshot"]["id"] == new[0]["id"]
    assert len(warned) == 1 and "answer was lost" in warned[0] and new[0]["id"] in warned[0]
    assert len(posts(sim)) == 1


def test_a_5xx_after_the_api_acted_is_looked_for(sim):
    volume = first(sim.snapshots, "volume")
    sim.add_fault(Fault("lost", status=502, path="/v2/volumes/%s/snapshots" % volume, method="POST"))
    result = _run(sim, resource_id=volume, retries=3)
    assert result["created"] is True and len(posts(sim)) == 1
    assert result["snapshot"]["name"] == "nightly"


def test_a_post_that_timed_out_is_never_repeated(sim):
    volume = first(sim.snapshots, "volume")
    count = len(of(sim, volume))
    sim.add_fault(Fault("slow", delay=1.0, path="/v2/volumes/%s/snapshots" % volume, method="POST"))
    result = _run(sim, resource_id=volume, timeout=0.3, retries=5)
    assert result["failed"] is True
    assert "answer was lost" in result["msg"] and "Nothing was sent again" in result["msg"]
    time.sleep(1.2)  # the slow request is served after its delay: it made the snapshot
    assert len(posts(sim)) == 1
    assert len(of(sim, volume)) == count + 1


# -- Droplets ------------------------------------------------------------------------------------------------------

def test_droplet_snapshot_waits_finds_the_new_one_and_tags_it(sim):
    droplet = first(sim.snapshots, "droplet")
    older = sim.create(resource_type="droplet", resource_id=droplet, name="nightly",
                       created_at="2023-06-01T00:00:00Z")
    before = {s["id"] for s in of(sim, droplet)}
    result = _run(sim, resource_id=droplet, tags=["backup", "env:prod"], min_age="1d")
    new = [s for s in of(sim, droplet) if s["id"] not in before]
    assert len(new) == 1 and new[0]["id"] != older["id"]
    assert result["snapshot"] == new[0]
    assert result["snapshot"]["tags"] == ["backup", "env:prod"]
    assert result["action"]["status"] == "completed" and result["action"]["type"] == "snapshot"
    polls = [r for r in sim.requests if r.path == "/v2/actions/%s" % result["action"]["id"]]
    assert polls and all(r.status == 200 for r in polls)
    listed = {s["id"]: s for s in sim.snapshots if s["resource_type"] == "droplet"}
    assert listed[new[0]["id"]]["tags"] == ["backup", "env:prod"]
    assert listed[older["id"]]["tags"] == older["tags"]
    assert [p for p in posts(sim) if p.endswith("/actions")] == ["/v2/droplets/%s/actions" % droplet]


def test_droplet_without_wait_returns_the_action(sim):
    droplet = first(sim.snapshots, "droplet")
    result = _run(sim, resource_id=droplet, wait=False)
    assert result["created"] is True and result["snapshot"] is None
    assert result["action"]["status"] == "in-progress"


def test_an_errored_action_fails_with_its_id(sim):
    droplet = first(sim.snapshots, "droplet")
    sim.creations.errored = 1
    count = len(of(sim, droplet))
    result = _run(sim, resource_id=droplet)
    assert result["failed"] is True
    assert "Droplet action %s" % result["action"]["id"] in result["msg"] and "errored" in result["msg"]
    assert len(of(sim, droplet)) == count


def test_a_wait_that_runs_out_names_the_action_and_a_rerun_finds_its_snapshot(sim):
    droplet = first(sim.snapshots, "droplet")
    sim.creations.action_seconds = 1.0
    result = _run(sim, resource_id=droplet, wait_timeout=0.2, min_age="1d")
    assert result["failed"] is True and result["changed"] is True
    action = result["action"]
    assert "Droplet action %s" % action["id"] in result["msg"] and "in-progress" in result["msg"]
    time.sleep(1.1)
    sim.reset_log()
    again = _run(sim, resource_id=droplet, min_age="1d")
    assert again["changed"] is False and again["snapshot"]["name"] == "nightly"
    made = [s for s in of(sim, droplet) if s["name"] == "nightly"]
    assert [s["id"] for s in made] == [again["snapshot"]["id"]]
    assert posts(sim) == []


def test_a_rerun_tags_the_snapshot_a_run_made_after_its_wait_ran_out(sim):
    droplet = first(sim.snapshots, "droplet")
    sim.creations.action_seconds = 1.0
    assert _run(sim, resource_id=droplet, wait_timeout=0.2, min_age="1d", tags=["backup"])["failed"] is True
    time.sleep(1.1)
    would = _run(sim, resource_id=droplet, min_age="1d", tags=["backup"], _ansible_check_mode=True)
    assert would["changed"] is True and would["msg"].endswith("would tag it")
    sim.reset_log()
    again = _run(sim, resource_id=droplet, min_age="1d", tags=["backup"])
    assert again["changed"] is True and again["created"] is False
    assert again["snapshot"]["tags"] == ["backup"] and again["msg"].endswith("tagged it")
    assert [p for p in posts(sim) if "/actions" in p] == []
    listed = [s for s in of(sim, droplet) if s["name"] == "nightly"]
    assert len(listed) == 1 and listed[0]["tags"] == ["backup"]
    assert _run(sim, resource_id=droplet, min_age="1d", tags=["backup"])["changed"] is False


# -- tokens and options --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token, kind, tags, scope", [
    (READ_ONLY, "volume", [], "block_storage_snapshot:create"),
    (READ_ONLY, "droplet", [], "droplet:update and image:create"),
    (NO_TAGS, "droplet", ["backup"], "tag:create"),
    (NO_ACTIONS, "droplet", [], "actions:read"),
])
def test_a_403_names_the_missing_scope(sim, token, kind, tags, scope):
    result = _run(sim, token=token, resource_id=first(sim.snapshots, kind), tags=tags)
    assert result["failed"] is True
    assert "403" in result["msg"] and scope in result["msg"]
    assert TOKEN not in result["msg"] and token not in result["msg"]


def test_a_droplet_snapshot_made_before_tagging_failed_is_reported_as_made(sim):
    result = _run(sim, token=NO_TAGS, resource_id=first(sim.snapshots, "droplet"), tags=["backup"])
    assert result["failed"] is True and result["changed"] is True and result["created"] is True
    assert result["action"]["status"] == "completed"


@pytest.mark.parametrize("args, words", [
    ({"resource_id": "abc"}, "neither a Droplet id"),
    ({"resource_id": "7724db7c-e098-11e5-b522-000f53304e51", "resource_type": "droplet"}, "volume UUID"),
    ({"resource_id": "3164444", "tags": ["has space"]}, "not a tag name"),
    ({"resource_id": "3164444", "tags": ["x" * 256]}, "at most 255"),
    ({"resource_id": "3164444", "min_age": "5m"}, "ambiguous"),
    ({"resource_id": "3164444", "name": "  "}, "must not be empty"),
    ({"resource_id": "3164444", "wait_timeout": -1}, "wait_timeout"),
    ({"resource_id": "3164444", "wait_timeout": "nan"}, "wait_timeout"),
    ({"resource_id": "3164444", "tags": ["backup"], "wait": False}, "need wait: true"),
])
def test_options_are_refused_before_any_request(sim, args, words):
    result = _run(sim, **args)
    assert result["failed"] is True and words in result["msg"]
    assert sim.requests == []


def test_a_503_to_a_post_is_not_retried_and_nothing_is_claimed(sim):
    volume = first(sim.snapshots, "volume")
    count = len(of(sim, volume))
    sim.add_fault(Fault("status", status=503, path="/v2/volumes/%s/snapshots" % volume, method="POST", times=None))
    result = _run(sim, resource_id=volume, retries=5)
    assert result["failed"] is True
    assert "503" in result["msg"] and "whether it was made is not known" in result["msg"]
    assert len(posts(sim)) == 1 and len(of(sim, volume)) == count


def test_a_post_the_tokens_rate_limit_refused_is_sent_again(sim):
    volume = first(sim.snapshots, "volume")
    count = len(of(sim, volume))
    sim.add_fault(Fault("status", status=429, retry_after=1, path="/v2/volumes/%s/snapshots" % volume, method="POST"))
    result = _run(sim, resource_id=volume, retries=2)
    assert result["created"] is True
    assert [r.status for r in sim.requests if r.method == "POST"] == [429, 201]
    assert len(of(sim, volume)) == count + 1


def test_faults_while_waiting_and_tagging_are_retried_and_nothing_is_made_twice(sim):
    droplet = first(sim.snapshots, "droplet")
    before = {s["id"] for s in of(sim, droplet)}
    sim.add_fault(Fault("status", status=500, path="/v2/actions/*", times=2))
    sim.add_fault(Fault("lost", status=502, path="/v2/tags", method="POST"))  # a tag is created, its answer lost
    sim.add_fault(Fault("drop", path="/v2/tags/backup/resources", method="POST"))
    result = _run(sim, resource_id=droplet, tags=["backup"], retries=3)
    new = [s for s in of(sim, droplet) if s["id"] not in before]
    assert result["created"] is True and len(new) == 1 and new[0]["tags"] == ["backup"]
    assert result["snapshot"]["id"] == new[0]["id"] and result["snapshot"]["tags"] == ["backup"]
    assert len([p for p in posts(sim) if p.endswith("/actions")]) == 1
    assert [r.status for r in sim.requests if r.path == "/v2/tags"] == [502, 201]
    assert [r.status for r in sim.requests if r.path == "/v2/tags/backup/resources"] == [0, 204]


def test_a_post_answered_with_a_body_that_is_not_json_is_not_read_again_by_a_resend(sim):
    droplet = first(sim.snapshots, "droplet")
    sim.add_fault(Fault("not_json", path="/v2/droplets/%s/actions" % droplet, method="POST", times=None))
    result = _run(sim, resource_id=droplet, retries=5)
    assert result["failed"] is True and "answer was lost" in result["msg"] and "may have started" in result["msg"]
    assert len(posts(sim)) == 1


def test_a_snapshot_listed_after_its_action_completed_is_waited_for_not_an_older_one_of_its_name(sim):
    droplet = first(sim.snapshots, "droplet")
    older = sim.create(resource_type="droplet", resource_id=droplet, name="nightly", created_at="2023-06-01T00:00:00Z")
    sim.creations.appear_seconds = 3.0  # completed, then listed 3 s later
    result = _run(sim, resource_id=droplet)
    made = [s for s in of(sim, droplet) if s["name"] == "nightly" and s["id"] != older["id"]]
    assert len(made) == 1 and result["snapshot"]["id"] == made[0]["id"]
    listings = [r for r in sim.requests if r.path == "/v2/droplets/%s/snapshots" % droplet]
    assert len(listings) >= 3  # before, once completed (not there yet), and again
