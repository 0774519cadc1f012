# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's order (oldest first), its changes on demand and the list-page hooks."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

TOKEN = "sim-token"  # the token of the `client` fixture (conftest.py)
SNAPSHOTS = make_snapshots(count=30, seed=5, volumes=3, droplets=4)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(name="sim")
def fixture_sim():
    """A running simulator with 30 snapshots, oldest first."""
    with Simulator(snapshots=SNAPSHOTS, token=TOKEN) as simulator:
        yield simulator


def _ids(snapshots):
    return [s["id"] for s in snapshots]


def _page(client, sim, number, per_page=10, path="/v2/snapshots"):
    return client.get(f"{sim.url}{path}", params={"page": number, "per_page": per_page}).json()


# -- order ----------------------------------------------------------------------------------

def test_generated_ids_grow_with_created_at_and_the_list_is_oldest_first(sim, client):
    snaps = make_snapshots(count=2000, seed=9)
    times = [s["created_at"] for s in snaps]
    assert times == sorted(times)
    droplet_ids = [int(s["id"]) for s in snaps if s["resource_type"] == "droplet"]
    assert droplet_ids == sorted(droplet_ids) and len(set(droplet_ids)) == len(droplet_ids)
    listed = _page(client, sim, 1, per_page=200)["snapshots"]
    assert listed == SNAPSHOTS
    numeric = [int(s["id"]) for s in listed if s["id"].isdigit()]
    assert numeric == sorted(numeric)


# -- create, delete, rotate ------------------------------------------------------------------

def test_create_appends_at_the_end_with_a_fresh_higher_id(sim):
    newest_id = max(int(s["id"]) for s in SNAPSHOTS if s["id"].isdigit())
    sim.delete(next(s["id"] for s in reversed(SNAPSHOTS) if s["id"].isdigit()))  # ids are never reused
    created = sim.create(resource_type="droplet")
    assert sim.snapshots[-1] == created and len(sim.snapshots) == 30
    assert created["id"].isdigit() and int(created["id"]) > newest_id
    assert created["created_at"] > SNAPSHOTS[-1]["created_at"]
    assert created["resource_id"] in {s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet"}
    second = sim.create(resource_type="droplet")
    assert int(second["id"]) > int(created["id"]) and second["created_at"] > created["created_at"]
    volume = sim.create(resource_type="volume", tags=["keep"])
    assert UUID.match(volume["id"]) and volume["tags"] == ["keep"]
    assert volume["resource_id"] in {s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume"}
    assert set(volume) == set(SNAPSHOTS[0])


def test_create_at_the_head_or_an_index_and_fields_override(sim, client):
    head = sim.create(at="head", name="first-of-all")
    middle = sim.create(at=5, resource_type="droplet", resource_id="123456789")
    assert sim.snapshots[0] == head and sim.snapshots[5] == middle
    assert head["name"] == "first-of-all" and middle["resource_id"] == "123456789"
    # A snapshot of a new Droplet makes the Droplet exist.
    body = client.get(f"{sim.url}/v2/droplets/123456789/snapshots").json()
    assert [s["id"] for s in body["snapshots"]] == [int(middle["id"])]
    assert client.get(f"{sim.url}/v2/snapshots/{middle['id']}").json() == {"snapshot": middle}
    with pytest.raises(ValueError):
        sim.create(at="middle")


def test_create_is_deterministic():
    with Simulator(snapshots=SNAPSHOTS) as one, Simulator(snapshots=SNAPSHOTS) as two:
        made = [(one.create(), two.create()) for _index in range(5)]
    for left, right in made:
        assert {k: v for k, v in left.items() if k != "created_at"} == {k: v for k, v in right.items() if k != "created_at"}


def test_delete_by_id_or_index_and_rotate(sim):
    assert sim.delete(SNAPSHOTS[3]["id"]) == SNAPSHOTS[3]
    assert sim.delete(0) == SNAPSHOTS[0]
    assert sim.delete(-1) == SNAPSHOTS[-1]
    assert _ids(sim.snapshots) == _ids(SNAPSHOTS[1:3] + SNAPSHOTS[4:-1])
    with pytest.raises(KeyError):
        sim.delete(SNAPSHOTS[3]["id"])
    with pytest.raises(IndexError):
        sim.delete(100)
    before = sim.snapshots
    deleted, created = sim.rotate()
    assert deleted == before[0] and sim.snapshots == before[1:] + [created]


# -- hooks ----------------------------------------------------------------------------------

def test_hook_runs_before_each_list_page_with_path_and_page_number(sim, client):
    calls = []
    hook = sim.on_list_page(lambda s, path, page: calls.append((s is sim, path, page, s.list_pages_served)))
    volume = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
    droplet = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
    _page(client, sim, 1)
    _page(client, sim, 3)
    _page(client, sim, 2, path=f"/v2/volumes/{volume}/snapshots")
    _page(client, sim, 1, path=f"/v2/droplets/{droplet}/snapshots")
    client.get(f"{sim.url}/v2/snapshots/{SNAPSHOTS[0]['id']}")  # not a list page
    client.get(f"{sim.url}/v2/snapshots?per_page=0")  # refused before the page
    assert calls == [(True, "/v2/snapshots", 1, 0), (True, "/v2/snapshots", 3, 1),
                     (True, f"/v2/volumes/{volume}/snapshots", 2, 2), (True, f"/v2/droplets/{droplet}/snapshots", 1, 3)]
    sim.remove_hook(hook)
    _page(client, sim, 1)
    assert len(calls) == 4 and sim.list_pages_served == 5


def test_a_hook_change_is_in_the_page_it_precedes(sim, client):
    # Delete the first snapshot right before page 2 is computed: page 2 starts one later.
    sim.on_list_page(lambda s, path, page: s.delete(0) if page == 2 else None)
    first = _page(client, sim, 1)["snapshots"]
    second = _page(client, sim, 2)
    assert first == SNAPSHOTS[:10]
    assert second["snapshots"] == SNAPSHOTS[11:21] and second["meta"]["total"] == 29


def test_after_list_pages_rotation_hides_a_snapshot_from_page_by_page_reading(sim, client):
    """Issue 9's case: a backup rotation after page 1 slides a snapshot from page 2 onto page 1."""
    sim.after_list_pages(1, lambda s: s.rotate())
    pages = [_page(client, sim, n) for n in (1, 2, 3)]
    seen = [s["id"] for p in pages for s in p["snapshots"]]
    assert {p["meta"]["total"] for p in pages} == {30}
    assert SNAPSHOTS[10]["id"] not in seen  # existed throughout, never served
    assert seen.count(SNAPSHOTS[0]["id"]) == 1 and len(seen) == 30


def test_after_list_pages_every_times_and_path(sim, client):
    fired = []
    sim.after_list_pages(0, lambda s: fired.append(s.list_pages_served), every=2, times=3, path="/v2/snapshots")
    droplet = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
    for number in range(1, 9):
        _page(client, sim, number)
        _page(client, sim, 1, path=f"/v2/droplets/{droplet}/snapshots")  # another path: not counted
    # Before the 1st, 3rd and 5th pages of /v2/snapshots (0, 2 and 4 of them served), then no more.
    assert fired == [0, 4, 8]
    sim.clear_hooks()
    with pytest.raises(ValueError):
        sim.after_list_pages(-1, lambda s: None)


def test_hooks_may_change_the_store_while_pages_are_read_concurrently(sim):
    lock_held = []  # the hook runs under the store's lock (re-entrant: create() takes it again)
    sim.on_list_page(lambda s, path, page: (lock_held.append(s.store.lock._is_owned()), s.create()))
    import requests

    def read(number):
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            return session.get(f"{sim.url}/v2/snapshots", params={"page": number}, timeout=10).json()["meta"]["total"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        totals = list(pool.map(read, range(1, 41)))
    # Each page saw its own creation and every earlier one: totals are 31..70, each once.
    assert sorted(totals) == list(range(31, 71))
    assert all(lock_held) and len(lock_held) == 40
    ids = _ids(sim.snapshots)
    assert len(set(ids)) == 70
