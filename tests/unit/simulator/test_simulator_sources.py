# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's sources: GET /v2/droplets and GET /v2/volumes, make_sources, denied scopes."""

from __future__ import annotations

import pytest

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.simulator.sources import make_sources

TOKEN = "sim-token"
SNAPSHOTS = make_snapshots(count=200, seed=3, droplets=12, volumes=6)
SOURCES = make_sources(SNAPSHOTS, seed=3, orphan_share=0.25, gpu_share=0.4, idle_droplets=2, idle_volumes=1)
REQUIRED = {"id", "name", "memory", "vcpus", "disk", "locked", "status", "created_at", "features", "backup_ids",
            "next_backup_window", "snapshot_ids", "image", "volume_ids", "size", "size_slug", "networks", "region",
            "tags"}


@pytest.fixture(name="sim")
def fixture_sim():
    sources = make_sources(SNAPSHOTS, seed=3, orphan_share=0.25, gpu_share=0.4, idle_droplets=2, idle_volumes=1)
    with Simulator(snapshots=SNAPSHOTS, token=TOKEN, sources=sources, denied_scopes={"blind": ["droplet:read"]}) as sim:
        yield sim


def _get(client, sim, path, token=TOKEN):
    return client.get(sim.url + path, headers={"Authorization": "Bearer " + token})


def test_make_sources_is_deterministic_and_leaves_a_share_out():
    again = make_sources(SNAPSHOTS, seed=3, orphan_share=0.25, gpu_share=0.4, idle_droplets=2, idle_volumes=1)
    assert again == SOURCES
    named = {(s["resource_type"], s["resource_id"]) for s in SNAPSHOTS}
    assert len(SOURCES.orphaned) == int(len([k for k in named if k[0] == "droplet"]) * 0.25) + int(
        len([k for k in named if k[0] == "volume"]) * 0.25)
    assert not SOURCES.orphaned & set(SOURCES.droplets) and not SOURCES.orphaned & set(SOURCES.volumes)
    # The idle ones are new resources, never one the snapshots name (whose record would be overwritten).
    for seed in range(1, 30):
        snapshots = make_snapshots(count=50, seed=seed, droplets=5, volumes=5)
        book = make_sources(snapshots, seed=seed, idle_droplets=3, idle_volumes=3)
        assert len(book.droplets) == len({s["resource_id"] for s in snapshots if s["resource_type"] == "droplet"}) + 3
        assert len(book.volumes) == len({s["resource_id"] for s in snapshots if s["resource_type"] == "volume"}) + 3
        assert sum(1 for v in book.volumes.values() if v.name.startswith("scratch-")) == 3


def test_droplets_default_and_gpus(sim, client):
    default = _get(client, sim, "/v2/droplets?per_page=200").json()
    gpus = _get(client, sim, "/v2/droplets?type=gpus&per_page=200").json()
    assert {str(d["id"]) for d in gpus["droplets"]} == SOURCES.gpu_ids and gpus["meta"]["total"] == len(SOURCES.gpu_ids)
    assert {str(d["id"]) for d in default["droplets"]} == set(SOURCES.droplets) - SOURCES.gpu_ids
    assert _get(client, sim, "/v2/droplets?type=droplets").json()["meta"] == default["meta"]
    first = default["droplets"][0]
    assert REQUIRED <= set(first) and isinstance(first["id"], int) and first["region"]["slug"]
    mine = sorted(int(s["id"]) for s in SNAPSHOTS if s["resource_id"] == str(first["id"]))
    assert sorted(first["snapshot_ids"]) == mine
    assert [d["id"] for d in default["droplets"]] == sorted(d["id"] for d in default["droplets"])


def test_droplet_parameters(sim, client):
    some = next(iter(SOURCES.droplets.values()))
    named = _get(client, sim, "/v2/droplets?name=%s" % some.name.upper()).json()
    assert all(d["name"].lower() == some.name.lower() for d in named["droplets"])
    for query in ("type=all", "tag_name=x&type=gpus", "tag_name=x&name=y", "per_page=201"):
        assert _get(client, sim, "/v2/droplets?" + query).status_code == 422, query


def test_paging_and_links(sim, client):
    total = len(SOURCES.droplets) - len(SOURCES.gpu_ids)
    one = _get(client, sim, "/v2/droplets?per_page=2&page=2").json()
    assert len(one["droplets"]) == 2 and one["meta"]["total"] == total
    assert "next" in one["links"]["pages"] and "prev" in one["links"]["pages"]
    volumes = _get(client, sim, "/v2/volumes?per_page=200").json()
    assert sorted(v["id"] for v in volumes["volumes"]) == sorted(SOURCES.volumes)
    region = volumes["volumes"][0]["region"]["slug"]
    assert all(v["region"]["slug"] == region for v in _get(client, sim, "/v2/volumes?region=" + region).json()["volumes"])
    assert _get(client, sim, "/v2/volumes?region=atl1").status_code == 422


def test_gone_resources_and_destroyed_droplets(sim, client):
    gone = next(r for r in SOURCES.orphaned if r.isdigit())
    assert _get(client, sim, "/v2/droplets/%s/snapshots" % gone).status_code == 404
    assert any(s["resource_id"] == gone for s in _get(client, sim, "/v2/snapshots?per_page=200").json()["snapshots"])
    victim = sorted(set(SOURCES.droplets) - SOURCES.gpu_ids, key=int)[0]
    sim.destroy_droplet(victim)
    listed = {str(d["id"]) for d in _get(client, sim, "/v2/droplets?per_page=200").json()["droplets"]}
    assert victim not in listed and listed == set(SOURCES.droplets) - SOURCES.gpu_ids - {victim}


def test_denied_scope_and_methods(sim, client):
    assert _get(client, sim, "/v2/droplets", "blind").status_code == 403
    assert _get(client, sim, "/v2/volumes", "blind").status_code == 200
    assert _get(client, sim, "/v2/volumes", "nobody").status_code == 401
    posted = client.post(sim.url + "/v2/volumes", headers={"Authorization": "Bearer " + TOKEN}, json={})
    assert posted.status_code == 405


def test_without_sources_every_resource_exists(client):
    with Simulator(snapshots=SNAPSHOTS, token=TOKEN) as sim:
        listed = {str(d["id"]) for d in _get(client, sim, "/v2/droplets?per_page=200").json()["droplets"]}
        assert listed == {s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet"}
