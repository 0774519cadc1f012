# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's create operations, Droplet actions and tags, as the contract describes them."""

from __future__ import annotations

import time

import pytest
import requests

from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.simulator.creation import RATE_LIMITED

TOKEN = "sim-token"  # the token of the `client` fixture (conftest.py)
READ_ONLY = "read-only"
SNAPSHOTS = make_snapshots(count=20, seed=4, volumes=2, droplets=2)
VOLUME = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
DROPLET = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")


@pytest.fixture(name="sim")
def fixture_sim():
    with Simulator(snapshots=SNAPSHOTS, token=TOKEN, read_only_tokens=[READ_ONLY],
                   denied_scopes={"no-tags": ["tag:create"]}) as simulator:
        simulator.creations.action_seconds = 0.2
        yield simulator


def test_a_volume_snapshot_is_made_with_its_tags_and_listed(sim, client):
    answer = client.post(f"{sim.url}/v2/volumes/{VOLUME}/snapshots", json={"name": "n1", "tags": ["backup"]})
    assert answer.status_code == 201
    made = answer.json()["snapshot"]
    assert made["resource_id"] == VOLUME and made["tags"] == ["backup"] and made["name"] == "n1"
    listed = client.get(f"{sim.url}/v2/volumes/{VOLUME}/snapshots", params={"per_page": 200}).json()["snapshots"]
    assert listed[-1] == made
    assert sim.creations.posts == [("volume", VOLUME, "n1")]


def test_the_ten_minutes_and_the_25_snapshots_of_a_volume(sim, client):
    url = f"{sim.url}/v2/volumes/{VOLUME}/snapshots"
    assert client.post(url, json={"name": "a"}).status_code == 201
    refused = client.post(url, json={"name": "b"})
    assert refused.status_code == 429 and refused.json()["message"] == RATE_LIMITED
    sim.creations.time_scale = 6000.0  # 10 minutes last 0.1 s
    time.sleep(0.15)
    assert client.post(url, json={"name": "b"}).status_code == 201
    while sum(1 for s in sim.snapshots if s["resource_id"] == VOLUME) < 25:
        sim.create(resource_type="volume", resource_id=VOLUME)
    time.sleep(0.15)
    full = client.post(url, json={"name": "c"})
    assert full.status_code == 422 and "25 snapshots" in full.json()["message"]


@pytest.mark.parametrize("body, status", [({}, 400), ({"name": 3}, 400), ({"name": "x", "tags": ["a b"]}, 400)])
def test_a_bad_volume_snapshot_request_is_refused(sim, client, body, status):
    assert client.post(f"{sim.url}/v2/volumes/{VOLUME}/snapshots", json=body).status_code == status
    assert sim.creations.posts == []


def test_a_droplet_action_stays_in_progress_then_completes_and_then_its_snapshot_is_listed(sim, client):
    sim.creations.appear_seconds = 0.2
    answer = client.post(f"{sim.url}/v2/droplets/{DROPLET}/actions", json={"type": "snapshot", "name": "d1"})
    assert answer.status_code == 201
    action = answer.json()["action"]
    assert action["status"] == "in-progress" and action["resource_id"] == int(DROPLET)

    def names():
        return [s["name"] for s in client.get(f"{sim.url}/v2/droplets/{DROPLET}/snapshots").json()["snapshots"]]

    assert client.get(f"{sim.url}/v2/actions/{action['id']}").json()["action"]["status"] == "in-progress"
    time.sleep(0.25)
    assert client.get(f"{sim.url}/v2/actions/{action['id']}").json()["action"]["status"] == "completed"
    assert "d1" not in names()
    time.sleep(0.25)
    assert names().count("d1") == 1
    assert names().count("d1") == 1  # listed once, however often it is read


def test_an_errored_action_makes_no_snapshot(sim, client):
    sim.creations.errored = 1
    action = client.post(f"{sim.url}/v2/droplets/{DROPLET}/actions", json={"type": "snapshot", "name": "e"}).json()
    time.sleep(0.25)
    got = client.get(f"{sim.url}/v2/actions/{action['action']['id']}").json()["action"]
    assert got["status"] == "errored"
    assert all(s["name"] != "e" for s in sim.snapshots)


def test_tags_show_on_the_snapshot_in_the_listings(sim, client):
    snap = next(s for s in SNAPSHOTS if s["resource_type"] == "droplet")
    assert client.post(f"{sim.url}/v2/tags", json={"name": "keep:me"}).status_code == 201
    resources = {"resources": [{"resource_id": snap["id"], "resource_type": "image"}]}
    assert client.post(f"{sim.url}/v2/tags/keep:me/resources", json=resources).status_code == 204
    listed = {s["id"]: s for s in client.get(f"{sim.url}/v2/snapshots", params={"per_page": 200}).json()["snapshots"]}
    assert listed[snap["id"]]["tags"] == [*(snap["tags"] or []), "keep:me"]
    wrong = {"resources": [{"resource_id": snap["id"], "resource_type": "snapshot"}]}
    assert client.post(f"{sim.url}/v2/tags/keep:me/resources", json=wrong).status_code == 422
    assert client.post(f"{sim.url}/v2/tags/nope/resources", json=resources).status_code == 404
    bad = client.post(f"{sim.url}/v2/tags", json={"name": "no spaces"})
    assert bad.status_code == 400 and set(bad.json()) == {"error", "messages", "root_causes"}


@pytest.mark.parametrize("token, path, body", [
    (READ_ONLY, f"/v2/volumes/{VOLUME}/snapshots", {"name": "x"}),
    (READ_ONLY, f"/v2/droplets/{DROPLET}/actions", {"type": "snapshot"}),
    ("no-tags", "/v2/tags", {"name": "backup"}),
    ("no-tags", f"/v2/volumes/{VOLUME}/snapshots", {"name": "x", "tags": ["backup"]}),
])
def test_a_token_without_the_scope_gets_a_403_and_nothing_is_made(sim, client, token, path, body):
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.post(sim.url + path, json=body).status_code == 403
    assert sim.creations.posts == []


def test_a_lost_fault_lets_the_create_take_effect(sim, client):
    sim.add_fault(Fault("lost", path=f"/v2/volumes/{VOLUME}/snapshots", method="POST"))
    with pytest.raises(requests.ConnectionError):
        client.post(f"{sim.url}/v2/volumes/{VOLUME}/snapshots", json={"name": "lost"})
    assert [s["name"] for s in sim.snapshots].count("lost") == 1
