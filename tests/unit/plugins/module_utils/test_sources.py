# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""api/sources.py and the orphaned filter, against the simulator's own record of which sources exist.

The oracle is the simulator's data: ``make_sources`` says which resources it left out
(``Sources.orphaned``); a snapshot is an orphan exactly when its resource is one of those.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import Listing
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.sources import (
    list_sources,
    parse_droplets_body,
    parse_volumes_body,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, TransportError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.orphans import filter_listing
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.simulator.sources import make_sources
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN

SNAPSHOTS = make_snapshots(count=600, seed=19, droplets=40, volumes=16)
SOURCES = make_sources(SNAPSHOTS, seed=19, orphan_share=0.25, gpu_share=0.3, idle_droplets=4, idle_volumes=3)
GPU = SOURCES.gpu_ids


def _orphans(snapshots: t.Iterable[dict], gone: t.Set[str]) -> t.List[str]:
    return [s["id"] for s in snapshots if str(s["resource_id"]).lower() in gone]


def _client(sim: t.Any, token: str = TOKEN, **kwargs: t.Any) -> Client:
    kwargs.setdefault("retries", 1)
    kwargs.setdefault("retry_backoff", 0.0)
    return Client(token, sim.url, **kwargs)


def test_the_data_holds_every_kind_of_droplet() -> None:
    droplet_ids = {s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet"}
    assert GPU & droplet_ids, "GPU Droplets with snapshots"
    assert droplet_ids - GPU - SOURCES.orphaned, "non-GPU Droplets with snapshots"
    assert SOURCES.orphaned & droplet_ids, "gone Droplets"
    assert {s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume"} & SOURCES.orphaned, "gone volumes"
    assert set(SOURCES.droplets) - droplet_ids, "Droplets without snapshots"


@pytest.mark.parametrize("per_page", [200, 7])
def test_list_sources_reads_both_droplet_listings_and_the_volumes(make_sim: t.Any, per_page: int) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25, gpu_share=0.3,
                                                             idle_droplets=4, idle_volumes=3))
    with _client(sim) as client:
        found = list_sources(client, ["volume", "droplet"], per_page=per_page)
    assert sorted(s["id"] for s in found["droplet"]) == sorted(SOURCES.droplets)
    assert sorted(s["id"].lower() for s in found["volume"]) == sorted(SOURCES.volumes)
    gpu = next(s for s in found["droplet"] if s["id"] in GPU)
    record = SOURCES.droplets[gpu["id"]]
    assert gpu == {"id": record.id, "name": record.name, "resource_type": "droplet", "region": record.region,
                   "tags": record.tags}
    queries = {(r.path, r.query.get("type")) for r in sim.requests}
    assert queries == {("/v2/droplets", None), ("/v2/droplets", "gpus"), ("/v2/volumes", None)}


@pytest.mark.parametrize("resource_type", [None, "droplet", "volume"])
@pytest.mark.parametrize("orphaned", [True, False])
def test_orphaned_matches_the_oracle(make_sim: t.Any, resource_type: t.Optional[str], orphaned: bool) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25, gpu_share=0.3,
                                                             idle_droplets=4, idle_volumes=3))
    params = {"resource_type": resource_type} if resource_type else {}
    with _client(sim) as client:
        listing = client.list("/v2/snapshots", params, per_page=50)
        sim.reset_log()
        kept = filter_listing(client, listing, orphaned, per_page=50)
    mine = [s for s in SNAPSHOTS if resource_type in (None, s["resource_type"])]
    expected = _orphans(mine, SOURCES.orphaned)
    if not orphaned:
        expected = [s["id"] for s in mine if s["id"] not in set(expected)]
    assert [s["id"] for s in kept.snapshots] == expected
    assert kept.total == len(mine)  # meta.total stays the API's count
    # Only the sources the snapshots need were read.
    paths = {r.path for r in sim.requests}
    assert paths == ({"/v2/droplets", "/v2/volumes"} if resource_type is None else {"/v2/%ss" % resource_type})


def test_a_droplet_destroyed_after_the_snapshots_were_read_makes_its_snapshots_orphans(make_sim: t.Any) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25, gpu_share=0.3))
    victim = sorted(GPU & {s["resource_id"] for s in SNAPSHOTS})[0]
    with _client(sim) as client:
        listing = client.list("/v2/snapshots", {"resource_type": "droplet"})
        sim.destroy_droplet(victim)
        kept = filter_listing(client, listing, True)
    droplet_snapshots = [s for s in SNAPSHOTS if s["resource_type"] == "droplet"]
    assert [s["id"] for s in kept.snapshots] == _orphans(droplet_snapshots, SOURCES.orphaned | {victim})


def test_a_droplet_destroyed_while_the_droplets_are_read(make_sim: t.Any) -> None:
    """The one destroyed meanwhile may or may not count as gone; every Droplet that exists throughout is found."""
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25, gpu_share=0.3))
    droplets = sorted((d for d in SOURCES.droplets if d not in GPU), key=int)
    victim = droplets[0]  # on page 1: every later Droplet shifts back one place
    sim.after_list_pages(1, lambda s: s.destroy_droplet(victim), path="/v2/droplets")
    with _client(sim, concurrency=1) as client:
        listing = client.list("/v2/snapshots", {"resource_type": "droplet"})
        kept = filter_listing(client, listing, True, per_page=5)
    droplet_snapshots = [s for s in SNAPSHOTS if s["resource_type"] == "droplet"]
    got = [s["id"] for s in kept.snapshots]
    assert got in (_orphans(droplet_snapshots, SOURCES.orphaned),
                   _orphans(droplet_snapshots, SOURCES.orphaned | {victim}))
    assert any(r.path == "/v2/droplets" and r.query.get("page") == "2" for r in sim.requests)


@pytest.mark.parametrize("kind, scope", [("droplet", "droplet:read"), ("volume", "block_storage:read")])
def test_a_token_without_the_read_scope_fails_naming_it(make_sim: t.Any, kind: str, scope: str) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25),
                   denied_scopes={"weak-token": [scope]})
    with _client(sim, token="weak-token") as client:
        listing = client.list("/v2/snapshots", {"resource_type": kind})
        with pytest.raises(APIError) as caught:
            filter_listing(client, listing, True)
    assert caught.value.status == 403
    assert scope in caught.value.message and "weak-token" not in caught.value.message


def test_a_failing_source_listing_is_never_no_sources(make_sim: t.Any) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25))
    sim.add_fault(Fault("status", path="/v2/droplets", status=503, times=None))
    with _client(sim) as client:
        listing = client.list("/v2/snapshots")
        with pytest.raises(APIError) as caught:
            filter_listing(client, listing, False)
    assert caught.value.status == 503 and "/v2/droplets" in caught.value.message
    sim.clear_faults()
    sim.add_fault(Fault("drop", path="/v2/volumes", times=None))
    with _client(sim) as client, pytest.raises(TransportError):
        filter_listing(client, listing, True)


def test_a_gpu_droplet_only_in_type_gpus_is_not_an_orphan(make_sim: t.Any) -> None:
    """Without the type=gpus listing, the GPU Droplets' snapshots would look orphaned: they must not."""
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, gpu_share=1.0))
    with _client(sim) as client:
        listing = client.list("/v2/snapshots", {"resource_type": "droplet"})
        assert filter_listing(client, listing, True).snapshots == []
    default = [r for r in sim.requests if r.path == "/v2/droplets" and "type" not in r.query]
    assert default, "the default listing is read too"


def test_no_snapshots_read_no_sources(make_sim: t.Any) -> None:
    sim = make_sim(snapshots=[])
    with _client(sim) as client:
        assert filter_listing(client, Listing([], 0, {}), True).snapshots == []
    assert sim.requests == []


@pytest.mark.parametrize("body, words", [
    ({"droplets": [{"id": "1", "name": "a"}], "meta": {"total": 1}}, "integer 'id'"),
    ({"droplets": [{"id": 1, "tags": "prod"}], "meta": {"total": 1}}, "'tags'"),
    ({"droplets": [{"id": 1, "region": "nyc1"}], "meta": {"total": 1}}, "'region'"),
    ({"droplets": [], "meta": {}}, "meta.total"),
    ({"snapshots": [], "meta": {"total": 0}}, "'droplets' list"),
])
def test_droplet_bodies_that_break_the_contract(body: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_droplets_body(body)


def test_volume_body_is_normalised() -> None:
    body = {"volumes": [{"id": "506F78A4-E098-11E5-AD9F-000F53306AE1", "name": "v", "tags": None,
                         "region": {"slug": "nyc1", "name": "New York 1"}}], "links": {}, "meta": {"total": 1}}
    items, total, links = parse_volumes_body(body)
    assert items == [{"id": "506F78A4-E098-11E5-AD9F-000F53306AE1", "name": "v", "resource_type": "volume",
                      "region": "nyc1", "tags": []}]
    assert (total, links) == (1, {})
    with pytest.raises(ValueError, match="string 'id'"):
        parse_volumes_body({"volumes": [{"id": 5}], "meta": {"total": 1}})


def test_strict_consistency_reads_every_source_listing_until_two_reads_agree(make_sim: t.Any) -> None:
    """snapshot_retention lists with strict consistency: the sources are read the same way."""
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=19, orphan_share=0.25, gpu_share=0.3))
    with _client(sim) as client:
        listing = client.list("/v2/snapshots")
        sim.reset_log()
        kept = filter_listing(client, listing, True, consistency="strict")
    assert [s["id"] for s in kept.snapshots] == _orphans(SNAPSHOTS, SOURCES.orphaned)
    reads = [(r.path, r.query.get("type", "")) for r in sim.requests if r.query.get("page") == "1"]
    assert sorted(reads) == sorted([("/v2/droplets", ""), ("/v2/droplets", "gpus"), ("/v2/volumes", "")] * 2)
