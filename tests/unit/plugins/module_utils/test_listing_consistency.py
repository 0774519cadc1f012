# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client.list against the simulator over real HTTP while snapshots are created and deleted.

The simulator lists oldest first (the API's likeliest order) and its hook changes
the account, deterministically, before given list pages are answered. A
``Witness`` hook records the list as each page saw it, which gives the oracle:
the snapshots that existed for the whole listing (first page to last) must
appear exactly once; nothing appears twice; nothing that never existed appears.
Every test counts the requests against the bound paging.py states (2 * N + 4).
"""

from __future__ import annotations

import json
import math
import random
import threading
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import paging
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, IncompleteListingError
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, http_answer

PER_PAGE = 10
COUNT = 95
PAGES = math.ceil(COUNT / PER_PAGE)


def _client(url: str, **kwargs: t.Any) -> Client:
    kwargs.setdefault("retry_backoff", 0)
    return Client(TOKEN, api_url=url, **kwargs)


def _ids(snapshots: t.Iterable[dict]) -> t.List[str]:
    return [s["id"] for s in snapshots]


class Witness:
    """A list-page hook: applies ``change(sim, served)`` before each page, then records the list that page sees."""

    def __init__(self, sim: t.Any, change: t.Callable[[t.Any, int], None]) -> None:
        self.change = change
        self.states: t.List[t.List[str]] = []
        self.ever: t.Set[str] = set(_ids(sim.snapshots))
        self.initial = list(_ids(sim.snapshots))
        self._lock = threading.Lock()
        sim.on_list_page(self)

    def __call__(self, sim: t.Any, _path: str, _page: int) -> None:
        with self._lock:
            self.change(sim, len(self.states))
            now = _ids(sim.snapshots)
            self.ever.update(now)
            self.states.append(now)

    @property
    def survivors(self) -> t.Set[str]:
        return set(self.initial) & set(self.states[-1])

    def bound(self, per_page: int = PER_PAGE) -> int:
        return 2 * max(paging.pages_for(len(s), per_page) for s in self.states) + paging.EXTRA_REQUESTS

    def check(self, listing: t.Any) -> None:
        ids = _ids(listing.snapshots)
        assert len(ids) == len(set(ids)), "a snapshot was listed twice"
        assert set(ids) <= self.ever, "a snapshot that never existed was listed"
        missing = self.survivors - set(ids)
        assert not missing, "snapshots that existed throughout are missing: %s" % sorted(missing)
        # meta.total is the API's count as of some answer of the listing, not the number returned.
        assert listing.total in {len(self.initial)} | {len(state) for state in self.states}


def _no_change(_sim: t.Any, _served: int) -> None:
    return None


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_quiet_listing_is_exact_in_n_requests(make_sim, concurrency):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=1))
    witness = Witness(sim, _no_change)
    with _client(sim.url, concurrency=concurrency) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    assert _ids(listing.snapshots) == witness.initial
    assert client.requests_sent == len(sim.requests) == PAGES


def _rotation_after_page_1(sim: t.Any, served: int) -> None:
    if served == 1:
        sim.rotate()


def test_rotation_after_page_1_standard_misses_the_slid_snapshot_as_documented(make_sim):
    """The issue's case: the oldest deleted after page 1, one created at the end; meta.total stays."""
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=2))
    witness = Witness(sim, _rotation_after_page_1)
    slid = witness.initial[PER_PAGE]
    with _client(sim.url, concurrency=1) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    # The blind spot of standard (paging.py's docstring, the docs): nothing told it to look again.
    assert witness.survivors - set(_ids(listing.snapshots)) == {slid}
    assert client.requests_sent == PAGES


def test_rotation_after_page_1_strict_returns_the_slid_snapshot(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=2))
    witness = Witness(sim, _rotation_after_page_1)
    with _client(sim.url, concurrency=1) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE, consistency="strict")
    witness.check(listing)
    assert _ids(listing.snapshots) == _ids(sim.snapshots)  # the account as it is after the rotation
    assert client.requests_sent == 3 * PAGES


@pytest.mark.parametrize("concurrency", [1, 4, 25])
def test_continuous_creations_at_the_end_do_not_fail(make_sim, concurrency):
    """Today's listing failed after 4 reads here; now it reads the new end too and stays within the bound."""
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=3))
    witness = Witness(sim, lambda s, _served: s.create(at="end"))
    with _client(sim.url, concurrency=concurrency) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    witness.check(listing)
    assert client.requests_sent == len(sim.requests) <= witness.bound()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_deleting_the_first_snapshot_after_each_page_does_not_fail(make_sim, concurrency):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=4))
    witness = Witness(sim, lambda s, served: s.delete(0) if served else None)
    with _client(sim.url, concurrency=concurrency) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    witness.check(listing)
    assert client.requests_sent == len(sim.requests) <= witness.bound()
    assert client.requests_sent > PAGES  # it did have to look again


@pytest.mark.parametrize("concurrency", [1, 5])
@pytest.mark.parametrize("where", ["head", "anywhere"])
def test_continuous_creations_elsewhere_do_not_fail(make_sim, concurrency, where):
    rng = random.Random(where)

    def create(sim: t.Any, _served: int) -> None:
        sim.create(at="head" if where == "head" else rng.randrange(len(sim.snapshots) + 1))

    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=5))
    witness = Witness(sim, create)
    with _client(sim.url, concurrency=concurrency) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    witness.check(listing)
    assert client.requests_sent <= witness.bound()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("every", [1, 2, 5])
def test_never_a_silently_partial_list(make_sim, seed, every):
    """Creations or deletions anywhere (one kind per case), every few pages: the listing succeeds and is whole.

    (It used to return early on IncompleteListingError in every case, so its assertion never ran:
    here a monotone stream must succeed, and the oracle is the snapshots that existed throughout.)
    """
    rng = random.Random(seed)
    kind = "create" if seed % 2 else "delete"

    def change(sim: t.Any, served: int) -> None:
        if served and served % every == 0:
            size = len(sim.snapshots)
            if kind == "create":
                sim.create(at=rng.randrange(size + 1))
            elif size:
                sim.delete(rng.randrange(size))

    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=seed))
    witness = Witness(sim, change)
    with _client(sim.url, concurrency=1 + seed % 4) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    witness.check(listing)
    assert len(witness.states) > PAGES - 1 and witness.states[0] != witness.states[-1]  # it really changed
    assert client.requests_sent <= witness.bound()


def test_volume_endpoint_listing_during_creations(make_sim):
    snapshots = make_snapshots(count=120, seed=8, volumes=1, droplet_share=0.2)
    volume = next(s["resource_id"] for s in snapshots if s["resource_type"] == "volume")
    sim = make_sim(snapshots=snapshots)
    witness = Witness(sim, lambda s, served: s.create(at="end", resource_type="volume", resource_id=volume)
                      if served % 2 else None)
    with _client(sim.url, concurrency=4) as client:
        listing = client.list("/v2/volumes/%s/snapshots" % volume, per_page=PER_PAGE)
    mine = {s["id"] for s in sim.snapshots if s["resource_id"] == volume}
    first = {sid for sid in witness.initial if sid in mine}
    assert first <= set(_ids(listing.snapshots)) <= witness.ever
    assert len(set(_ids(listing.snapshots))) == len(listing.snapshots)


def test_strict_fails_while_the_account_keeps_rotating(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=1))
    witness = Witness(sim, lambda s, served: s.rotate() if served % 4 == 1 else None)
    with _client(sim.url, concurrency=4) as client, pytest.raises(IncompleteListingError) as caught:
        client.list("/v2/snapshots", per_page=PER_PAGE, consistency="strict")
    error = caught.value
    assert error.path == "/v2/snapshots" and error.reads == paging.STRICT_READS
    assert "the account kept changing" in str(error)
    assert str(error).endswith("; no partial list is returned, try again later.")
    assert client.requests_sent <= paging.STRICT_READS * witness.bound()


def test_changes_faster_than_the_pages_can_be_read_fail_clearly(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=1))
    witness = Witness(sim, lambda s, _served: [s.create(at="head") for _i in range(PER_PAGE + 2)])
    with _client(sim.url, concurrency=1) as client, pytest.raises(IncompleteListingError) as caught:
        client.list("/v2/snapshots", per_page=PER_PAGE)
    assert "the account kept changing faster than it could be read" in str(caught.value)
    assert "snapshots created or deleted" in str(caught.value)
    assert client.requests_sent <= witness.bound()


def test_pages_not_yet_started_are_not_requested_after_a_failure(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=500, seed=2))
    sim.add_fault(Fault("status", path="/v2/snapshots", page=2, status=403, times=None))
    with _client(sim.url, concurrency=2) as client, pytest.raises(APIError) as caught:
        client.list("/v2/snapshots", per_page=PER_PAGE)
    assert caught.value.status == 403
    # Page 1, page 2 and at most what was in flight beside it: not the 48 other pages.
    assert len(sim.requests) <= 1 + 2 * 2


def test_a_self_contradicting_first_page_is_refused_before_more_requests(raw_server):
    body = json.dumps({"snapshots": [], "links": {}, "meta": {"total": 4000}}).encode()
    raw_server.payload = http_answer(200, body, {"Content-Type": "application/json"})
    with _client(raw_server.url, concurrency=4) as client, pytest.raises(APIError) as caught:
        client.list("/v2/snapshots", per_page=200)
    assert "the API answered 0 snapshots on page 1 for per_page=200 and meta.total 4000" in str(caught.value)
    assert raw_server.requests == 2  # page 1 twice (the same answer: not a change), nothing else


def test_a_page_1_ignoring_per_page_is_reported_as_such(raw_server):
    body = json.dumps({"snapshots": [{"id": str(i)} for i in range(20)], "links": {}, "meta": {"total": 450}})
    raw_server.payload = http_answer(200, body.encode(), {"Content-Type": "application/json"})
    with _client(raw_server.url, concurrency=4) as client, pytest.raises(APIError) as caught:
        client.list("/v2/snapshots", per_page=200)
    assert ("the API answered 20 snapshots on page 1 for per_page=200 and meta.total 450: it ignored per_page"
            in str(caught.value))
    assert raw_server.requests == 2


def test_a_bogus_huge_total_does_not_submit_millions_of_requests(raw_server):
    body = json.dumps({"snapshots": [{"id": str(i)} for i in range(200)], "links": {}, "meta": {"total": 10 ** 9}})
    raw_server.payload = http_answer(200, body.encode(), {"Content-Type": "application/json"})
    with _client(raw_server.url, concurrency=4) as client, pytest.raises(APIError) as caught:
        client.list("/v2/snapshots", per_page=200)
    assert "more than the 5000 pages one listing may read" in str(caught.value)
    assert raw_server.requests == 1
