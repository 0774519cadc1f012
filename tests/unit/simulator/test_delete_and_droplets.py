# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DELETE /v2/snapshots/{id} and GET /v2/droplets/{id}/snapshots as the API answers them."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator, droplet_view, make_snapshots

TOKEN = "sim-token"  # the token of the `client` fixture (conftest.py)
READ_ONLY = "read-only"
SNAPSHOTS = make_snapshots(count=40, seed=11, volumes=3, droplets=3)
DROPLET_SNAP = next(s for s in SNAPSHOTS if s["resource_type"] == "droplet")
VOLUME_SNAP = next(s for s in SNAPSHOTS if s["resource_type"] == "volume")
DROPLET = DROPLET_SNAP["resource_id"]
OF_DROPLET = [s for s in SNAPSHOTS if s["resource_type"] == "droplet" and s["resource_id"] == DROPLET]


@pytest.fixture(name="sim")
def fixture_sim():
    """A running simulator with a read-only token, a declared Droplet (7) and an image (99)."""
    with Simulator(snapshots=SNAPSHOTS, token=TOKEN, read_only_tokens=[READ_ONLY], droplets=[7],
                   images=[99]) as simulator:
        yield simulator


# -- DELETE ---------------------------------------------------------------------------------

def test_delete_answers_204_and_the_snapshot_is_gone(sim, client):
    for snap in (DROPLET_SNAP, VOLUME_SNAP):
        response = client.delete(f"{sim.url}/v2/snapshots/{snap['id']}")
        assert response.status_code == 204 and response.content == b""
        assert "Content-Type" not in response.headers and response.headers["ratelimit-remaining"].isdigit()
        assert client.get(f"{sim.url}/v2/snapshots/{snap['id']}").status_code == 404
        again = client.delete(f"{sim.url}/v2/snapshots/{snap['id']}")
        assert again.status_code == 404 and again.json()["id"] == "not_found"
    assert client.get(f"{sim.url}/v2/snapshots").json()["meta"]["total"] == 38
    assert [(r.method, r.status) for r in sim.requests[-4:]] == [("DELETE", 204), ("GET", 404), ("DELETE", 404), ("GET", 200)]
    # The keep-alive connection survived the bodiless 204s.
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200


@pytest.mark.parametrize("snapshot_id", ["web-01", "12ab", "99", "-5"])
def test_delete_of_an_id_that_is_not_a_snapshot_answers_400(sim, client, snapshot_id):
    response = client.delete(f"{sim.url}/v2/snapshots/{snapshot_id}")
    assert response.status_code == 400
    assert response.json()["id"] == "bad_request" and response.json()["message"] == "the resource is not a snapshot"


def test_delete_with_a_read_only_token_answers_403(sim):
    headers = {"Authorization": f"Bearer {READ_ONLY}"}
    denied = requests.delete(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}", headers=headers, timeout=10)
    assert denied.status_code == 403
    assert denied.json()["id"] == "forbidden"
    assert denied.json()["message"] == "You do not have access for the attempted action."
    # The token reads, and nothing was deleted.
    assert requests.get(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}", headers=headers, timeout=10).status_code == 200
    assert sim.requests[-1].authorized and len(sim.snapshots) == 40
    unauthorized = requests.delete(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}", timeout=10)
    assert unauthorized.status_code == 401


def test_faults_apply_to_delete_and_can_match_the_method(sim, client):
    sim.add_fault(Fault("status", path="/v2/snapshots/*", status=503, method="DELETE", times=1))
    assert client.get(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}").status_code == 200
    assert client.delete(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}").status_code == 503
    sim.add_fault(Fault("status", status=429, retry_after=3, times=1))  # any method
    limited = client.delete(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    sim.add_fault(Fault("drop", method="delete"))
    with pytest.raises(requests.exceptions.ConnectionError):
        client.delete(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}")
    assert len(sim.snapshots) == 40  # none of these reached the store
    assert client.delete(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}").status_code == 204
    assert [r.status for r in sim.requests if r.method == "DELETE"] == [503, 429, 0, 204]


def test_other_methods_answer_405_with_allow(sim, client):
    posted = client.post(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}", json={})
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, DELETE"
    assert client.delete(f"{sim.url}/v2/snapshots").headers["Allow"] == "GET"
    assert client.delete(f"{sim.url}/v2/droplets/{DROPLET}/snapshots").status_code == 405


# -- the Droplet endpoint --------------------------------------------------------------------

def test_droplet_snapshots_use_the_droplet_model_and_page(sim, client):
    base = f"{sim.url}/v2/droplets/{DROPLET}/snapshots"
    items = []
    for number in range(1, len(OF_DROPLET) + 1):
        body = client.get(base, params={"page": number, "per_page": 1}).json()
        assert body["meta"] == {"total": len(OF_DROPLET)}
        items.extend(body["snapshots"])
    assert items == [droplet_view(s) for s in OF_DROPLET]
    for item in items:
        assert set(item) == {"id", "name", "created_at", "regions", "min_disk_size", "size_gigabytes", "type"}
        assert isinstance(item["id"], int) and item["type"] == "snapshot"
    first = client.get(base, params={"per_page": 1}).json()
    assert first["links"]["pages"] == {"next": f"{base}?page=2&per_page=1",
                                       "last": f"{base}?page={len(OF_DROPLET)}&per_page=1"}
    assert client.get(base, params={"per_page": 200}).json()["links"] == {}
    assert client.get(base, params={"per_page": 201}).status_code == 422


def test_droplet_endpoint_404_422_and_declared_droplets(sim, client):
    missing = client.get(f"{sim.url}/v2/droplets/1/snapshots")
    assert missing.status_code == 404 and missing.json()["id"] == "not_found"
    for bad in ("web-01", "0", "1.5"):
        assert client.get(f"{sim.url}/v2/droplets/{bad}/snapshots").status_code == 422
    empty = client.get(f"{sim.url}/v2/droplets/7/snapshots").json()
    assert empty == {"snapshots": [], "links": {}, "meta": {"total": 0}}


def test_destroy_droplet_keeps_its_snapshots_in_the_account(sim, client):
    sim.destroy_droplet(DROPLET)
    assert client.get(f"{sim.url}/v2/droplets/{DROPLET}/snapshots").status_code == 404
    listed = client.get(f"{sim.url}/v2/snapshots", params={"per_page": 200}).json()["snapshots"]
    assert [s for s in listed if s["resource_id"] == DROPLET] == OF_DROPLET
    sim.destroy_droplet(7)
    assert client.get(f"{sim.url}/v2/droplets/7/snapshots").status_code == 404
    # New snapshots go to Droplets that still exist.
    made = [sim.create(resource_type="droplet") for _index in range(10)]
    assert DROPLET not in {s["resource_id"] for s in made}


def test_droplet_endpoint_follows_changes(sim, client):
    created = sim.create(resource_type="droplet", resource_id=DROPLET)
    sim.delete(OF_DROPLET[0]["id"])
    body = client.get(f"{sim.url}/v2/droplets/{DROPLET}/snapshots", params={"per_page": 200}).json()
    assert [s["id"] for s in body["snapshots"]] == [int(s["id"]) for s in OF_DROPLET[1:]] + [int(created["id"])]
