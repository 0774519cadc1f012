# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A listing read while snapshots are created and deleted: whole and exact, or an error; never partial."""

from __future__ import annotations

import json
import math
import time
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, IncompleteListingError
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Mutation, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, http_answer

PER_PAGE = 10
COUNT = 95
PAGES = math.ceil(COUNT / PER_PAGE)


def _client(url: str, **kwargs: t.Any) -> Client:
    kwargs.setdefault("retry_backoff", 0)
    return Client(TOKEN, api_url=url, **kwargs)


def _ids(snapshots: t.Iterable[dict]) -> t.List[str]:
    return [s["id"] for s in snapshots]


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize(
    "create, delete, stop_after, seed",
    [
        (1, 0, 1, 0),   # one snapshot created: meta.total changes
        (0, 1, 1, 0),   # one deleted
        (1, 0, 3, 1),
        (0, 2, 2, 3),
        (2, 1, 3, 4),   # both, the total changes too
        (1, 2, 2, 5),
        (3, 3, 2, 1),   # as many created as deleted: the total stays, the pages shift
        (1, 1, 2, 0),
    ],
)
def test_listing_read_during_mutations_equals_the_final_list(make_sim, concurrency, create, delete, stop_after, seed):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=seed))
    sim.mutation = Mutation(every=1, create=create, delete=delete, stop_after=stop_after, seed=seed)
    with _client(sim.url, concurrency=concurrency) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    assert sim.mutation_rounds == stop_after  # the list really changed while it was read
    ids = _ids(listing.snapshots)
    assert len(set(ids)) == len(ids)
    assert ids == _ids(sim.snapshots)
    assert listing.total == len(sim.snapshots) == COUNT + stop_after * (create - delete)
    # Read again from the start at least once: more than one listing's worth of requests.
    assert client.requests_sent == len(sim.requests) > PAGES


def test_change_inside_page_1_after_it_was_read_gives_the_list_as_page_1_saw_it(make_sim):
    """A create at the front and a delete inside page 1, both after page 1 was read, shift no later page.

    Page-number paging cannot see such a change without reading page 1 again (one more request on every
    listing). What the client promises instead: the listing is consistent with the moment page 1 was read,
    with nothing missing and nothing doubled of the list as it was then.
    """
    before = make_snapshots(count=COUNT, seed=2)
    sim = make_sim(snapshots=before)
    # Seed 2 deletes the 8th snapshot: inside page 1, after it was served.
    sim.mutation = Mutation(every=1, create=1, delete=1, stop_after=1, seed=2)
    with _client(sim.url, concurrency=1) as client:
        listing = client.list("/v2/snapshots", per_page=PER_PAGE)
    assert sim.mutation_rounds == 1
    assert _ids(listing.snapshots) == _ids(before)
    assert _ids(listing.snapshots) != _ids(sim.snapshots)
    assert client.requests_sent == PAGES


def test_volume_endpoint_listing_during_mutations(make_sim):
    snapshots = make_snapshots(count=120, seed=8, volumes=1, droplet_share=0.2)
    volume = next(s["resource_id"] for s in snapshots if s["resource_type"] == "volume")
    sim = make_sim(snapshots=snapshots)
    sim.mutation = Mutation(every=2, create=2, delete=0, stop_after=2, seed=8)
    with _client(sim.url, concurrency=4) as client:
        listing = client.list("/v2/volumes/%s/snapshots" % volume, per_page=PER_PAGE)
    wanted = [s for s in sim.snapshots if s["resource_id"] == volume]
    assert _ids(listing.snapshots) == _ids(wanted)
    assert listing.total == len(wanted)


def test_continuous_mutation_is_an_incomplete_listing_error(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=1))
    sim.mutation = Mutation(every=1, create=1, delete=1, seed=1)
    started = time.monotonic()
    with _client(sim.url, concurrency=4) as client, pytest.raises(IncompleteListingError) as caught:
        client.list("/v2/snapshots", per_page=PER_PAGE)
    assert time.monotonic() - started < 20
    error = caught.value
    assert (error.path, error.reads) == ("/v2/snapshots", 4)
    message = str(error)
    assert message.startswith("The snapshot listing of /v2/snapshots changed while it was being read and could "
                              "not be read consistently in 4 reads (")
    assert message.endswith("); no partial list is returned, try again later.")
    assert error.to_result() == {"error": {"path": "/v2/snapshots", "reads": 4}}
    # Each of the 4 reads read every page, and no more.
    assert client.requests_sent == len(sim.requests) == 4 * PAGES


@pytest.mark.parametrize("reads", [1, 2])
def test_listing_reads_bounds_the_rereads(make_sim, reads):
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=1))
    sim.mutation = Mutation(every=1, create=1, delete=0, seed=1)
    with _client(sim.url, listing_reads=reads) as client, pytest.raises(IncompleteListingError) as caught:
        client.list("/v2/snapshots", per_page=PER_PAGE)
    assert caught.value.reads == reads
    assert "meta.total changed from" in str(caught.value)
    # Every request adds a snapshot, so each read has more pages than the one before.
    sent = 0
    for _read in range(reads):
        sent += math.ceil((COUNT + sent) / PER_PAGE)
    assert len(sim.requests) == client.requests_sent == sent


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("every", [2, 5])
def test_never_a_silently_partial_list(make_sim, seed, every):
    """Whatever the mutation, the outcome is an error or a list without duplicates whose length is its total."""
    sim = make_sim(snapshots=make_snapshots(count=COUNT, seed=seed))
    sim.mutation = Mutation(every=every, create=seed % 3, delete=(seed + 1) % 3, seed=seed)
    with _client(sim.url, concurrency=1 + seed % 4) as client:
        try:
            listing = client.list("/v2/snapshots", per_page=PER_PAGE)
        except IncompleteListingError:
            return
    ids = _ids(listing.snapshots)
    assert len(set(ids)) == len(ids) == listing.total


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
    with _client(raw_server.url, concurrency=4) as client, pytest.raises((IncompleteListingError, APIError)):
        client.list("/v2/snapshots", per_page=200)
    assert raw_server.requests <= 4
