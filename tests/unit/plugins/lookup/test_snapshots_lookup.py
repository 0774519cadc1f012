# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The snapshots lookup, loaded the way Ansible loads it, against the simulator.

``lookup_loader.get`` makes its DOCUMENTATION drive option parsing (env, vars,
defaults). The module's own ``main()`` runs in-process on the same simulator
(``patch_module_args``, its JSON read from stdout) so that "same results,
same errors" is checked against the module itself, not against a copy of its
logic.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import typing as t

import pytest
from ansible.errors import AnsibleLookupError
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import lookup_loader

from ansible_collections.snapfleet.digitalocean.plugins.module_utils import query as q
from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_info
from ansible_collections.snapfleet.digitalocean.plugins.plugin_utils import lookup_cache
from ansible_collections.snapfleet.digitalocean.tests.simulator import make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN

SNAPSHOTS = make_snapshots(count=70, seed=41, volumes=3, droplets=4)
VOLUME = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
DROPLET = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
NAME = "snapfleet.digitalocean.snapshots"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the machine leaks in, and no memo of an earlier test (ports get reused)."""
    for name in list(os.environ):
        if name in q.TOKEN_ENV or name.startswith(("DIGITALOCEAN_", "SNAPFLEET_DIGITALOCEAN_")):
            monkeypatch.delenv(name)
    lookup_cache._MEMO.clear()  # pylint: disable=protected-access


@pytest.fixture(name="sim")
def fixture_sim(make_sim: t.Callable[..., t.Any]) -> t.Any:
    return make_sim(snapshots=SNAPSHOTS)


def _lookup(terms: t.Optional[list] = None, variables: t.Optional[dict] = None, **kwargs: t.Any) -> t.Any:
    plugin = lookup_loader.get(NAME)
    assert plugin is not None, "the lookup did not load"
    return plugin.run(terms or [], variables=variables if variables is not None else {}, **kwargs)


def _module(args: dict) -> dict:
    """Run snapshot_info's main() in this process; return its result."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        snapshot_info.main()
    return json.loads(out.getvalue())


def _pages(total: int, per_page: int = 200) -> int:
    return max(1, -(-total // per_page))


# -- same results as the module -----------------------------------------------------------------------

CASES = [
    {},
    {"resource_type": "volume", "sort_by": "created_at", "sort_order": "desc", "limit": 3},
    {"region": ["fra1", "nyc1"], "fields": ["id", "regions"]},
    {"resource_id": VOLUME},
    {"resource_id": DROPLET, "per_page": 3},
    {"volume_id": VOLUME, "per_page": 2},
    {"snapshot_id": SNAPSHOTS[9]["id"]},
    {"page": 2, "per_page": 5},
    {"tags": ["env:prod"], "name": ["db-*", "web-*", "pvc*"]},
    {"created_after": "2024-01-01T12:00:00Z", "created_before": "2024-01-03"},
    {"name_regex": "^(web|db)", "sort_by": "size_gigabytes", "fields": ["name"]},
]


@pytest.mark.parametrize("options", CASES)
def test_lookup_gives_what_the_module_gives(sim, options):
    module = _module(dict(options, token=TOKEN, api_url=sim.url))
    module_requests = [(r.path, r.query) for r in sim.requests]
    sim.reset_log()
    result = _lookup(token=TOKEN, api_url=sim.url, **options)
    assert "failed" not in module, module.get("msg")
    assert result == module["snapshots"]
    # The same requests (pages complete in any order).
    assert sorted((r.path, sorted(r.query.items())) for r in sim.requests) == sorted(
        (path, sorted(query.items())) for path, query in module_requests)


def test_results_are_the_simulators_snapshots(sim):
    result = _lookup(token=TOKEN, api_url=sim.url, region="fra1", fields=["id", "tags"])
    assert result == [{"id": s["id"], "tags": s["tags"] or []} for s in SNAPSHOTS if "fra1" in s["regions"]]
    assert len(result) > 3


def test_terms_are_snapshot_ids_kept_in_their_order(sim):
    ids = [SNAPSHOTS[30]["id"], SNAPSHOTS[2]["id"], SNAPSHOTS[51]["id"]]
    result = _lookup(ids, token=TOKEN, api_url=sim.url, fields=["id"])
    assert result == [{"id": i} for i in ids]
    assert [r.path for r in sim.requests] == ["/v2/snapshots/" + i for i in ids]


def test_group_by_comes_back_as_one_dictionary(sim):
    result = _lookup(token=TOKEN, api_url=sim.url, group_by="resource_type", fields=["id"])
    assert len(result) == 1 and isinstance(result[0], dict)
    assert result[0] == {
        kind: [{"id": s["id"]} for s in SNAPSHOTS if s["resource_type"] == kind]
        for kind in dict.fromkeys(s["resource_type"] for s in SNAPSHOTS)}


# -- where the options come from ------------------------------------------------------------------------------

def test_token_and_url_from_variables(sim):
    result = _lookup(variables={"digitalocean_token": TOKEN, "digitalocean_api_url": sim.url}, limit=2)
    assert [s["id"] for s in result] == [s["id"] for s in SNAPSHOTS[:2]]


def test_token_env_priority_matches_the_modules(sim, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_API_URL", sim.url)
    monkeypatch.setenv("OAUTH_TOKEN", "weaker-wrong-token")
    monkeypatch.setenv("DO_API_KEY", "weaker-wrong-token-2")
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
    assert len(_lookup(limit=1)) == 1
    assert len(_module({"limit": 1})["snapshots"]) == 1
    assert all(r.authorized for r in sim.requests)
    # The strongest variable set wins, even when it is the wrong one.
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "stronger-wrong-token")
    monkeypatch.setenv("OAUTH_TOKEN", TOKEN)
    lookup_cache._MEMO.clear()  # pylint: disable=protected-access
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(limit=1)
    module = _module({"limit": 1})
    assert module["failed"] is True and module["status"] == 401
    # The request_id differs between the two requests; everything else is the same.
    assert str(caught.value).split("; request_id", maxsplit=1)[0] == module["msg"].split("; request_id", maxsplit=1)[0]


# -- the memo and the cache -----------------------------------------------------------------------------------

def test_five_identical_calls_list_once(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=450, seed=3))
    results = [_lookup(token=TOKEN, api_url=sim.url, fields=["id"]) for _index in range(5)]
    assert all(r == results[0] for r in results) and len(results[0]) == 450
    assert len(sim.requests) == _pages(450)


def test_different_filters_share_one_listing_but_different_queries_do_not(sim):
    _lookup(token=TOKEN, api_url=sim.url, region="fra1")
    _lookup(token=TOKEN, api_url=sim.url, sort_by="name", limit=2)
    assert len(sim.requests) == 1
    _lookup(token=TOKEN, api_url=sim.url, resource_type="droplet")
    assert len(sim.requests) == 2


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _cached(sim: t.Any, connection: str) -> t.List[dict]:
    """List through the cache with one loader instance, then again with another and an empty memo."""
    first_plugin, second_plugin = lookup_loader.get(NAME), lookup_loader.get(NAME)
    assert first_plugin is not second_plugin
    options = dict(token=TOKEN, api_url=sim.url, cache=True, cache_connection=connection, cache_timeout=600)
    first = first_plugin.run([], variables={}, **options)
    # A new process would have no memo: only the cache can answer now.
    lookup_cache._MEMO.clear()  # pylint: disable=protected-access
    second = second_plugin.run([], variables={}, **dict(options, sort_by="name"))
    assert sorted(s["id"] for s in second) == sorted(s["id"] for s in first)
    return first


def _files(connection: str) -> t.List[str]:
    return [os.path.join(root, name) for root, _dirs, names in os.walk(connection) for name in names]


def test_cache_is_shared_by_two_loader_instances_and_holds_no_token(sim, tmp_path):
    connection = str(tmp_path / "cache")
    first = _cached(sim, connection)
    assert [s["id"] for s in first] == [s["id"] for s in SNAPSHOTS]
    assert len(sim.requests) == 1
    entries = [e for e in os.listdir(connection) if not e.startswith(".")]
    assert len(entries) == 1 and entries[0].startswith("snapfleet_snapshots_")
    with open(os.path.join(connection, entries[0]), encoding="utf-8") as handle:
        text = handle.read()
    assert all(s["id"] in text for s in SNAPSHOTS)
    for path in _files(connection):
        with open(path, "rb") as handle:
            assert TOKEN.encode() not in handle.read(), path


def test_cache_directories_are_private(sim, tmp_path):
    connection = str(tmp_path / "cache")
    _cached(sim, connection)
    for root, dirs, _names in os.walk(connection):
        assert _mode(root) == 0o700, root
        for name in dirs:
            assert _mode(os.path.join(root, name)) == 0o700, name


def test_cache_files_are_readable_by_their_owner_alone(sim, tmp_path):
    connection = str(tmp_path / "cache")
    _cached(sim, connection)
    modes = {os.path.basename(path): _mode(path) for path in _files(connection)}
    assert len(modes) == 2  # the entry and its lock
    assert set(modes.values()) == {0o600}, modes


def test_cache_is_per_token(sim, tmp_path, make_sim):
    other = make_sim(snapshots=SNAPSHOTS[:5], token="another-token-abcdef")
    connection = str(tmp_path / "cache")
    _lookup(token=TOKEN, api_url=sim.url, cache=True, cache_connection=connection)
    lookup_cache._MEMO.clear()  # pylint: disable=protected-access
    # Same URL scheme, another account: never served the first account's listing.
    result = _lookup(token="another-token-abcdef", api_url=other.url, cache=True, cache_connection=connection)
    assert len(result) == 5 and len(other.requests) == 1


# -- same errors as the module ------------------------------------------------------------------------------

BAD = [
    {"per_page": 201},
    {"per_page": "abc"},
    {"page": 0},
    {"resource_type": "foo"},
    {"volume_id": "not-a-uuid"},
    {"volume_id": VOLUME, "snapshot_id": "1"},
    {"volume_id": VOLUME, "resource_type": "droplet"},
    {"timeout": 0},
    {"timeout": "soon"},
    {"api_url": "http://api.example.com"},
    {"api_url": "ftp://127.0.0.1"},
    {"sort_by": "size"},
    {"name_regex": "(("},
    {"created_after": "yesterday"},
    {"created_before": "2024-02-30"},
    {"limit": 0},
    {"fields": ["id", "nope"]},
    {"concurrency": 0},
]


@pytest.mark.parametrize("options", BAD)
def test_bad_options_fail_with_the_modules_words(sim, options):
    given = dict({"token": TOKEN, "api_url": sim.url}, **options)
    module = _module(given)
    assert module.get("failed") is True
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(**given)
    assert str(caught.value) == module["msg"]
    assert sim.requests == []  # refused before any request


def test_no_token_fails_with_the_modules_words(sim):
    module = _module({"api_url": sim.url})
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(api_url=sim.url)
    assert str(caught.value) == module["msg"]
    assert str(caught.value).startswith("No DigitalOcean API token: set the token option")


def test_api_errors_fail_with_the_modules_words(sim):
    unknown = "11111111-2222-4333-8444-555555555555"
    module = _module({"token": TOKEN, "api_url": sim.url, "volume_id": unknown})
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(token=TOKEN, api_url=sim.url, volume_id=unknown)
    # The request_id differs between the two requests; everything else is the same.
    assert caught.value.message.split("; request_id", maxsplit=1)[0] == module["msg"].split("; request_id", maxsplit=1)[0]
    assert module["status"] == 404


@pytest.mark.parametrize(
    "options, message",
    [
        ({"group_by": "colour"}, "value of group_by must be one of: region, resource_type, resource_id, tag, got: colour"),
        ({"cache": True, "cache_timeout": 0}, "cache_timeout: must be 1 second or more, got 0"),
    ],
)
def test_lookup_only_options_are_checked(sim, options, message):
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(token=TOKEN, api_url=sim.url, **options)
    assert str(caught.value) == message


def test_terms_cannot_be_combined_with_snapshot_id(sim):
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(["1"], token=TOKEN, api_url=sim.url, snapshot_id="2")
    assert str(caught.value) == "snapshot ids given as terms cannot be combined with snapshot_id, volume_id or page"


def test_unknown_option_is_named_as_unsupported(sim):
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(token=TOKEN, api_url=sim.url, foo=1)
    assert str(caught.value).startswith("Unsupported parameters for (snapfleet.digitalocean.snapshots) lookup: foo.")


def test_an_existing_cache_directory_keeps_its_mode(sim, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    _lookup(token=TOKEN, api_url=sim.url, cache=True, cache_connection=str(shared))
    assert _mode(str(shared)) == 0o755
