# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client against the simulator on loopback: paging, concurrency, the three operations, headers."""

from __future__ import annotations

import math
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import client as api
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client, DeleteResult
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import (
    TOKEN,
    RawServer,
    collection_root,
    http_answer,
)

SNAPSHOTS = make_snapshots(count=90, seed=11, volumes=3, droplets=4)
EMPTY_VOLUME = "0f6a3c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
UNKNOWN_VOLUME = "11111111-2222-4333-8444-555555555555"


def _client(sim: t.Any, **kwargs: t.Any) -> Client:
    """A client for ``sim`` with no backoff, so that retried tests stay fast."""
    kwargs.setdefault("retry_backoff", 0)
    return Client(kwargs.pop("token", TOKEN), api_url=sim.url, **kwargs)


def _expected(snapshots: t.Iterable[dict]) -> t.List[dict]:
    """What the client returns for the simulator's snapshots: the same objects, tags null made []."""
    return [dict(s, tags=s["tags"] if s["tags"] is not None else []) for s in snapshots]


def _pages_requested(sim: Simulator) -> t.List[int]:
    return sorted(int(r.query["page"]) for r in sim.requests)


# -- paging --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "count, per_page",
    [
        (7, 200),     # one page
        (40, 20),     # exactly two full pages: total a multiple of per_page
        (41, 20),     # three pages, the last with one snapshot
        (0, 20),      # an empty account: one request, nothing listed
        (7, 1),       # per_page 1: a request per snapshot
        (401, 200),   # per_page 200 (the API's maximum), three pages
        (60, 60),     # exactly one full page
        (250, 199),
    ],
)
def test_list_reads_every_page_in_order_with_exact_request_count(make_sim, count, per_page):
    sim = make_sim(snapshots=make_snapshots(count=count, seed=count))
    with _client(sim, concurrency=8) as client:
        listing = client.list("/v2/snapshots", per_page=per_page)
    pages = max(1, math.ceil(count / per_page))
    assert [s["id"] for s in listing.snapshots] == [s["id"] for s in sim.snapshots]
    assert listing.snapshots == _expected(sim.snapshots)
    assert listing.total == count
    assert listing.links == {}
    assert len(sim.requests) == pages
    assert client.requests_sent == pages
    assert _pages_requested(sim) == list(range(1, pages + 1))
    assert {r.query["per_page"] for r in sim.requests} == {str(per_page)}
    assert all(r.status == 200 and r.authorized and r.method == "GET" for r in sim.requests)


@pytest.mark.parametrize("per_page", [1, 2, 3, 50, 89, 90, 91, 199, 200])
def test_per_page_range(make_sim, per_page):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client:
        listing = client.list("/v2/snapshots", per_page=per_page)
    assert [s["id"] for s in listing.snapshots] == [s["id"] for s in SNAPSHOTS]
    assert client.requests_sent == len(sim.requests) == math.ceil(len(SNAPSHOTS) / per_page)


def test_order_is_the_apis_whatever_order_pages_arrive_in(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    # Page 2 answers last: later pages arrive before it (1 s: a margin for a loaded machine).
    sim.add_fault(Fault("slow", path="/v2/snapshots", page=2, delay=1.0))
    with _client(sim, concurrency=9) as client:
        listing = client.list("/v2/snapshots", per_page=10)
    assert [s["id"] for s in listing.snapshots] == [s["id"] for s in sim.snapshots]
    finished = [int(r.query["page"]) for r in sim.requests]  # in completion order
    assert sorted(finished) == list(range(1, 10))
    if finished.index(2) < finished.index(9):
        pytest.skip("the machine was too loaded for later pages to overtake page 2: nothing was shown")


def test_concurrency_one_is_sequential(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, latency=0.01)
    with _client(sim, concurrency=1) as client:
        listing = client.list("/v2/snapshots", per_page=10)
    assert len(listing.snapshots) == 90
    assert sim.max_in_flight == 1
    assert [int(r.query["page"]) for r in sim.requests] == list(range(1, 10))


@pytest.mark.parametrize("concurrency", [2, 4])
def test_concurrency_k_never_exceeds_k_in_flight(make_sim, concurrency):
    # The bound is the property; how close a loaded machine comes to it is timing, not asserted.
    sim = make_sim(snapshots=SNAPSHOTS, latency=0.05)
    with _client(sim, concurrency=concurrency) as client:
        listing = client.list("/v2/snapshots", per_page=10)
    assert [s["id"] for s in listing.snapshots] == [s["id"] for s in SNAPSHOTS]
    assert 1 <= sim.max_in_flight <= concurrency
    assert len(sim.requests) == 9


def test_page_n_returns_that_page_alone_and_its_links(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client:
        listing = client.list("/v2/snapshots", per_page=10, page=3)
    assert [s["id"] for s in listing.snapshots] == [s["id"] for s in SNAPSHOTS[20:30]]
    assert listing.total == 90
    base = sim.url + "/v2/snapshots?page=%d&per_page=10"
    assert listing.links == {"pages": {"first": base % 1, "prev": base % 2, "next": base % 4, "last": base % 9}}
    assert [(r.path, r.query) for r in sim.requests] == [("/v2/snapshots", {"page": "3", "per_page": "10"})]
    assert client.requests_sent == 1


def test_page_one_and_last_page_links(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    base = sim.url + "/v2/snapshots?page=%d&resource_type=volume&per_page=40"
    volumes = [s for s in SNAPSHOTS if s["resource_type"] == "volume"]
    last = math.ceil(len(volumes) / 40)
    with _client(sim) as client:
        first = client.list("/v2/snapshots", {"resource_type": "volume"}, per_page=40, page=1)
        final = client.list("/v2/snapshots", {"resource_type": "volume"}, per_page=40, page=last)
        beyond = client.list("/v2/snapshots", {"resource_type": "volume"}, per_page=40, page=last + 5)
    assert last == 2
    assert first.links == {"pages": {"next": base % 2, "last": base % 2}}
    assert final.links == {"pages": {"first": base % 1, "prev": base % 1}}
    assert [s["id"] for s in final.snapshots] == [s["id"] for s in volumes[40:]]
    assert beyond.snapshots == [] and beyond.total == len(volumes)


# -- the three operations ---------------------------------------------------------------------

@pytest.mark.parametrize("resource_type", ["droplet", "volume"])
def test_list_by_resource_type(make_sim, resource_type):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client:
        listing = client.list("/v2/snapshots", {"resource_type": resource_type}, per_page=7)
    wanted = [s for s in SNAPSHOTS if s["resource_type"] == resource_type]
    assert listing.snapshots == _expected(wanted)
    assert listing.total == len(wanted)
    assert {r.query["resource_type"] for r in sim.requests} == {resource_type}
    assert len(sim.requests) == math.ceil(len(wanted) / 7)


def test_volume_endpoint_lists_that_volumes_snapshots(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, volumes=[EMPTY_VOLUME])
    volume = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
    wanted = [s for s in SNAPSHOTS if s["resource_id"] == volume]
    with _client(sim) as client:
        listing = client.list("/v2/volumes/%s/snapshots" % volume, per_page=2)
        empty = client.list("/v2/volumes/%s/snapshots" % EMPTY_VOLUME, per_page=2)
    assert len(wanted) > 2
    assert listing.snapshots == _expected(wanted)
    assert listing.total == len(wanted)
    assert (empty.snapshots, empty.total) == ([], 0)


def test_volume_endpoint_404_for_an_unknown_volume_is_not_retried(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    path = "/v2/volumes/%s/snapshots" % UNKNOWN_VOLUME
    with _client(sim, retries=5) as client, pytest.raises(APIError) as caught:
        client.list(path, per_page=20)
    error = caught.value
    assert (error.status, error.api_id, error.attempts) == (404, "not_found", 1)
    assert error.api_message == "The resource you were accessing could not be found."
    assert error.path == path + "?page=1&per_page=20"
    assert len(sim.requests) == 1 and client.requests_sent == 1
    assert str(error) == (
        "DigitalOcean API error: GET %s?page=1&per_page=20 answered HTTP 404; not_found: The resource you were "
        "accessing could not be found.; request_id %s; after 1 attempt" % (path, error.request_id))


@pytest.mark.parametrize("kind", ["droplet", "volume"])
def test_get_snapshot_by_id(make_sim, kind):
    sim = make_sim(snapshots=SNAPSHOTS)
    wanted = next(s for s in SNAPSHOTS if s["resource_type"] == kind)
    with _client(sim) as client:
        got = client.get_snapshot(wanted["id"])
    assert got == _expected([wanted])[0]
    assert [(r.path, r.query) for r in sim.requests] == [("/v2/snapshots/" + wanted["id"], {})]


@pytest.mark.parametrize("snapshot_id", ["999", "../snapshots", "a b"])
def test_get_snapshot_unknown_id_is_a_404(make_sim, snapshot_id):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client, pytest.raises(APIError) as caught:
        client.get_snapshot(snapshot_id)
    assert (caught.value.status, caught.value.attempts) == (404, 1)
    # The id is one path segment, whatever it contains.
    assert [r.path.count("/") for r in sim.requests] == [3]


def test_tags_null_becomes_an_empty_list(make_sim):
    snaps = make_snapshots(count=3, seed=5)
    snaps[1] = dict(snaps[1], tags=None)
    sim = make_sim(snapshots=snaps)
    with _client(sim) as client:
        listing = client.list("/v2/snapshots")
        one = client.get_snapshot(snaps[1]["id"])
    assert listing.snapshots[1]["tags"] == [] and one["tags"] == []
    assert snaps[1]["tags"] is None  # the simulator's data is untouched


def test_wrong_token_is_a_401_not_retried(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim, token="wrong-token-xyz") as client, pytest.raises(APIError) as caught:
        client.list("/v2/snapshots")
    assert (caught.value.status, caught.value.api_id, caught.value.attempts) == (401, "unauthorized", 1)
    assert "wrong-token-xyz" not in str(caught.value)
    assert len(sim.requests) == 1 and not sim.requests[0].authorized


def test_building_a_client_sends_nothing(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client:
        assert client.requests_sent == 0
    assert sim.requests == []


# -- what every request carries ----------------------------------------------------------------

def _headers(head: bytes) -> t.Dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}


@pytest.fixture(name="one_request_headers")
def fixture_one_request_headers(raw_server: RawServer) -> t.Dict[str, str]:
    """The headers of the one request the client sends for a listing."""
    body = b'{"snapshots": [], "links": {}, "meta": {"total": 0}}'
    raw_server.payload = http_answer(200, body, {"Content-Type": "application/json"})
    with Client(TOKEN, api_url=raw_server.url, retry_backoff=0) as client:
        client.list("/v2/snapshots")
    assert raw_server.requests == 1
    assert raw_server.heads[0].split(b"\r\n")[0] == b"GET /v2/snapshots?page=1&per_page=200 HTTP/1.1"
    return _headers(raw_server.heads[0])


def test_authorization_is_bearer_token(one_request_headers):
    assert one_request_headers["authorization"] == "Bearer " + TOKEN
    assert one_request_headers["accept"] == "application/json"


def test_user_agent_names_the_collection_and_galaxy_version(one_request_headers):
    root = collection_root()
    if root is None:
        pytest.skip("galaxy.yml not found above %s" % __file__)
    import yaml
    version = yaml.safe_load((root / "galaxy.yml").read_text())["version"]
    agent = one_request_headers["user-agent"]
    assert agent.split(" ")[0] == "snapfleet.digitalocean/%s" % version
    assert agent == api.USER_AGENT
    assert api.COLLECTION_VERSION == version


# -- several ids, deleting, the Droplet endpoint -----------------------------------------------------

def test_get_snapshot_strips_the_id_before_sending(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    wanted = SNAPSHOTS[4]
    with _client(sim) as client:
        assert client.get_snapshot("  %s \n" % wanted["id"])["id"] == wanted["id"]
    assert [r.path for r in sim.requests] == ["/v2/snapshots/" + wanted["id"]]


def test_get_snapshots_keeps_the_order_of_ids_and_runs_concurrently(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, latency=0.05)
    ids = [s["id"] for s in reversed(SNAPSHOTS[:12])]
    with _client(sim, concurrency=4) as client:
        got = client.get_snapshots(ids)
    assert [s["id"] for s in got] == ids
    assert len(sim.requests) == 12 and 1 <= sim.max_in_flight <= 4


def test_get_snapshots_raises_the_first_error_in_the_order_of_ids(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim, concurrency=4) as client, pytest.raises(APIError) as caught:
        client.get_snapshots([SNAPSHOTS[0]["id"], "999", SNAPSHOTS[1]["id"], "888"])
    assert caught.value.status == 404 and caught.value.path == "/v2/snapshots/999"


def test_delete_snapshot_deleted_then_gone(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    victim = SNAPSHOTS[3]["id"]
    with _client(sim) as client:
        assert client.delete_snapshots([victim]) == [DeleteResult(victim, "deleted")]
        assert client.delete_snapshots([" %s " % victim]) == [DeleteResult(victim, "gone")]
    assert [(r.method, r.path, r.status) for r in sim.requests] == [
        ("DELETE", "/v2/snapshots/" + victim, 204), ("DELETE", "/v2/snapshots/" + victim, 404)]
    assert victim not in [s["id"] for s in sim.snapshots]


def test_delete_without_the_delete_scope_names_the_scope(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, read_only_tokens=["read-only-token-0001"])
    with _client(sim, token="read-only-token-0001") as client:
        (result,) = client.delete_snapshots([SNAPSHOTS[0]["id"]])
    assert result.outcome == "failed"
    error = result.error
    assert isinstance(error, APIError)
    assert (error.status, error.method, error.attempts) == (403, "DELETE", 1)
    assert str(error).startswith("DigitalOcean API error: DELETE /v2/snapshots/%s answered HTTP 403; " % SNAPSHOTS[0]["id"])
    assert "snapshot:delete scope" in str(error)
    assert "read-only-token-0001" not in str(error)


@pytest.mark.parametrize("status", [429, 500, 503, 520])
def test_delete_is_retried_on_429_and_5xx(make_sim, status):
    # DELETE is idempotent here: a retry that finds the snapshot gone says "gone", never a failure.
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path="/v2/snapshots/*", status=status, retry_after=0 if status == 429 else None,
                        times=1))
    with _client(sim, retries=2) as client:
        assert client.delete_snapshots([SNAPSHOTS[0]["id"]]) == [DeleteResult(SNAPSHOTS[0]["id"], "deleted")]
    assert [r.status for r in sim.requests] == [status, 204]


def test_delete_snapshots_reports_each_in_input_order(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, latency=0.02)
    ids = [SNAPSHOTS[5]["id"], "999", SNAPSHOTS[6]["id"], "not a snapshot id"]
    with _client(sim, concurrency=3) as client:
        results = client.delete_snapshots(ids)
    assert [(r.id, r.outcome) for r in results] == [
        (SNAPSHOTS[5]["id"], "deleted"), ("999", "gone"), (SNAPSHOTS[6]["id"], "deleted"),
        ("not a snapshot id", "failed")]
    failed = results[3].error
    assert isinstance(failed, APIError) and failed.status == 400 and failed.method == "DELETE"
    assert results[0].error is None
    assert 1 <= sim.max_in_flight <= 3


def test_droplet_endpoint_is_just_another_path(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    droplet = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
    wanted = [s["id"] for s in SNAPSHOTS if s["resource_type"] == "droplet" and s["resource_id"] == droplet]
    with _client(sim) as client:
        listing = client.list("/v2/droplets/%s/snapshots" % droplet, per_page=2)
    assert [s["id"] for s in listing.snapshots] == wanted
    # The endpoint's own model: type kept (the Droplet route leaves backups out), nothing invented.
    assert all(isinstance(s["id"], str) and s["type"] == "snapshot" and "resource_id" not in s for s in listing.snapshots)
