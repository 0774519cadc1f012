# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""examples/rotate.yml, as pasted, through real ansible-playbook runs against the simulator.

One account: a Droplet and a volume tagged ``backup``, and one of each not. Each has ten
daily rotation snapshots, the newest two days old, and the tagged ones an old manual snapshot.
The play runs three times: in check mode with --diff (nothing is sent but reads), for real
(a snapshot of each tagged resource, waited for and tagged; keep_daily 7 prunes the oldest
four rotation snapshots of each), and again (nothing is due, nothing is pruned: all ok).
What each run made or deleted is computed here, by hand, from the simulator's own store.
"""

from __future__ import annotations

import datetime
import typing as t
import uuid

import pytest
from conftest import SIM_TOKEN, Ansible, PlaybookRun

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator
from ansible_collections.snapfleet.digitalocean.tests.simulator.sources import Source, Sources

PLAYBOOK = "../../../examples/rotate.yml"
TAKE = "Take a snapshot of each one that is due"
PRUNE = "Prune each one's rotation snapshots to the policy"
SUMMARY = "Summary"
DAYS = 10
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
#: keep_weekly 0, so that the plan is keep_daily's alone: the 7 newest days of rotation snapshots.
EXTRA = {"keep_weekly": 0, "wait_timeout": 60}

# One of each kind is rotated (every loop item is a module run: a few seconds each on a busy machine).
TAGGED = {
    "droplet": [Source("310000001", "web-01", "nyc3", ["backup", "env:prod"])],
    "volume": [Source("a1000000-0000-4000-8000-000000000001", "pgdata", "nyc3", ["backup"])],
}
UNTAGGED = {
    "droplet": [Source("310000003", "scratch", "nyc3", ["env:prod"])],
    "volume": [Source("a1000000-0000-4000-8000-000000000003", "tmp", "nyc3", ["env:dev"])],
}


def data() -> t.List[dict]:
    """Ten daily rotation snapshots per resource (03:00 UTC, 2 to 11 days ago), and an old manual one when tagged."""
    snaps: t.List[dict] = []
    next_id = 7000000
    for group in (TAGGED, UNTAGGED):
        for kind, sources in group.items():
            for source in sources:
                days = list(range(DAYS + 1, 1, -1))
                named = [(day, "%s-%s" % (source.name, TODAY - datetime.timedelta(days=day)), ["rotation"])
                         for day in days]
                if group is TAGGED:
                    named.insert(0, (40, "%s-before-upgrade" % source.name, []))
                for day, name, tags in named:
                    next_id += 1
                    when = datetime.datetime.combine(TODAY - datetime.timedelta(days=day), datetime.time(3))
                    snaps.append({
                        "id": str(next_id) if kind == "droplet" else str(uuid.UUID(int=next_id, version=4)),
                        "name": name, "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "regions": [source.region],
                        "resource_id": source.id, "resource_type": kind, "min_disk_size": 25,
                        "size_gigabytes": 2.5, "tags": tags})
    snaps.sort(key=lambda s: s["created_at"])
    return snaps


def sources() -> Sources:
    book = Sources()
    for group in (TAGGED, UNTAGGED):
        for kind, records in group.items():
            for record in records:
                (book.droplets if kind == "droplet" else book.volumes)[record.id] = record
    return book


def rotation_plan(snaps: t.Sequence[dict], resource_id: str, keep_daily: int = 7) -> t.List[str]:
    """The ids keep_daily prunes among one resource's rotation snapshots: all but the newest ``keep_daily`` days."""
    mine = sorted((s for s in snaps if s["resource_id"] == resource_id and "rotation" in (s["tags"] or [])),
                  key=lambda s: s["created_at"], reverse=True)
    days: t.List[str] = []
    pruned = []
    for snap in mine:  # newest first: each of the newest keep_daily days keeps its newest snapshot
        day = snap["created_at"][:10]
        if day not in days and len(days) < keep_daily:
            days.append(day)
        else:
            pruned.append(snap["id"])
    return pruned


def tagged_ids() -> t.List[str]:
    return [s.id for sources_ in TAGGED.values() for s in sources_]


def deleted(run: PlaybookRun) -> t.List[str]:
    return sorted(r.path.rsplit("/", 1)[1] for r in run.requests_sent if r.method == "DELETE" and r.status == 204)


def posts(run: PlaybookRun) -> t.List[str]:
    return [r.path for r in run.requests_sent if r.method == "POST"]


@pytest.fixture(scope="module")
def runs(module_ansible: Ansible) -> t.Iterator[t.Tuple[Simulator, t.Dict[str, t.Any]]]:
    sim = Simulator(snapshots=data(), token=SIM_TOKEN, sources=sources()).start()
    sim.creations.action_seconds = 0.3
    try:
        env = dict(module_ansible.env(sim), ANSIBLE_DIFF_ALWAYS="true")
        found: t.Dict[str, t.Any] = {"start": sim.snapshots}
        found["check"] = module_ansible.run(PLAYBOOK, sim=sim, extra_vars=EXTRA, env=env, check=True)
        found["after_check"] = sim.snapshots
        found["first"] = module_ansible.run(PLAYBOOK, sim=sim, extra_vars=EXTRA, env=env)
        sim.creations.settle()
        found["after_first"] = sim.snapshots
        found["second"] = module_ansible.run(PLAYBOOK, sim=sim, extra_vars=EXTRA, env=env)
        found["after_second"] = sim.snapshots
        yield sim, found
    finally:
        sim.stop()


def test_check_mode_with_diff_sends_only_reads_and_shows_the_plan(runs):
    _sim, found = runs
    run = found["check"]
    assert run.rc == 0, run.describe()
    assert [r.method for r in run.requests_sent if r.method != "GET"] == []
    assert found["after_check"] == found["start"]
    take = run.result(TAKE)["results"]
    assert sorted(r["item"]["id"] for r in take) == sorted(tagged_ids())
    for result in take:
        assert result["changed"] is True and result["created"] is False
        assert result["would_create"]["name"] == "%s-%s" % (result["item"]["name"], TODAY)
        assert result["would_create"]["tags"] == ["rotation"]
    prune = {r["item"]["id"]: sorted(s["id"] for s in r["prune"]) for r in run.result(PRUNE)["results"]}
    # Check mode plans without the snapshot it did not take: ten days, seven kept, three pruned.
    assert prune == {rid: sorted(rotation_plan(found["start"], rid)) for rid in tagged_ids()}
    assert all(len(ids) == DAYS - 7 for ids in prune.values())
    assert "newest snapshot of volume %s" % TAGGED["volume"][0].id in run.stdout  # the --diff
    assert run.result(SUMMARY)["msg"] == "2 resources; 2 snapshots would be taken; 6 snapshots would be pruned"


def test_the_first_run_takes_one_snapshot_of_each_tagged_resource_and_prunes_to_the_policy(runs):
    _sim, found = runs
    run = found["first"]
    assert run.rc == 0, run.describe()
    before = {s["id"] for s in found["after_check"]}
    new = [s for s in found["after_first"] if s["id"] not in before]
    assert sorted(s["resource_id"] for s in new) == sorted(tagged_ids())
    names = {s.id: s.name for sources_ in TAGGED.values() for s in sources_}
    for snap in new:
        assert snap["name"] == "%s-%s" % (names[snap["resource_id"]], TODAY)
        assert snap["tags"] == ["rotation"]  # Droplet snapshots were tagged after their action completed
    assert sorted(posts(run)) == sorted(
        ["/v2/droplets/%s/actions" % s.id for s in TAGGED["droplet"]]
        + ["/v2/volumes/%s/snapshots" % s.id for s in TAGGED["volume"]]
        + ["/v2/tags", "/v2/tags/rotation/resources"] * len(TAGGED["droplet"]))
    # With today's snapshot, eleven days: the four oldest rotation snapshots of each tagged resource go.
    with_new = found["after_check"] + new
    expected = sorted(i for rid in tagged_ids() for i in rotation_plan(with_new, rid))
    assert len(expected) == 4 * len(tagged_ids())
    assert deleted(run) == expected
    remaining = {s["id"] for s in found["after_first"]}
    assert not remaining & set(expected)
    # Never pruned: the manual snapshots, and everything of the untagged resources.
    assert all(s["id"] in remaining for s in found["start"] if "rotation" not in s["tags"])
    untagged = {s.id for sources_ in UNTAGGED.values() for s in sources_}
    assert all(s["id"] in remaining for s in found["start"] if s["resource_id"] in untagged)
    take = {r["item"]["id"]: r for r in run.result(TAKE)["results"]}
    for snap in new:
        assert take[snap["resource_id"]]["snapshot"]["id"] == snap["id"]
    assert run.result(SUMMARY)["msg"] == "2 resources; 2 snapshots taken; 8 snapshots pruned"


def test_the_second_run_is_all_ok_and_changes_nothing(runs):
    _sim, found = runs
    run = found["second"]
    assert run.rc == 0, run.describe()
    assert "changed=0" in run.stdout and "failed=0" in run.stdout
    assert posts(run) == [] and deleted(run) == []
    assert found["after_second"] == found["after_first"]
    for result in run.result(TAKE)["results"]:
        assert result["changed"] is False and result["msg"].startswith("not due: ")
    assert run.result(SUMMARY)["msg"] == "2 resources; 0 snapshots taken; 0 snapshots pruned"
