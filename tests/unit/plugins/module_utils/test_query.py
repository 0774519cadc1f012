# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""query.py: the shared argument specs, check_connection(), plan() and fetch()."""

from __future__ import annotations

import typing as t

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.snapfleet.digitalocean.plugins.module_utils import client as api
from ansible_collections.snapfleet.digitalocean.plugins.module_utils import query as q
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, OptionError
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN

VOLUME = "7724db7c-e098-11e5-b522-000f53304e51"
SNAPSHOTS = make_snapshots(count=60, seed=31, volumes=3, droplets=3)


def _params(**given: t.Any) -> dict:
    """Options as AnsibleModule would hand them over: validated, with every default filled in."""
    given.setdefault("token", TOKEN)
    result = ArgumentSpecValidator(q.argument_spec(), mutually_exclusive=q.MUTUALLY_EXCLUSIVE).validate(given)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def _refused(function: t.Callable[[dict], t.Any], **given: t.Any) -> OptionError:
    with pytest.raises(OptionError) as caught:
        function(_params(**given))
    return caught.value


# -- check_connection -------------------------------------------------------------------------------

def test_defaults_are_accepted():
    q.check_connection(_params())
    query = q.plan(_params())
    assert (query.path, query.params, query.per_page, query.page, query.snapshot_id, query.fallback_path) == (
        "/v2/snapshots", {}, 200, None, None, None)


def test_no_token_names_the_option_and_all_six_variables():
    params = _params()
    params["token"] = None
    with pytest.raises(OptionError) as caught:
        q.check_connection(params)
    assert caught.value.option == "token"
    assert str(caught.value) == (
        "No DigitalOcean API token: set the token option (aliases api_token, oauth_token) or one of the environment "
        "variables DIGITALOCEAN_ACCESS_TOKEN, DIGITALOCEAN_TOKEN, DO_API_TOKEN, DO_API_KEY, DO_OAUTH_TOKEN, OAUTH_TOKEN.")
    params["token"] = ""
    with pytest.raises(OptionError):
        q.check_connection(params)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://api.example.com", "api_url: 'ftp://api.example.com' is not an http:// or https:// URL"),
        ("api.digitalocean.com", "api_url: 'api.digitalocean.com' is not an http:// or https:// URL"),
        ("https://", "api_url: 'https://' is not an http:// or https:// URL"),
        ("http://api.example.com", "api_url: refusing to send the API token over plain http to api.example.com; use "
         "https:// (plain http is allowed only to a loopback address, such as a local simulator)"),
        ("http://10.0.0.1:8080", None),
        ("http://localhost.example.com", None),
        ("http://127.0.0.1@example.com", None),
        ("https://api.example.com/?x=1", "api_url: 'https://api.example.com/?x=1' must not carry a query string or "
         "fragment"),
        ("https://api.example.com/#top", None),
    ],
)
def test_bad_api_url_is_refused(url, message):
    error = _refused(q.check_connection, api_url=url)
    assert error.option == "api_url"
    if message is not None:
        assert str(error) == message


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:abc"])
def test_malformed_api_url_is_an_option_error(url):
    error = _refused(q.check_connection, api_url=url)
    assert error.option == "api_url" and url in str(error)


@pytest.mark.parametrize(
    "url",
    ["https://api.digitalocean.com", "https://api.digitalocean.com/", "http://127.0.0.1:8080", "http://127.0.0.2",
     "http://[::1]:8080", "http://localhost", "http://LOCALHOST:1234", "HTTPS://api.digitalocean.com"],
)
def test_good_api_url_is_accepted(url):
    q.check_connection(_params(api_url=url))


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("timeout", 0, "timeout: must be more than 0 seconds, got 0.0"),
        ("timeout", -1, "timeout: must be more than 0 seconds, got -1.0"),
        ("concurrency", 0, "concurrency: must be 1 or more, got 0"),
        ("retries", -1, "retries: must be 0 or more, got -1"),
        ("retry_max_wait", -0.5, "retry_max_wait: must be 0 or more, got -0.5"),
    ],
)
def test_bad_connection_numbers_are_refused(option, value, message):
    error = _refused(q.check_connection, **{option: value})
    assert (error.option, str(error)) == (option, message)


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
         "created_after: 'yesterday' is neither an ISO 8601 date or date-time (2024-05-01, 2024-05-01T12:00:00Z) "
         "nor an age such as 30d, 12h, 45m, 2w"),
        ({"created_before": "2024-13-01"}, "created_before", None),
        ({"created_before": "30y"}, "created_before", None),
        ({"limit": 0}, "limit", "limit: must be 1 or more, got 0"),
        ({"fields": ["id", "nope"]}, "fields",
         "fields: 'nope' is not a snapshot key; choose from id, name, created_at, regions, resource_id, "
         "resource_type, min_disk_size, size_gigabytes, tags"),
        ({"fields": ["a", "b"]}, "fields", None),
    ],
)
def test_plan_refuses_bad_input_naming_the_option(given, option, message):
    error = _refused(q.plan, **given)
    assert error.option == option
    assert option in str(error)
    if message is not None:
        assert str(error) == message


def test_name_regex_error_says_why():
    error = _refused(q.plan, name_regex="db-(")
    assert str(error).startswith("name_regex: 'db-(' is not a valid Python regular expression: missing ), ")


@pytest.mark.parametrize(
    "given, option",
    [
        ({"resource_type": "foo"}, "resource_type"),
        ({"sort_by": "size"}, "sort_by"),
        ({"sort_order": "up"}, "sort_order"),
        ({"volume_id": VOLUME, "snapshot_id": "1"}, "volume_id"),
    ],
)
def test_plan_refuses_what_the_spec_refuses_too(given, option):
    """The spec's choices and mutually_exclusive catch these first; plan() must not rely on it (the lookup's spec)."""
    params = _params()
    params.update(given)
    with pytest.raises(OptionError) as caught:
        q.plan(params)
    assert caught.value.option == option


def test_spec_refuses_volume_id_with_snapshot_id():
    result = ArgumentSpecValidator(q.argument_spec(), mutually_exclusive=q.MUTUALLY_EXCLUSIVE).validate(
        {"token": TOKEN, "volume_id": VOLUME, "snapshot_id": "1"})
    assert result.errors.msg == "parameters are mutually exclusive: volume_id|snapshot_id"


def test_group_by_is_checked():
    q.check_group_by(None)
    q.check_group_by("tag")
    with pytest.raises(OptionError) as caught:
        q.check_group_by("colour")
    assert (caught.value.option, str(caught.value)) == (
        "group_by", "group_by: must be one of region, resource_type, resource_id, tag, got 'colour'")


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
def test_plan_chooses_the_endpoint(given, path, params, fallback, resource_id):
    query = q.plan(_params(**given))
    assert (query.path, query.params, query.fallback_path, query.filters.resource_id) == (
        path, params, fallback, resource_id)


def test_plan_keeps_page_per_page_and_snapshot_id():
    query = q.plan(_params(page=3, per_page=50, snapshot_id="6372321", resource_id="12"))
    assert (query.page, query.per_page, query.snapshot_id, query.path) == (3, 50, "6372321", "/v2/snapshots")
    assert query.key() == {"path": "/v2/snapshots", "params": {}, "per_page": 50, "page": 3,
                           "snapshot_id": "6372321", "fallback_path": None}


def test_plan_builds_the_filters():
    query = q.plan(_params(region="fra1", name=["db-*", "web-*"], tags=["env:prod"], name_regex="^db",
                           sort_by="name", sort_order="desc", limit=3, fields=["id", "name"],
                           created_after="2024-01-01", created_before="2024-02-01T00:00:00Z"))
    f = query.filters
    assert (f.regions, f.names, f.tags) == (frozenset({"fra1"}), ("db-*", "web-*"), ("env:prod",))
    assert f.name_regex.pattern == "^db"
    assert (f.sort_by, f.sort_order, f.limit, f.fields) == ("name", "desc", 3, ("id", "name"))
    assert (f.created_after.isoformat(), f.created_before.isoformat()) == (
        "2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00")


# -- the module's spec: env fallbacks ----------------------------------------------------------------------

ALL_ENV = q.TOKEN_ENV + tuple(q.CONNECTION_ENV.values())


@pytest.fixture(name="clean_env")
def fixture_clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No token or URL variable set."""
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _module_params(given: t.Optional[dict] = None) -> dict:
    result = ArgumentSpecValidator(q.module_argument_spec(), mutually_exclusive=q.MUTUALLY_EXCLUSIVE).validate(
        dict(given or {}))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_token_env_order_is_the_documented_one(clean_env):
    assert q.TOKEN_ENV == ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN", "DO_API_KEY",
                           "DO_OAUTH_TOKEN", "OAUTH_TOKEN")
    assert _module_params()["token"] is None
    # Set from the weakest to the strongest: each newly set variable wins over all set before it.
    for name in reversed(q.TOKEN_ENV):
        clean_env.setenv(name, "value-of-" + name)
        assert _module_params()["token"] == "value-of-" + name
    # And each one alone is read.
    for name in q.TOKEN_ENV:
        for other in q.TOKEN_ENV:
            clean_env.delenv(other, raising=False)
        clean_env.setenv(name, "only-" + name)
        assert _module_params()["token"] == "only-" + name


def test_explicit_token_and_aliases_beat_the_environment(clean_env):
    clean_env.setenv("DIGITALOCEAN_ACCESS_TOKEN", "from-env")
    assert _module_params({"token": "given"})["token"] == "given"
    assert _module_params({"api_token": "alias-1"})["token"] == "alias-1"
    assert _module_params({"oauth_token": "alias-2"})["token"] == "alias-2"


def test_api_url_falls_back_to_its_variable(clean_env):
    assert _module_params()["api_url"] == api.DEFAULT_API_URL
    clean_env.setenv(q.API_URL_ENV, "http://127.0.0.1:9999")
    assert _module_params()["api_url"] == "http://127.0.0.1:9999"
    assert _module_params({"api_url": "https://x.example"})["api_url"] == "https://x.example"


@pytest.mark.parametrize(
    "option, text, value",
    [("timeout", "2.5", 2.5), ("validate_certs", "no", False), ("concurrency", "3", 3), ("retries", "0", 0),
     ("retry_max_wait", "7", 7.0)],
)
def test_connection_options_fall_back_to_their_variables(clean_env, option, text, value):
    clean_env.setenv(q.CONNECTION_ENV[option], text)
    assert _module_params()[option] == value
    assert _module_params({option: q.argument_spec()[option]["default"]})[option] == q.argument_spec()[option]["default"]


def test_specs_are_fresh_dicts():
    first = q.argument_spec()
    first["token"]["aliases"].append("mutated")
    first["per_page"]["default"] = 1
    assert q.argument_spec()["token"]["aliases"] == ["api_token", "oauth_token"]
    assert q.argument_spec()["per_page"]["default"] == 200
    assert "fallback" not in q.argument_spec()["token"]
    assert q.argument_spec()["token"]["no_log"] is True


# -- fetch: the one path every listing takes ----------------------------------------------------------------

def _client(sim: t.Any) -> api.Client:
    return api.Client(TOKEN, api_url=sim.url, retry_backoff=0)


def test_fetch_by_snapshot_id(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    wanted = SNAPSHOTS[5]
    with _client(sim) as client:
        listing = q.fetch(client, q.plan(_params(snapshot_id=wanted["id"])))
    assert [s["id"] for s in listing.snapshots] == [wanted["id"]] and listing.total == 1
    assert [r.path for r in sim.requests] == ["/v2/snapshots/" + wanted["id"]]


def test_fetch_for_a_droplet_reads_only_droplet_snapshots(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    droplet = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
    query = q.plan(_params(resource_id=droplet))
    with _client(sim) as client:
        result = query.finish(q.fetch(client, query))
    assert [s["id"] for s in result] == [s["id"] for s in SNAPSHOTS if s["resource_id"] == droplet]
    assert {r.query.get("resource_type") for r in sim.requests} == {"droplet"}


def test_fetch_falls_back_when_the_volume_is_gone(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    volume = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
    # The volume was deleted; its snapshots live on in the account's list.
    sim.add_fault(Fault("status", path="/v2/volumes/*", status=404, times=None))
    query = q.plan(_params(resource_id=volume.upper()))
    with _client(sim) as client:
        result = query.finish(q.fetch(client, query))
    assert [s["id"] for s in result] == [s["id"] for s in SNAPSHOTS if s["resource_id"] == volume]
    assert [(r.path, r.query.get("resource_type")) for r in sim.requests] == [
        ("/v2/volumes/%s/snapshots" % volume, None), ("/v2/snapshots", "volume")]


def test_fetch_does_not_fall_back_for_volume_id(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    with _client(sim) as client, pytest.raises(APIError) as caught:
        q.fetch(client, q.plan(_params(volume_id=VOLUME)))
    assert caught.value.status == 404
    assert len(sim.requests) == 1


def test_make_client_uses_the_options():
    client = q.make_client(_params(api_url="http://127.0.0.1:1/", timeout=2.5, concurrency=3, retries=1,
                                   retry_max_wait=4.0, validate_certs=False))
    with client:
        assert (client.api_url, client.timeout, client.concurrency, client.retries) == ("http://127.0.0.1:1", 2.5, 3, 1)
        assert client.session.verify is False
        assert client.budget.max_wait == 4.0
        assert TOKEN not in repr(client.session.auth)
