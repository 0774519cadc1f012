# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""contract.py: decoding (no NaN/Infinity), the two snapshot models, field types, error bodies.

The published answers come from tests/unit/fixtures/api (copied with their
notices, see SOURCES.md there): DigitalOcean's OpenAPI examples and the test
fixtures of godo, doctl and pydo.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import (
    Listing,
    normalize_snapshot,
    parse_list_body,
    parse_snapshot_body,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.http.bodies import ContractError, NonFiniteNumberError, decode_json, error_fields

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- decoding ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_are_refused_naming_their_place(constant):
    body = b'{"snapshots": [{"id": "1", "size_gigabytes": 1}, {"id": "2", "size_gigabytes": %s}], "meta": {"total": 2}}' \
        % constant.encode()
    with pytest.raises(NonFiniteNumberError) as caught:
        decode_json(body)
    assert str(caught.value) == ("the answer holds %s at snapshots[1].size_gigabytes, which is not a JSON number; "
                                 "it breaks the API's contract" % constant)
    assert isinstance(caught.value, ContractError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("number", ["1e999", "-1e400", "1.5e309"])
def test_numbers_too_large_for_a_float_are_refused(number):
    with pytest.raises(NonFiniteNumberError, match="holds %s at meta.total" % number.replace("+", r"\+")):
        decode_json('{"meta": {"total": %s}}' % number)


def test_finite_numbers_and_strings_that_say_nan_decode():
    assert decode_json(b'{"a": [1.5, 1e308, -0.0, 2], "b": "NaN", "c": "Infinity"}') == {
        "a": [1.5, 1e308, -0.0, 2], "b": "NaN", "c": "Infinity"}
    assert decode_json("NaN".join(['"', '"'])) == "NaN"


def test_not_json_is_json_s_own_value_error():
    with pytest.raises(ValueError) as caught:
        decode_json(b"<html>")
    assert not isinstance(caught.value, ContractError)


def test_one_nan_size_no_longer_reaches_sorting():
    """Today's bug: one NaN size_gigabytes leaves a sort_by listing unsorted. The answer is refused instead."""
    body = json.loads(fixture("pydo/snapshots_list.json"))
    body["snapshots"][0]["size_gigabytes"] = "__nan__"
    text = json.dumps(body).replace('"__nan__"', "NaN")
    with pytest.raises(NonFiniteNumberError, match="NaN at snapshots\\[0\\].size_gigabytes"):
        parse_list_body(decode_json(text))
    # A NaN that reached the parser some other way (a Python float) is refused by the field check.
    body["snapshots"][0]["size_gigabytes"] = float("nan")
    with pytest.raises(ContractError, match="snapshot 6372321 has 'size_gigabytes' nan, not a number"):
        parse_list_body(body)


# -- the published answers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["openapi/snapshots_all.json", "doctl/snapshot_list.json", "pydo/snapshots_list.json",
                                  "openapi/volume_snapshots_list.json", "godo/storage_snapshots_list.json"])
def test_published_list_answers_parse(name):
    raw = json.loads(fixture(name))
    snapshots, total, links = parse_list_body(decode_json(fixture(name)))
    assert [s["id"] for s in snapshots] == [str(s["id"]) for s in raw["snapshots"]]
    assert total == raw["meta"]["total"]
    assert links == (raw.get("links") or {})
    assert len(snapshots) == len(raw["snapshots"])
    for got, published in map(lambda i: (snapshots[i], raw["snapshots"][i]), range(len(snapshots))):
        assert got["tags"] == (published.get("tags") or [])
        assert {k: v for k, v in got.items() if k != "tags"} == {k: v for k, v in published.items() if k != "tags"}


def test_null_tags_become_an_empty_list():
    snapshots, _total, _links = parse_list_body(decode_json(fixture("openapi/volume_snapshots_list.json")))
    assert snapshots[0]["tags"] == [] and snapshots[0]["size_gigabytes"] == 0


def test_godo_list_without_meta_is_refused_clearly():
    with pytest.raises(ContractError, match="no valid 'meta.total'"):
        parse_list_body(decode_json(fixture("godo/snapshots_list.json")))


@pytest.mark.parametrize("name, snapshot_id", [("pydo/snapshots_get.json", "6372321"),
                                               ("doctl/snapshot_get_droplet.json", "53344211"),
                                               ("openapi/volume_snapshot.json", "8fa70202-873f-11e6-8b68-000f533176b1"),
                                               ("godo/storage_snapshot_get.json", "80d414c6-295e-4e3a-ac58-eb9456c1e1d1"),
                                               ("godo/snapshot_get_12345.json", "12345")])
def test_published_get_answers_parse(name, snapshot_id):
    snapshot = parse_snapshot_body(decode_json(fixture(name)))
    assert snapshot["id"] == snapshot_id and isinstance(snapshot["tags"], list)


def test_the_droplet_scoped_model():
    """GET /v2/droplets/{id}/snapshots: integer id, type (kept: the route leaves backups out); no resource_id,
    resource_type or tags, none invented."""
    snapshots, total, links = parse_list_body(decode_json(fixture("openapi/droplet_snapshots_list.json")),
                                              droplet_scoped=True)
    assert snapshots == [{"id": "6372321", "name": "web-01-1595954862243", "created_at": "2020-07-28T16:47:44Z",
                          "regions": ["nyc3", "sfo3"], "min_disk_size": 25, "size_gigabytes": 2.34,
                          "type": "snapshot"}]
    assert (total, links) == (1, {})


def test_the_droplet_scoped_model_checks_its_type():
    body = json.loads(fixture("openapi/droplet_snapshots_list.json"))
    body["snapshots"][0]["type"] = "image"
    with pytest.raises(ContractError, match="snapshot 6372321 has 'type' \"image\", not snapshot or backup"):
        parse_list_body(body, droplet_scoped=True)


def test_account_model_still_normalises_an_integer_id():
    """The same body on /v2/snapshots (a probe of integer ids): the id becomes a string, tags [] as always."""
    snapshots, _total, _links = parse_list_body(decode_json(fixture("openapi/droplet_snapshots_list.json")))
    assert snapshots[0]["id"] == "6372321" and snapshots[0]["tags"] == [] and snapshots[0]["type"] == "snapshot"


# -- field types ------------------------------------------------------------------------------------------------------

def _one() -> dict:
    return dict(json.loads(fixture("pydo/snapshots_get.json"))["snapshot"])


@pytest.mark.parametrize("field, value, said", [
    ("size_gigabytes", "2.34", "'size_gigabytes' \"2.34\", not a number"),
    ("size_gigabytes", True, "'size_gigabytes' true, not a number"),
    ("size_gigabytes", None, "'size_gigabytes' null, not a number"),
    ("min_disk_size", 25.5, "'min_disk_size' 25.5, not an integer"),
    ("min_disk_size", "25", "'min_disk_size' \"25\", not an integer"),
    ("created_at", 1595954862, "'created_at' 1595954862, not a string (an ISO 8601 date-time)"),
    ("regions", "nyc3", "'regions' \"nyc3\", not a list of strings"),
    ("regions", ["nyc3", 3], "'regions' [\"nyc3\", 3], not a list of strings"),
    ("tags", "web", "'tags' \"web\", not a list of strings or null"),
    ("tags", [None], "'tags' [null], not a list of strings or null"),
    ("resource_type", "image", "'resource_type' \"image\", not droplet or volume"),
    ("name", 12, "'name' 12, not a string"),
])
def test_field_types_are_checked_naming_snapshot_and_field(field, value, said):
    item = _one()
    item[field] = value
    with pytest.raises(ContractError) as caught:
        normalize_snapshot(item)
    assert str(caught.value) == "snapshot 6372321 has %s as the API's contract says" % said


@pytest.mark.parametrize("value", [None, True, 1.5, [], {}])
def test_an_id_that_is_not_a_string_or_integer_is_refused(value):
    with pytest.raises(ContractError, match="a snapshot has no valid 'id'"):
        normalize_snapshot({"id": value})


def test_an_integer_too_large_for_a_float_is_still_a_number():
    """JSON integers are exact in Python: a size of 10**400 is a number, not an OverflowError from the check."""
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import checked_snapshot

    for check in (normalize_snapshot, checked_snapshot):
        assert check({"id": "1", "size_gigabytes": 10 ** 400})["size_gigabytes"] == 10 ** 400


def test_missing_optional_fields_are_fine():
    """Published answers leave fields out (godo's {"id": "12345"}): types are checked when present."""
    assert normalize_snapshot({"id": 7}) == {"id": "7", "tags": []}


# -- error bodies ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, wanted", [
    ("openapi/error_not_a_snapshot.json", ("bad_request", "the resource is not a snapshot",
                                           "bbd8d7d4-2beb-4be1-a374-338e6165e32d")),
    ("openapi/error_not_found.json", ("not_found", "The resource you requested could not be found.", None)),
    ("godo/error_request_id_in_body.json", (None, "m", "dead-beef-body")),
    ("godo/error_request_id_in_header.json", (None, "m", None)),
    ("doctl/account_ratelimit_exhausted_429.json", ("too_many_requests", "Too many requests", None)),
])
def test_error_fields_of_published_error_bodies(name, wanted):
    assert error_fields(decode_json(fixture(name))) == wanted


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_error_fields_of_something_else_are_none(body):
    assert error_fields(body) == (None, None, None)


def test_error_fields_empty_request_id_is_none_and_odd_types_are_shown():
    assert error_fields({"id": 404, "message": "", "request_id": ""}) == ("404", None, None)


def test_listing_round_trips_through_a_dict():
    listing = Listing([{"id": "1"}], 1, {"pages": {}})
    again = Listing.from_dict(json.loads(json.dumps(listing.to_dict())))
    assert (again.snapshots, again.total, again.links) == ([{"id": "1"}], 1, {"pages": {}})


def test_fixtures_are_the_published_bytes_with_their_notices():
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    names = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.json"))
    assert names
    for name in names:
        assert "`%s`" % name in sources, "%s is not listed in SOURCES.md" % name
    assert "Copyright (c) 2014-2016 The godo AUTHORS" in sources and "Apache License" in sources
    for name in names:
        assert isinstance(decode_json((FIXTURES / name).read_bytes()), (dict, list))
