# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""query.py: build_query() (the rules across options), and routes.fetch(), the one path every plugin takes."""

from __future__ import annotations

import typing as t

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import client as api
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options as o
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import query as q
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import routes
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import refused as _refused
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import validated_params as _params

VOLUME = "7724db7c-e098-11e5-b522-000f53304e51"
SNAPSHOTS = make_snapshots(count=60, seed=31, volumes=3, droplets=3)


# -- plan: refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "given, option, message",
    [
        ({"volume_id": "not-a-uuid"}, "volume_id",
         "volume_id: 'not-a-uuid' is not a volume UUID (like 7724db7c-e098-11e5-b522-000f53304e51)"),
        ({"volume_id": VOLUME[:-1]}, "volume_id", None),
        ({"per_page": 0}, "per_page", "per_page: must be between 1 and 200, got 0"),
        ({"per_page": 201}, "per_page", "per_page: must be between 1 and 200, got 201"),
        ({"per_page": -5}, "per_page", "per_page: must be between 1 and 200, got -5"),
        ({"page": 0}, "page", "page: must be 1 or more, got 0"),
        ({"page": -1}, "page", "page: must be 1 or more, got -1"),
        ({"volume_id": VOLUME, "resource_type": "droplet"}, "volume_id",
         "volume_id lists a volume's snapshots and cannot be combined with resource_type: droplet"),
        ({"snapshot_id": " "}, "snapshot_id", "snapshot_id: must not be empty"),
        ({"resource_id": VOLUME, "resource_type": "droplet"}, "resource_id",
         "resource_id '%s' is a volume UUID, but resource_type is droplet" % VOLUME),
        ({"resource_id": "123", "resource_type": "volume"}, "resource_id",
         "resource_id '123' is a Droplet id, but resource_type is volume"),
        ({"volume_id": VOLUME, "resource_id": "0" + VOLUME[1:]}, "resource_id", None),
        ({"name_regex": "("}, "name_regex", None),
        ({"created_after": "yesterday"}, "created_after",
         "created_after: 'yesterday' is not an RFC 3339 date or date-time (2024-05-01, 2024-05-01T12:00:00Z, "
         "2024-05-01T12:00:00.5+02:00) or an age (an age is one or more numbers each followed by a unit: y (years), "
         "mo (months), w (weeks), d (days), h (hours), min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min "
         "or 1y2mo3d)"),
        ({"created_before": "6m"}, "created_before",
         "created_before: '6m' uses the unit m, which is ambiguous: write mo for months or min for minutes (an age is "
         "one or more numbers each followed by a unit: y (years), mo (months), w (weeks), d (days), h (hours), "
         "min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min or 1y2mo3d)"),
        ({"resource_id": VOLUME, "page": 2}, "page", None),
        ({"snapshot_id": "1", "resource_id": VOLUME}, None, None),
        ({"created_before": "2024-13-01"}, "created_before", None),
        ({"created_before": "30x"}, "created_before", None),
        ({"limit": 0}, "limit", "limit: must be 1 or more, got 0"),
    ],
)
def test_build_query_refuses_bad_input_naming_the_option(given, option, message):
    if option is None:
        q.build_query(_params(**given))  # accepted: by id, resource_id filters
        return
    error = _refused(q.build_query, **given)
    assert error.option == option
    assert option in str(error)
    if message is not None:
        assert str(error) == message


def test_name_regex_error_says_why():
    error = _refused(q.build_query, name_regex="db-(")
    assert str(error).startswith("name_regex: 'db-(' is not a valid Python regular expression: missing ), ")


@pytest.mark.parametrize(
    "given, message",
    [
        ({"resource_type": "foo"}, "value of resource_type must be one of: droplet, volume, got: foo"),
        ({"sort_by": "size"}, "value of sort_by must be one of: created_at, name, size_gigabytes, min_disk_size, got: size"),
        ({"sort_order": "up"}, "value of sort_order must be one of: asc, desc, got: up"),
        ({"consistency": "best"}, "value of consistency must be one of: standard, strict, got: best"),
        ({"fields": ["id", "nope"]}, "value of fields must be one or more of: id, name, created_at, regions, "
         "resource_id, resource_type, min_disk_size, size_gigabytes, tags. Got no match for: nope"),
        ({"volume_id": VOLUME, "snapshot_id": "1"}, "parameters are mutually exclusive: volume_id|snapshot_id"),
        ({"snapshot_id": "1", "page": 2}, "parameters are mutually exclusive: snapshot_id|page"),
    ],
)
def test_the_spec_owns_what_it_can_express(given, message):
    """Choices and mutually exclusive options are the spec's (the module's and the lookup's alike), not build_query()'s."""
    result = ArgumentSpecValidator(o.argument_spec(), **o.spec_rules()).validate(dict(given, token=TOKEN))
    assert result.errors.msg == message


# -- plan: the endpoint ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "given, path, params, fallback, resource_id",
    [
        ({}, "/v2/snapshots", {}, None, None),
        ({"resource_type": "droplet"}, "/v2/snapshots", {"resource_type": "droplet"}, None, None),
        ({"resource_type": "volume"}, "/v2/snapshots", {"resource_type": "volume"}, None, None),
        # A Droplet id: only Droplet snapshots are read.
        ({"resource_id": "200776916"}, "/v2/snapshots", {"resource_type": "droplet"}, None, "200776916"),
        # A volume UUID: that volume's endpoint, falling back to the account's volume snapshots.
        ({"resource_id": VOLUME.upper()}, "/v2/volumes/%s/snapshots" % VOLUME, {}, "/v2/snapshots", VOLUME),
        ({"resource_id": VOLUME, "resource_type": "volume"}, "/v2/volumes/%s/snapshots" % VOLUME, {},
         "/v2/snapshots", VOLUME),
        # Neither: filtered after the listing only.
        ({"resource_id": "web-01"}, "/v2/snapshots", {}, None, "web-01"),
        ({"volume_id": VOLUME.upper()}, "/v2/volumes/%s/snapshots" % VOLUME, {}, None, None),
        ({"volume_id": VOLUME, "resource_type": "volume"}, "/v2/volumes/%s/snapshots" % VOLUME, {}, None, None),
        ({"volume_id": VOLUME, "resource_id": VOLUME.upper()}, "/v2/volumes/%s/snapshots" % VOLUME, {}, None, VOLUME),
    ],
)
def test_build_query_chooses_the_endpoint(given, path, params, fallback, resource_id):
    query = q.build_query(_params(**given))
    assert (query.path, query.params, query.fallback_path, query.filters.resource_id) == (
        path, params, fallback, resource_id)


def test_build_query_keeps_page_and_per_page():
    query = q.build_query(_params(page=3, per_page=50, resource_id="web"))
    assert (query.page, query.per_page, query.snapshot_ids, query.path) == (3, 50, [], "/v2/snapshots")
    assert query.key() == {"path": "/v2/snapshots", "params": {}, "per_page": 50, "page": 3,
                           "snapshot_ids": [], "fallback_path": None, "consistency": "standard", "orphaned": None}


def test_build_query_strips_snapshot_ids_and_keeps_their_order():
    query = q.build_query(_params(snapshot_id=" 6372321 ", resource_id="12"))
    assert (query.snapshot_ids, query.page, query.path) == (["6372321"], None, "/v2/snapshots")
    assert q.build_query(_params(), snapshot_ids=[" 3", 1, "2 "]).snapshot_ids == ["3", "1", "2"]
    with pytest.raises(OptionError) as caught:
        q.build_query(_params(), snapshot_ids=["1", "  "])
    assert (caught.value.option, str(caught.value)) == ("_terms", "a snapshot id given as a term must not be empty")


def test_resource_type_filters_snapshots_fetched_by_id():
    droplet = next(s for s in SNAPSHOTS if s["resource_type"] == "droplet")
    volume = next(s for s in SNAPSHOTS if s["resource_type"] == "volume")
    query = q.build_query(_params(resource_type="volume"), snapshot_ids=[droplet["id"], volume["id"]])
    assert query.params == {}  # nothing to send: ids choose the requests
    listing = api.Listing([droplet, volume], 2, {})
    assert [s["id"] for s in query.finish(listing)] == [volume["id"]]
    # Without ids the API is asked for that type only, and the filter is not needed.
    assert q.build_query(_params(resource_type="volume")).filters.resource_type is None


def test_consistency_is_part_of_the_query():
    assert q.build_query(_params(consistency="strict")).key()["consistency"] == "strict"
    assert q.build_query(_params()).consistency == "standard"


def test_build_query_builds_the_filters():
    query = q.build_query(_params(region="fra1", name=["db-*", "web-*"], tags=["env:prod"], name_regex="^db",
                                  sort_by="name", sort_order="desc", limit=3, fields=["id", "name"],
                                  created_after="2024-01-01", created_before="2024-02-01T00:00:00Z"))
    f = query.filters
    assert (f.regions, f.names, f.tags) == (frozenset({"fra1"}), ("db-*", "web-*"), ("env:prod",))
    assert f.name_regex.pattern == "^db"
    assert (f.sort_by, f.sort_order, f.limit, f.fields) == ("name", "desc", 3, ("id", "name"))
    assert (f.created_after.isoformat(), f.created_before.isoformat()) == (
        "2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00")


# -- fetch: the one path every listing takes ----------------------------------------------------------------

def _client(sim: t.Any) -> api.Client:
    return api.Client(TOKEN, api_url=sim.url, retry_backoff=0)


def test_fetch_by_snapshot_id(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    wanted = SNAPSHOTS[5]
    with _client(sim) as client:
        listing = routes.fetch(client, q.build_query(_params(snapshot_id=wanted["id"])))
    assert [s["id"] for s in listing.snapshots] == [wanted["id"]] and listing.total == 1
    assert [r.path for r in sim.requests] == ["/v2/snapshots/" + wanted["id"]]


def test_fetch_for_a_droplet_reads_only_droplet_snapshots(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    droplet = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
    query = q.build_query(_params(resource_id=droplet))
    with _client(sim) as client:
        result = query.finish(routes.fetch(client, query))
    assert [s["id"] for s in result] == [s["id"] for s in SNAPSHOTS if s["resource_id"] == droplet]
    # The Droplet's own listing first; completing its snapshots' tags would cost more GETs than the
    # rest of this one-page account listing (page 1, the probe, is all of it): the Droplet route's rule.
    assert [(r.path, r.query.get("resource_type")) for r in sim.requests] == [
        ("/v2/droplets/%s/snapshots" % droplet, None), ("/v2/snapshots", "droplet")]


def test_fetch_falls_back_when_the_volume_is_gone(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    volume = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
    # The volume was deleted; its snapshots live on in the account's list.
    sim.add_fault(Fault("status", path="/v2/volumes/*", status=404, times=None))
    query = q.build_query(_params(resource_id=volume.upper()))
    with _client(sim) as client:
        listing = routes.fetch(client, query)
        result = query.finish(listing)
    assert [s["id"] for s in result] == [s["id"] for s in SNAPSHOTS if s["resource_id"] == volume]
    # meta.total counts that volume's snapshots, as its own endpoint would, not the account's volume snapshots.
    assert listing.total == len(result) < sum(s["resource_type"] == "volume" for s in SNAPSHOTS)
    assert [(r.path, r.query.get("resource_type")) for r in sim.requests] == [
        ("/v2/volumes/%s/snapshots" % volume, None), ("/v2/snapshots", "volume")]


def test_fetch_does_not_fall_back_for_volume_id(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client, pytest.raises(APIError) as caught:
        routes.fetch(client, q.build_query(_params(volume_id=VOLUME)))
    assert caught.value.status == 404
    assert len(sim.requests) == 1


def test_defaults_plan_the_account_listing():
    query = q.build_query(_params())
    assert (query.path, query.params, query.per_page, query.page, query.snapshot_ids, query.fallback_path) == (
        "/v2/snapshots", {}, 200, None, [], None)
