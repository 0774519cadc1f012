# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests for the API simulator: its answers against the OpenAPI contract, and its behaviour.

Everything talks to a real simulator on 127.0.0.1 through plain HTTP clients.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from ansible_collections.snapfleet.digitalocean.tests.simulator import (
    Fault,
    Mutation,
    RateLimit,
    RateLimits,
    Simulator,
    make_snapshots,
)

TOKEN = "sim-token"
EMPTY_VOLUME = "0f6a3c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
UNKNOWN_VOLUME = "11111111-2222-4333-8444-555555555555"
READ_ONLY = "read-only-token"
EMPTY_DROPLET = 424242
IMAGE_ID = 7000001  # exists, but is not a snapshot (a backup or custom image)
SNAPSHOTS = make_snapshots(count=45, seed=3, volumes=4, droplets=5)
SPEC_NAME = "snapshots.openapi.yaml"
MODULE = "ansible_collections.snapfleet.digitalocean.tests.simulator"


def _spec_path() -> Path:
    # The contract the project carries (tests/contract/api), found from this file.
    override = os.environ.get("SNAPFLEET_API_SPEC")
    if override:
        return Path(override)
    repo = Path(__file__).resolve().parents[3]
    return repo / "tests" / "contract" / "api" / SPEC_NAME


@pytest.fixture(name="sim")
def fixture_sim():
    """A running simulator with 45 snapshots, a volume and a Droplet without snapshots, a read-only token."""
    with Simulator(snapshots=SNAPSHOTS, token=TOKEN, volumes=[EMPTY_VOLUME], droplets=[EMPTY_DROPLET],
                   read_only_tokens=[READ_ONLY], images=[IMAGE_ID]) as simulator:
        yield simulator


@pytest.fixture(name="client")
def fixture_client():
    """A keep-alive session carrying the simulator's token."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session


def _all_pages(client: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    """Follow links.pages.next from the first page; return every item in order."""
    items: list[dict[str, Any]] = []
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200
        body = response.json()
        items.extend(body["snapshots"])
        next_url = body["links"].get("pages", {}).get("next")
        if not next_url:
            return items
        response = client.get(next_url)


# -- data ---------------------------------------------------------------------------------

def test_make_snapshots_is_deterministic_and_realistic():
    snaps = make_snapshots(count=400, seed=1, volumes=7, droplets=9)
    assert snaps == make_snapshots(count=400, seed=1, volumes=7, droplets=9)
    assert snaps != make_snapshots(count=400, seed=2, volumes=7, droplets=9)
    fields = {"id", "name", "created_at", "regions", "resource_id", "resource_type",
              "min_disk_size", "size_gigabytes", "tags"}
    uuid_re = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    regions = {"nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1", "blr1", "syd1"}
    for snap in snaps:
        assert set(snap) == fields
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", snap["created_at"])
        assert 1 <= len(snap["regions"]) <= 3 and set(snap["regions"]) <= regions
        assert len(set(snap["regions"])) == len(snap["regions"])
        assert isinstance(snap["min_disk_size"], int)
        assert isinstance(snap["size_gigabytes"], float) and round(snap["size_gigabytes"], 2) == snap["size_gigabytes"]
        assert snap["tags"] is None or all(isinstance(t, str) for t in snap["tags"])
        if snap["resource_type"] == "droplet":
            assert snap["id"].isdigit() and snap["resource_id"].isdigit()
            assert re.match(r"^[a-z-]+-\d\d-\d{13}$", snap["name"])
        else:
            assert snap["resource_type"] == "volume"
            assert uuid_re.match(snap["id"]) and uuid_re.match(snap["resource_id"])
            assert re.match(r"^[a-z-]+(-\d\d)?-(daily|weekly|monthly|manual)-\d{4}-\d\d-\d\d$", snap["name"])
    assert len({s["id"] for s in snaps}) == len(snaps)
    times = [s["created_at"] for s in snaps]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] > "2024-01-01T00:00:00Z"
    assert len({s["resource_id"] for s in snaps if s["resource_type"] == "volume"}) <= 7
    assert len({s["resource_id"] for s in snaps if s["resource_type"] == "droplet"}) <= 9
    assert any(s["tags"] is None for s in snaps) and any(s["tags"] for s in snaps)
    assert 100 < sum(s["resource_type"] == "droplet" for s in snaps) < 300


def test_make_snapshots_shares_regions_and_scale():
    assert {s["resource_type"] for s in make_snapshots(50, droplet_share=0.0)} == {"volume"}
    assert {s["resource_type"] for s in make_snapshots(50, droplet_share=1.0)} == {"droplet"}
    assert {s["resource_type"] for s in make_snapshots(50, volumes=0)} == {"droplet"}
    only = make_snapshots(50, regions=["fra1"], start="2025-06-01T12:00:00Z")
    assert all(s["regions"] == ["fra1"] for s in only)
    assert only[0]["created_at"].startswith("2025-06-01T")
    started = time.monotonic()
    big = make_snapshots(count=100_000, seed=5)
    assert len(big) == 100_000
    assert time.monotonic() - started < 30  # generous: about a second on a laptop


# -- the OpenAPI contract -----------------------------------------------------------------

@pytest.fixture(name="openapi", scope="module")
def fixture_openapi():
    """The contract the project carries, loaded (and itself validated) by openapi-core."""
    spec = _spec_path()
    assert spec.is_file(), f"API contract not found at {spec}"
    import openapi_core
    return openapi_core.OpenAPI.from_file_path(str(spec))


def _validate(openapi: Any, response: Any) -> None:
    """Validate a real answer against the contract, as if it came from api.digitalocean.com."""
    from openapi_core.contrib.requests import (  # pylint: disable=import-outside-toplevel
        RequestsOpenAPIRequest,
        RequestsOpenAPIResponse,
    )

    class AsDigitalOcean(RequestsOpenAPIRequest):
        """The spec's only server is the production one; our host differs."""

        @property
        def host_url(self) -> str:
            return "https://api.digitalocean.com"

    openapi.validate_response(AsDigitalOcean(response.request), RequestsOpenAPIResponse(response))


DROPLET_SNAP = next(s for s in SNAPSHOTS if s["resource_type"] == "droplet")
VOLUME_SNAP = next(s for s in SNAPSHOTS if s["resource_type"] == "volume")
VOLUME_PATH = f"/v2/volumes/{VOLUME_SNAP['resource_id']}/snapshots"

CONTRACT_CASES = [
    # (id, path, params, authorized, expected status)
    ("list-first-of-many", "/v2/snapshots", {"per_page": 10}, True, 200),
    ("list-middle", "/v2/snapshots", {"per_page": 10, "page": 3}, True, 200),
    ("list-last", "/v2/snapshots", {"per_page": 10, "page": 5}, True, 200),
    ("list-past-end", "/v2/snapshots", {"per_page": 10, "page": 9}, True, 200),
    ("list-single-page", "/v2/snapshots", {"per_page": 200}, True, 200),
    ("list-default-params", "/v2/snapshots", {}, True, 200),
    ("list-droplets", "/v2/snapshots", {"resource_type": "droplet", "per_page": 5, "page": 2}, True, 200),
    ("list-volumes", "/v2/snapshots", {"resource_type": "volume"}, True, 200),
    ("list-401", "/v2/snapshots", {}, False, 401),
    ("list-422", "/v2/snapshots", {"per_page": 500}, True, 422),
    ("get-droplet", f"/v2/snapshots/{DROPLET_SNAP['id']}", {}, True, 200),
    ("get-volume", f"/v2/snapshots/{VOLUME_SNAP['id']}", {}, True, 200),
    ("get-404", "/v2/snapshots/999", {}, True, 404),
    ("get-401", f"/v2/snapshots/{DROPLET_SNAP['id']}", {}, False, 401),
    ("volume-list", VOLUME_PATH, {"per_page": 2}, True, 200),
    ("volume-last", VOLUME_PATH, {"per_page": 2, "page": 2}, True, 200),
    ("volume-empty", f"/v2/volumes/{EMPTY_VOLUME}/snapshots", {}, True, 200),
    ("volume-404", f"/v2/volumes/{UNKNOWN_VOLUME}/snapshots", {}, True, 404),
    ("volume-401", VOLUME_PATH, {}, False, 401),
]


@pytest.mark.parametrize(("path", "params", "authorized", "status"),
                         [c[1:] for c in CONTRACT_CASES], ids=[c[0] for c in CONTRACT_CASES])
def test_answers_match_the_contract(openapi, sim, path, params, authorized, status):
    headers = {"Authorization": f"Bearer {TOKEN}"} if authorized else {}
    response = requests.get(sim.url + path, params=params, headers=headers, timeout=10)
    assert response.status_code == status
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert response.headers[name].isdigit()
    _validate(openapi, response)


DROPLET_PATH = f"/v2/droplets/{DROPLET_SNAP['resource_id']}/snapshots"
DROPLET_COUNT = sum(1 for s in SNAPSHOTS if s["resource_id"] == DROPLET_SNAP["resource_id"])

OPERATION_CASES = [
    # (id, method, path, params, token (None: no Authorization), expected status)
    ("delete-droplet-snapshot", "DELETE", f"/v2/snapshots/{DROPLET_SNAP['id']}", {}, TOKEN, 204),
    ("delete-volume-snapshot", "DELETE", f"/v2/snapshots/{VOLUME_SNAP['id']}", {}, TOKEN, 204),
    ("delete-404", "DELETE", "/v2/snapshots/999", {}, TOKEN, 404),
    ("delete-400-not-a-snapshot-id", "DELETE", "/v2/snapshots/web-01", {}, TOKEN, 400),
    ("delete-400-image", "DELETE", f"/v2/snapshots/{IMAGE_ID}", {}, TOKEN, 400),
    ("delete-403-read-only", "DELETE", f"/v2/snapshots/{DROPLET_SNAP['id']}", {}, READ_ONLY, 403),
    ("delete-401", "DELETE", f"/v2/snapshots/{DROPLET_SNAP['id']}", {}, None, 401),
    ("get-read-only-token", "GET", f"/v2/snapshots/{DROPLET_SNAP['id']}", {}, READ_ONLY, 200),
    ("droplet-list", "GET", DROPLET_PATH, {"per_page": 1}, TOKEN, 200),
    ("droplet-middle", "GET", DROPLET_PATH, {"per_page": 1, "page": 2}, TOKEN, 200),
    ("droplet-last", "GET", DROPLET_PATH, {"per_page": 1, "page": DROPLET_COUNT}, TOKEN, 200),
    ("droplet-single-page", "GET", DROPLET_PATH, {"per_page": 200}, TOKEN, 200),
    ("droplet-empty", "GET", f"/v2/droplets/{EMPTY_DROPLET}/snapshots", {}, TOKEN, 200),
    ("droplet-404", "GET", "/v2/droplets/1/snapshots", {}, TOKEN, 404),
    ("droplet-401", "GET", DROPLET_PATH, {}, None, 401),
]


@pytest.mark.parametrize(("method", "path", "params", "token", "status"),
                         [c[1:] for c in OPERATION_CASES], ids=[c[0] for c in OPERATION_CASES])
def test_every_operation_matches_the_contract(openapi, sim, method, path, params, token, status):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, sim.url + path, params=params, headers=headers, timeout=10)
    assert response.status_code == status
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert response.headers[name].isdigit()
    if status == 204:
        assert response.content == b"" and "Content-Type" not in response.headers
    _validate(openapi, response)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v2/snapshots"), ("GET", f"/v2/snapshots/{DROPLET_SNAP['id']}"), ("GET", VOLUME_PATH),
    ("GET", DROPLET_PATH), ("DELETE", f"/v2/snapshots/{DROPLET_SNAP['id']}"),
])
def test_burst_and_hourly_429_match_the_contract(openapi, sim, client, method, path):
    # The burst limit (no header reports it) and the hourly budget both answer the API's 429.
    sim.rate_limits = RateLimits(hourly=5000, burst=1, time_scale=1.0)
    client.get(sim.url + "/v2/snapshots")
    limited = client.request(method, sim.url + path)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["id"] == "too_many_requests"
    _validate(openapi, limited)
    sim.rate_limits = RateLimits(hourly=1, burst=None)
    client.get(sim.url + "/v2/snapshots")
    exhausted = client.request(method, sim.url + path)
    assert exhausted.status_code == 429 and exhausted.headers["ratelimit-remaining"] == "0"
    _validate(openapi, exhausted)


@pytest.mark.parametrize("path", ["/v2/snapshots", f"/v2/snapshots/{DROPLET_SNAP['id']}", VOLUME_PATH, DROPLET_PATH])
def test_rate_limited_and_server_error_answers_match_the_contract(openapi, sim, client, path):
    sim.rate_limit = RateLimit(limit=1, window=60.0)
    _validate(openapi, client.get(sim.url + path))
    limited = client.get(sim.url + path)
    assert limited.status_code == 429
    _validate(openapi, limited)
    sim.rate_limit = None
    sim.add_fault(Fault("status", status=500))
    failed = client.get(sim.url + path)
    assert failed.status_code == 500
    _validate(openapi, failed)


def test_contract_check_has_teeth(openapi, sim, client):
    from openapi_core.exceptions import OpenAPIError  # pylint: disable=import-outside-toplevel

    response = client.get(sim.url + "/v2/snapshots")
    body = response.json()
    del body["meta"]
    body["snapshots"][0]["min_disk_size"] = "25"
    response._content = json.dumps(body).encode()  # pylint: disable=protected-access
    with pytest.raises(OpenAPIError):
        _validate(openapi, response)
    headers_checked = client.get(sim.url + "/v2/snapshots")
    headers_checked.headers["ratelimit-remaining"] = "plenty"
    with pytest.raises(OpenAPIError):
        _validate(openapi, headers_checked)
    droplet = client.get(sim.url + DROPLET_PATH)
    body = droplet.json()
    body["snapshots"][0]["id"] = str(body["snapshots"][0]["id"])  # the account model's id, not the Droplet's
    droplet._content = json.dumps(body).encode()  # pylint: disable=protected-access
    with pytest.raises(OpenAPIError):
        _validate(openapi, droplet)


# -- pagination and routing ----------------------------------------------------------------

def test_page_links_are_exact(sim, client):
    base = f"{sim.url}/v2/snapshots"
    first = client.get(base, params={"per_page": 10}).json()
    assert first["links"] == {"pages": {"next": f"{base}?page=2&per_page=10",
                                        "last": f"{base}?page=5&per_page=10"}}
    assert first["meta"] == {"total": 45}
    middle = client.get(f"{base}?per_page=10&page=3").json()
    assert middle["links"] == {"pages": {
        "first": f"{base}?page=1&per_page=10", "prev": f"{base}?page=2&per_page=10",
        "next": f"{base}?page=4&per_page=10", "last": f"{base}?page=5&per_page=10"}}
    last = client.get(base, params={"page": 5, "per_page": 10}).json()
    assert last["links"] == {"pages": {"first": f"{base}?page=1&per_page=10",
                                       "prev": f"{base}?page=4&per_page=10"}}
    assert len(last["snapshots"]) == 5
    assert client.get(base, params={"per_page": 45}).json()["links"] == {}
    # Parameters other than page are kept, in the caller's order.
    filtered = client.get(f"{base}?resource_type=volume&per_page=3&page=2").json()
    assert filtered["links"]["pages"]["next"] == f"{base}?page=3&resource_type=volume&per_page=3"
    default = client.get(base).json()
    assert len(default["snapshots"]) == 20
    assert default["links"]["pages"]["next"] == f"{base}?page=2"


def test_page_past_the_end_is_empty_with_the_total(sim, client):
    body = client.get(f"{sim.url}/v2/snapshots", params={"page": 7, "per_page": 10}).json()
    assert body["snapshots"] == [] and body["meta"] == {"total": 45}
    assert set(body["links"]["pages"]) == {"first", "prev"}


@pytest.mark.parametrize("resource_type", [None, "droplet", "volume"])
def test_all_pages_concatenate_to_the_list(sim, client, resource_type):
    params = {"per_page": 7, **({"resource_type": resource_type} if resource_type else {})}
    expected = [s for s in sim.snapshots if resource_type in (None, s["resource_type"])]
    assert expected and _all_pages(client, f"{sim.url}/v2/snapshots", **params) == expected
    total = client.get(f"{sim.url}/v2/snapshots", params=params).json()["meta"]["total"]
    assert total == len(expected)


def test_volume_snapshots_and_get_by_id(sim, client):
    volume_id = VOLUME_SNAP["resource_id"]
    expected = [s for s in SNAPSHOTS if s["resource_type"] == "volume" and s["resource_id"] == volume_id]
    assert _all_pages(client, f"{sim.url}/v2/volumes/{volume_id}/snapshots", per_page=1) == expected
    empty = client.get(f"{sim.url}/v2/volumes/{EMPTY_VOLUME}/snapshots").json()
    assert empty == {"snapshots": [], "links": {}, "meta": {"total": 0}}
    missing = client.get(f"{sim.url}/v2/volumes/{UNKNOWN_VOLUME}/snapshots")
    assert missing.status_code == 404
    assert missing.json()["id"] == "not_found"
    assert missing.json()["message"] == "The resource you were accessing could not be found."
    for snap in (DROPLET_SNAP, VOLUME_SNAP):
        assert client.get(f"{sim.url}/v2/snapshots/{snap['id']}").json() == {"snapshot": snap}
    assert client.get(f"{sim.url}/v2/snapshots/nope").status_code == 404


@pytest.mark.parametrize("query", [
    "per_page=0", "per_page=201", "per_page=ten", "page=0", "page=-1", "page=2.5", "page=",
    "resource_type=image",
])
def test_invalid_parameters_answer_422(sim, client, query):
    response = client.get(f"{sim.url}/v2/snapshots?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["id"] == "unprocessable_entity" and body["message"] and body["request_id"]


def test_invalid_volume_id_answers_422(sim, client):
    assert client.get(f"{sim.url}/v2/volumes/not-a-uuid/snapshots").status_code == 422


def test_unknown_paths_methods_and_auth(sim, client):
    unknown = client.get(f"{sim.url}/v2/account")  # /v2/droplets is served now (sources.py)
    assert unknown.status_code == 404 and unknown.json()["id"] == "not_found"
    posted = client.post(f"{sim.url}/v2/snapshots", json={"name": "x"})
    assert posted.status_code == 405 and posted.json()["id"] == "method_not_allowed"
    assert posted.headers["Allow"] == "GET"
    # The body was consumed: the keep-alive connection still works.
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        denied = requests.get(f"{sim.url}/v2/snapshots", headers=headers, timeout=10)
        assert denied.status_code == 401
        body = denied.json()
        assert body["id"] == "unauthorized" and body["message"] == "Unable to authenticate you"
        assert re.match(r"^[0-9a-f-]{36}$", body["request_id"])
    assert [r.authorized for r in sim.requests[-4:]] == [True, False, False, False]


def test_every_answer_carries_headers(sim, client):
    sim.add_fault(Fault("status", path="/v2/snapshots/1", status=503))
    for path in ("/v2/snapshots", "/v2/snapshots/1", "/v2/nothing", "/v2/snapshots?per_page=0"):
        response = client.get(sim.url + path)
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert int(response.headers["Content-Length"]) == len(response.content)
        assert int(response.headers["ratelimit-limit"]) == 5000
        assert int(response.headers["ratelimit-remaining"]) <= 5000
        assert int(response.headers["ratelimit-reset"]) >= int(time.time())


# -- rate limit ----------------------------------------------------------------------------

def test_rate_limit_counts_and_answers_429(sim, client):
    sim.rate_limit = RateLimit(limit=3, window=60.0)
    answers = [client.get(f"{sim.url}/v2/snapshots") for _index in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    resets = {int(a.headers["ratelimit-reset"]) for a in answers}
    assert len(resets) == 1 and resets.pop() - time.time() <= 61
    limited = answers[-1]
    assert limited.json()["id"] == "too_many_requests"
    assert limited.json()["message"] == "API Rate limit exceeded."
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_rate_limit_window_resets(sim, client):
    sim.rate_limit = RateLimit(limit=1, window=0.3)
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 429
    time.sleep(0.4)
    again = client.get(f"{sim.url}/v2/snapshots")
    assert again.status_code == 200 and again.headers["ratelimit-remaining"] == "0"


def test_rate_limit_none_never_limits(sim, client):
    sim.rate_limit = None
    for _index in range(5):
        response = client.get(f"{sim.url}/v2/snapshots")
        assert response.status_code == 200 and response.headers["ratelimit-remaining"].isdigit()


# -- faults --------------------------------------------------------------------------------

def test_status_fault_fires_times_after_skipping(sim, client):
    fault = sim.add_fault(Fault("status", path="/v2/snapshots", status=503, times=2, after=1))
    codes = [client.get(f"{sim.url}/v2/snapshots").status_code for _index in range(4)]
    assert codes == [200, 503, 503, 200]
    assert (fault.seen, fault.fired) == (4, 2)
    assert client.get(f"{sim.url}/v2/snapshots/{DROPLET_SNAP['id']}").status_code == 200  # exact path


def test_status_fault_bodies_and_retry_after(sim, client):
    sim.add_fault(Fault("status", status=429, retry_after=7))
    sim.add_fault(Fault("status", status=403))
    limited = client.get(f"{sim.url}/v2/snapshots")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["id"] == "too_many_requests"
    forbidden = client.get(f"{sim.url}/v2/snapshots")
    assert forbidden.status_code == 403 and forbidden.json()["id"] == "forbidden"
    sim.add_fault(Fault("status", times=None))
    for _index in range(3):
        assert client.get(f"{sim.url}/v2/snapshots").json()["id"] == "server_error"
    sim.clear_faults()
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200


def test_fault_matches_prefix_and_page(sim, client):
    sim.add_fault(Fault("status", path="/v2/volumes/*", status=504, times=None))
    sim.add_fault(Fault("status", path="/v2/snapshots", page=2, status=502, times=None))
    assert client.get(f"{sim.url}{VOLUME_PATH}").status_code == 504
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200
    assert client.get(f"{sim.url}/v2/snapshots?page=2").status_code == 502
    assert client.get(f"{sim.url}/v2/snapshots?page=3").status_code == 200


def test_html_fault(sim, client):
    sim.add_fault(Fault("html"))
    response = client.get(f"{sim.url}/v2/snapshots")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in response.text
    assert "ratelimit-remaining" in response.headers


def test_truncated_fault(sim, client):
    sim.add_fault(Fault("truncated"))
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    conn.request("GET", "/v2/snapshots", headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()
    sim.add_fault(Fault("truncated"))
    with pytest.raises(requests.exceptions.RequestException):
        client.get(f"{sim.url}/v2/snapshots")
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200


def test_cut_json_and_not_json_faults(sim, client):
    sim.add_fault(Fault("cut_json"))
    sim.add_fault(Fault("not_json"))
    cut = client.get(f"{sim.url}/v2/snapshots")
    assert cut.status_code == 200 and len(cut.content) == int(cut.headers["Content-Length"])
    assert cut.text.startswith('{"snapshots":[')
    with pytest.raises(ValueError):
        json.loads(cut.text)
    not_json = client.get(f"{sim.url}/v2/snapshots")
    assert not_json.status_code == 200
    assert not_json.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(not_json.text)


def test_drop_fault(sim, client):
    sim.add_fault(Fault("drop", times=2))
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    conn.request("GET", "/v2/snapshots", headers={"Authorization": f"Bearer {TOKEN}"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    conn.close()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get(f"{sim.url}/v2/snapshots")
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200
    assert [r.status for r in sim.requests] == [0, 0, 200]


def test_slow_fault_trips_client_timeouts_without_blocking_others(sim, client):
    sim.add_fault(Fault("slow", delay=5.0))
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(f"{sim.url}/v2/snapshots", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=0.3)
    # The slow handler is still sleeping; another connection is served meanwhile.
    assert client.get(f"{sim.url}/v2/snapshots", timeout=5).status_code == 200
    assert sim.in_flight == 1


# -- mutation ------------------------------------------------------------------------------

def test_mutation_appends_at_the_end_by_default(sim, client):
    sim.mutation = Mutation(every=1, create=1, delete=0)
    before = sim.snapshots
    first = client.get(f"{sim.url}/v2/snapshots", params={"per_page": 10}).json()
    second = client.get(f"{sim.url}/v2/snapshots", params={"per_page": 10, "page": 2}).json()
    assert first["snapshots"] + second["snapshots"] == before[:20]
    after = sim.snapshots
    assert after[:45] == before and len(after) == 47
    assert after[-1]["created_at"] > after[-2]["created_at"] > before[-1]["created_at"]


def test_mutation_at_the_head_shifts_pages(sim, client):
    sim.mutation = Mutation(every=1, create=1, delete=0, at="head")
    before = sim.snapshots
    first = client.get(f"{sim.url}/v2/snapshots", params={"per_page": 10}).json()
    assert first["snapshots"] == before[:10]
    second = client.get(f"{sim.url}/v2/snapshots", params={"per_page": 10, "page": 2}).json()
    # One snapshot was created in front: page 2 starts with page 1's last item again.
    assert second["snapshots"][0] == before[9]
    assert second["meta"]["total"] == 46
    new = sim.snapshots[:2]
    assert new[0]["created_at"] > new[1]["created_at"] > max(s["created_at"] for s in before)
    assert len({s["id"] for s in sim.snapshots}) == len(sim.snapshots) == 47
    assert sim.mutation_rounds == 2
    for snap in new:
        assert client.get(f"{sim.url}/v2/snapshots/{snap['id']}").json() == {"snapshot": snap}


def test_mutation_deletes_and_stops(sim, client):
    sim.mutation = Mutation(every=2, create=0, delete=3, stop_after=2, seed=4)
    totals = [client.get(f"{sim.url}/v2/snapshots").json()["meta"]["total"] for _index in range(7)]
    assert totals == [45, 45, 42, 42, 39, 39, 39]
    assert sim.mutation_rounds == 2
    remaining = {s["id"] for s in sim.snapshots}
    assert len(remaining) == 39 and remaining <= {s["id"] for s in SNAPSHOTS}
    sim.mutation = None
    sim.snapshots = SNAPSHOTS
    assert client.get(f"{sim.url}/v2/snapshots").json()["meta"]["total"] == 45


# -- concurrency, latency, log, life cycle -------------------------------------------------

def test_concurrent_keep_alive_clients_and_max_in_flight(sim):
    sim.latency = 0.05

    def worker(_index: int) -> list[int]:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            return [session.get(f"{sim.url}/v2/snapshots", params={"page": p}).status_code
                    for p in (1, 2, 3)]

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(worker, range(64)))
    assert all(codes == [200, 200, 200] for codes in results)
    assert len(sim.requests) == 64 * 3
    assert sim.max_in_flight >= 2  # generous: usually close to 64
    assert sim.in_flight == 0
    sim.reset_log()
    assert sim.requests == [] and sim.max_in_flight == 0


def test_request_log_records(sim, client):
    client.get(f"{sim.url}/v2/snapshots?page=2&per_page=5&resource_type=volume")
    record = sim.requests[-1]
    assert (record.method, record.path, record.status, record.authorized) == (
        "GET", "/v2/snapshots", 200, True)
    assert record.query == {"page": "2", "per_page": "5", "resource_type": "volume"}
    assert record.started <= record.finished


def test_stop_does_not_hang_on_sleeping_handlers_and_closes_connections(client):
    sim = Simulator(snapshots=SNAPSHOTS, token=TOKEN).start()
    assert client.get(f"{sim.url}/v2/snapshots").status_code == 200
    sim.latency = 30.0
    errors: list[BaseException] = []

    def slow_call() -> None:
        try:
            requests.get(f"{sim.url}/v2/snapshots", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        except requests.exceptions.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    deadline = time.monotonic() + 10
    while sim.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sim.stop()
    caller.join(timeout=10)
    assert time.monotonic() - started < 10  # generous: well under a second
    assert errors and not caller.is_alive()
    # The idle keep-alive connection of `client` was closed as well.
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get(f"{sim.url}/v2/snapshots", timeout=5)


def test_default_snapshots_and_url_before_start():
    sim = Simulator()
    with pytest.raises(RuntimeError):
        assert sim.url
    assert len(sim.snapshots) == 500


# -- command line --------------------------------------------------------------------------

def _child_env() -> dict[str, str]:
    # The child must import the package the way this process did.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", MODULE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_child_env(),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("SIMULATOR_URL=http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line.split("=", 1)[1]


def test_cli_serves_until_sigterm(tmp_path):
    ready = tmp_path / "ready"
    proc, url = _start_cli("--count", "30", "--seed", "7", "--token", "cli-token", "--latency-ms", "0",
                           "--port", "0", "--ready-file", str(ready),
                           "--volume-with-no-snapshots", EMPTY_VOLUME)
    try:
        assert ready.read_text(encoding="utf-8").strip() == url
        assert urlsplit(url).port
        auth = {"Authorization": "Bearer cli-token"}
        body = requests.get(f"{url}/v2/snapshots", headers=auth, timeout=10).json()
        assert body["meta"]["total"] == 30
        assert body["snapshots"] == make_snapshots(count=30, seed=7)[:20]
        empty = requests.get(f"{url}/v2/volumes/{EMPTY_VOLUME}/snapshots", headers=auth, timeout=10)
        assert empty.status_code == 200 and empty.json()["meta"]["total"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_serves_a_fixture(tmp_path):
    fixture = tmp_path / "snapshots.json"
    fixture.write_text(json.dumps({"snapshots": SNAPSHOTS[:3]}), encoding="utf-8")
    proc, url = _start_cli("--fixture", str(fixture))
    try:
        body = requests.get(f"{url}/v2/snapshots", headers={"Authorization": "Bearer sim-token"}, timeout=10).json()
        assert body["snapshots"] == SNAPSHOTS[:3]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_rate_limits_droplets_and_read_only_tokens():
    proc, url = _start_cli("--count", "10", "--documented-limits", "--burst-limit", "3", "--time-scale", "60",
                           "--droplet-with-no-snapshots", "42", "--read-only-token", "ro")
    try:
        auth = {"Authorization": "Bearer sim-token"}
        answers = [requests.get(f"{url}/v2/droplets/42/snapshots", headers=auth, timeout=10) for _index in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].json() == {"snapshots": [], "links": {}, "meta": {"total": 0}}
        assert answers[0].headers["ratelimit-limit"] == "5000" and answers[-1].headers["Retry-After"] == "1"
        # A scaled minute later the burst window is empty again.
        time.sleep(1.05)
        denied = requests.delete(f"{url}/v2/snapshots/1", headers={"Authorization": "Bearer ro"}, timeout=10)
        assert denied.status_code == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_refuses_legacy_and_documented_limits_together():
    done = subprocess.run([sys.executable, "-m", MODULE, "--rate-limit", "5", "--documented-limits"],
                          capture_output=True, text=True, env=_child_env(), timeout=60, check=False)
    assert done.returncode != 0 and "--rate-limit" in done.stderr
