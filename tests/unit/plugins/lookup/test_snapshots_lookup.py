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
import time
import typing as t

import pytest
from ansible import template as ansible_template
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options as q
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import routes
from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_info
from ansible_collections.snapfleet.digitalocean.plugins.plugin_utils import lookup_cache
from ansible_collections.snapfleet.digitalocean.tests.simulator import make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, patch_module_args

SNAPSHOTS = make_snapshots(count=70, seed=41, volumes=3, droplets=4)
VOLUME = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
DROPLET = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "droplet")
NAME = "snapfleet.digitalocean.snapshots"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the machine leaks in, and no client of an earlier test (ports get reused)."""
    for name in list(os.environ):
        if name in q.TOKEN_ENV or name.startswith(("DIGITALOCEAN_", "SNAPFLEET_DIGITALOCEAN_")):
            monkeypatch.delenv(name)
    lookup_cache.reset()


@pytest.fixture(autouse=True)
def _private_locks(tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The locks of this test in its own directory (a run of Ansible keeps them in its temporary directory)."""
    real = lookup_cache.lock_root
    monkeypatch.setattr(lookup_cache, "lock_root", lambda: str(tmp_path / "locks"))
    monkeypatch.setattr(lookup_cache, "_real_lock_root", real, raising=False)


@pytest.fixture(name="sim")
def fixture_sim(make_sim: t.Callable[..., t.Any]) -> t.Any:
    return make_sim(snapshots=SNAPSHOTS)


def _lookup(terms: t.Optional[list] = None, variables: t.Optional[dict] = None, **kwargs: t.Any) -> t.Any:
    plugin = lookup_loader.get(NAME)
    assert plugin is not None, "the lookup did not load"
    return plugin.run(terms or [], variables=variables if variables is not None else {}, **kwargs)


def _render(template: str, variables: t.Optional[dict] = None) -> t.Any:
    """Render ``template`` the way Ansible renders a task's argument: one rendering."""
    if hasattr(ansible_template, "trust_as_template"):  # ansible-core 2.19 and later render trusted templates only
        template = ansible_template.trust_as_template(template)
    return ansible_template.Templar(loader=DataLoader(), variables=variables or {}).template(template)


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
    # Fetched concurrently: the requests may arrive in any order.
    assert sorted(r.path for r in sim.requests) == sorted("/v2/snapshots/" + i for i in ids)


def test_a_list_variable_as_the_term_is_flattened(sim):
    """query('...snapshots', my_ids) hands the lookup [[...]]: the ids, not the list's repr, are fetched."""
    ids = [SNAPSHOTS[30]["id"], SNAPSHOTS[2]["id"], SNAPSHOTS[51]["id"]]
    template = "{{ query('%s', my_ids, [[extra]], token='%s', api_url='%s', fields=['id']) }}" % (NAME, TOKEN, sim.url)
    result = _render(template, {"my_ids": ids[:2], "extra": ids[2]})
    assert result == [{"id": i} for i in ids]
    assert sorted(r.path for r in sim.requests) == sorted("/v2/snapshots/" + i for i in ids)


def test_terms_are_stripped_and_numbers_accepted(sim):
    droplet = next(s for s in SNAPSHOTS if s["resource_type"] == "droplet")
    result = _lookup([" %s " % droplet["id"], int(droplet["id"])], token=TOKEN, api_url=sim.url, fields=["id"])
    assert result == [{"id": droplet["id"]}] * 2
    assert [r.path for r in sim.requests] == ["/v2/snapshots/" + droplet["id"]] * 2


@pytest.mark.parametrize("terms, message", [
    ([" "], "a snapshot id given as a term must not be empty"),
    ([{"id": "1"}], "snapshot ids given as terms must be strings or numbers, got a dictionary"),
])
def test_bad_terms_are_refused_before_any_request(sim, terms, message):
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(terms, token=TOKEN, api_url=sim.url)
    assert str(caught.value) == message and sim.requests == []


def test_several_ids_are_fetched_with_get_snapshots(sim, monkeypatch):
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import client as api  # pylint: disable=import-outside-toplevel
    calls: t.List[list] = []
    real = api.Client.get_snapshots

    def spy(self: t.Any, ids: t.Sequence[str]) -> t.List[dict]:
        calls.append(list(ids))
        return real(self, ids)

    monkeypatch.setattr(api.Client, "get_snapshots", spy)
    ids = [s["id"] for s in SNAPSHOTS[:6]]
    assert [s["id"] for s in _lookup(ids, token=TOKEN, api_url=sim.url)] == ids
    assert calls == [ids]


@pytest.mark.parametrize("kind", ["droplet", "volume"])
def test_resource_type_filters_snapshots_asked_for_by_id(sim, kind):
    droplet = next(s for s in SNAPSHOTS if s["resource_type"] == "droplet")
    volume = next(s for s in SNAPSHOTS if s["resource_type"] == "volume")
    wanted = droplet if kind == "droplet" else volume
    result = _lookup([droplet["id"], volume["id"]], token=TOKEN, api_url=sim.url, resource_type=kind, fields=["id"])
    assert result == [{"id": wanted["id"]}]
    # The module, by snapshot_id: the same rule.
    for snapshot in (droplet, volume):
        module = _module({"token": TOKEN, "api_url": sim.url, "snapshot_id": " %s " % snapshot["id"],
                          "resource_type": kind, "fields": ["id"]})
        assert module["snapshots"] == ([{"id": snapshot["id"]}] if snapshot is wanted else []), module


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
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(limit=1)
    module = _module({"limit": 1})
    assert module["failed"] is True and module["status"] == 401
    # The request_id differs between the two requests; everything else is the same.
    assert str(caught.value).split("; request_id", maxsplit=1)[0] == module["msg"].split("; request_id", maxsplit=1)[0]


# -- reading again, and the cache ------------------------------------------------------------------------------

def test_each_use_in_a_rendering_reads_the_api(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=450, seed=3))
    call = "query('%s', token='%s', api_url='%s', fields=['id'])" % (NAME, TOKEN, sim.url)
    result = _render("{{ [%s] }}" % ", ".join([call] * 5))
    assert len(result) == 5 and all(r == result[0] for r in result) and len(result[0]) == 450
    assert len(sim.requests) == 5 * _pages(450)


def test_each_rendering_reads_again_so_until_sees_a_new_snapshot(make_sim):
    """An ``until:`` retry reads the API again: it sees the snapshot created meanwhile."""
    sim = make_sim(snapshots=SNAPSHOTS)
    template = "{{ query('%s', token='%s', api_url='%s', name='fresh-*') | length }}" % (NAME, TOKEN, sim.url)
    assert int(_render(template)) == 0
    sim.create(name="fresh-1")
    assert int(_render(template)) == 1
    assert len(sim.requests) == 2


def test_calls_outside_a_rendering_read_the_api_each_time(sim):
    for _index in range(3):
        _lookup(token=TOKEN, api_url=sim.url)
    assert len(sim.requests) == 3


def test_with_the_cache_different_filters_share_one_listing_but_different_queries_do_not(sim, tmp_path):
    base = "query('%s', token='%s', api_url='%s', cache=true, cache_connection='%s'" % (
        NAME, TOKEN, sim.url, tmp_path / "cache")
    _render("{{ [%s, region='fra1'), %s, sort_by='name', limit=2)] }}" % (base, base))
    assert len(sim.requests) == 1
    _render("{{ [%s, region='fra1'), %s, resource_type='droplet')] }}" % (base, base))
    assert len(sim.requests) == 2


def test_clients_are_reused_across_renderings_and_kept_per_configuration(sim, monkeypatch):
    built: t.List[dict] = []
    real = routes.make_client

    def counting(params: dict) -> t.Any:
        built.append(params)
        return real(params)

    monkeypatch.setattr(routes, "make_client", counting)
    for _index in range(3):
        _lookup(token=TOKEN, api_url=sim.url, limit=1)
    assert len(built) == 1 and len(sim.requests) == 3  # one client (its connections), three readings
    _lookup(token=TOKEN, api_url=sim.url, timeout=7)
    assert len(built) == 2
    digests = list(lookup_cache._CLIENTS)  # pylint: disable=protected-access
    assert len(digests) == 2


def test_client_key_depends_on_the_token():
    first = lookup_cache.client_key({"token": TOKEN, "api_url": "https://x"})
    assert first == lookup_cache.client_key({"api_url": "https://x", "token": TOKEN})
    assert first != lookup_cache.client_key({"token": TOKEN + "x", "api_url": "https://x"})


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _cached(sim: t.Any, connection: str) -> t.List[dict]:
    """List through the cache with one loader instance, then again with another."""
    first_plugin, second_plugin = lookup_loader.get(NAME), lookup_loader.get(NAME)
    assert first_plugin is not second_plugin
    options = dict(token=TOKEN, api_url=sim.url, cache=True, cache_connection=connection, cache_timeout=600)
    first = first_plugin.run([], variables={}, **options)
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
    assert len(modes) == 1  # the entry; its lock lives in the run's temporary directory
    assert set(modes.values()) == {0o600}, modes


def test_cache_entries_are_never_readable_by_others_not_even_for_a_moment(sim, tmp_path, monkeypatch):
    """Every mode an entry file ever has, from its creation to its last chmod, is owner-only."""
    connection = tmp_path / "cache"
    seen: t.List[t.Tuple[str, str, int]] = []
    real = {name: getattr(os, name) for name in ("chmod", "rename", "replace")}

    def watch(name: str) -> t.Callable[..., t.Any]:
        def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
            result = real[name](*args, **kwargs)
            path = str(args[1] if name in ("rename", "replace") else args[0])
            if path.startswith(str(connection)) and os.path.isfile(path):
                seen.append((name, os.path.basename(path), _mode(path)))
            return result
        return call

    for name in real:
        monkeypatch.setattr(os, name, watch(name))
    _cached(sim, str(connection))
    assert seen, "no entry was written"
    assert all(mode & 0o077 == 0 for _name, _path, mode in seen), seen


def test_lock_files_live_in_the_runs_private_temporary_directory():
    from ansible import constants as C  # pylint: disable=import-outside-toplevel
    real = lookup_cache._real_lock_root  # pylint: disable=protected-access,no-member
    assert os.path.dirname(real()) == C.DEFAULT_LOCAL_TMP


def test_a_cache_that_is_not_a_directory_touches_no_file(sim, tmp_path, monkeypatch):
    """With Redis or memcached, cache_connection is host:port: never a directory of the working directory."""
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    options = dict(token=TOKEN, api_url=sim.url, cache=True, cache_plugin="ansible.builtin.memory",
                   cache_connection="localhost:6379:0")
    # ansible.builtin.memory shares nothing (documented); it stands here for any cache plugin that is not file-based.
    assert len(_lookup(**options)) == len(SNAPSHOTS)
    assert len(_lookup(**options)) == len(SNAPSHOTS)
    assert os.listdir(str(workdir)) == [], os.listdir(str(workdir))
    assert not os.path.exists(os.path.expanduser("~/localhost:6379:0"))


def _entry_path(connection: str) -> str:
    entries = [name for name in os.listdir(connection) if name.startswith("snapfleet_snapshots_")]
    assert len(entries) == 1, entries
    return os.path.join(connection, entries[0])


@pytest.mark.parametrize("content", [
    b"{not json",
    b"",
    b'{"expires_at": 99999999999, "listing": {"snapshots": [], "total": 0, "links": {}}}',  # an older release's entry
    b'{"__payload__": "{\\"format\\": 2, \\"expires_at\\": \\"soon\\", \\"listing\\": []}"}',
    b'{"__payload__": "[1, 2]"}',
    b'{"format": 2, "expires_at": 99999999999, "listing": {"snapshots": "x"}}',
    b"[]",
])
def test_a_corrupt_or_old_entry_means_list_again(sim, tmp_path, content):
    connection = str(tmp_path / "cache")
    options = dict(token=TOKEN, api_url=sim.url, cache=True, cache_connection=connection)
    _lookup(**options)
    with open(_entry_path(connection), "wb") as handle:
        handle.write(content)
    result = _lookup(**options)
    assert [s["id"] for s in result] == [s["id"] for s in SNAPSHOTS]
    assert len(sim.requests) == 2
    # And the entry written again is good: the third call reads it.
    assert len(_lookup(**options)) == len(SNAPSHOTS) and len(sim.requests) == 2


def test_waiting_on_a_lock_has_a_bound(sim, tmp_path, monkeypatch):
    import fcntl  # pylint: disable=import-outside-toplevel
    locks = tmp_path / "locks"
    monkeypatch.setattr(lookup_cache, "lock_root", lambda: str(locks))
    options = dict(token=TOKEN, api_url=sim.url, cache=True, cache_connection=str(tmp_path / "cache"))
    _lookup(**options)
    (lock,) = list(locks.iterdir())
    with open(lock, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)  # another fork lists, and does not finish
        # total_max_wait bounds the wait; then this call goes on without the lock (the entry answers it).
        result = _lookup(total_max_wait=0.3, **options)
    assert len(result) == len(SNAPSHOTS) and len(sim.requests) == 1


def test_expired_entries_and_leftovers_are_swept(sim, tmp_path):
    connection = tmp_path / "cache"
    connection.mkdir(mode=0o700)
    old = time.time() - 3 * 86400
    for name in ("snapfleet_snapshots_s1_" + "0" * 64, "snapfleet_snapshots_" + "1" * 64, ".snapfleet_tmp_abc"):
        (connection / name).write_text("{}")
        os.utime(connection / name, (old, old))
    (connection / "someone-elses-file").write_text("{}")
    os.utime(connection / "someone-elses-file", (old, old))
    fresh = connection / ("snapfleet_snapshots_" + "2" * 64)
    fresh.write_text("{}")
    _lookup(token=TOKEN, api_url=sim.url, cache=True, cache_connection=str(connection))
    left = sorted(p.name for p in connection.iterdir())
    assert "someone-elses-file" in left and fresh.name in left
    assert not any(name.endswith(("0" * 64, "1" * 64)) or name.startswith(".snapfleet_tmp_") for name in left), left
    assert len(left) == 3  # those two and the new entry


def test_cache_is_per_token(tmp_path, make_sim):
    """Two tokens, one URL: the second token is never served the first one's listing."""
    sim = make_sim(snapshots=SNAPSHOTS, read_only_tokens=["reader-token-abcdef"])
    connection = str(tmp_path / "cache")
    options = dict(api_url=sim.url, cache=True, cache_connection=connection)
    _lookup(token=TOKEN, **options)
    assert len(sim.requests) == 1
    _lookup(token="reader-token-abcdef", **options)
    assert len(sim.requests) == 2
    # And a token the API refuses gets the API's refusal, not a cached listing.
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(token="wrong-token-abcdef", **options)
    assert "HTTP 401" in str(caught.value)


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
    {"concurrency": "abc"},
    {"rate_limit_per_minute": 0},
    {"total_max_wait": -1},
    {"total_max_wait": "long"},
    {"consistency": "best"},
    {"snapshot_id": "1", "page": 2},
    {"resource_id": VOLUME, "page": 2},
    {"created_before": "6m"},
    {"created_after": "1h30m"},
    {"created_after": "20240501"},
    {"created_after": "2024-05-01T12:00:00+0000"},
    {"validate_certs": "maybe"},
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


# -- the same words from every source ----------------------------------------------------------------------

SOURCES_BAD = [("concurrency", "abc"), ("retries", "x"), ("timeout", "soon"), ("validate_certs", "maybe"),
               ("rate_limit_per_minute", "many"), ("total_max_wait", "long"), ("retry_max_wait", "1,5")]


@pytest.mark.parametrize("option, bad", SOURCES_BAD)
def test_a_bad_value_gets_the_same_words_from_every_source(sim, monkeypatch, option, bad):
    """DIGITALOCEAN_CONCURRENCY=abc, digitalocean_retries: x and the option itself: one message, both plugins."""
    variable = q.CONNECTION_ENV[option]
    base = {"token": TOKEN, "api_url": sim.url}
    expected = _module(dict(base, **{option: bad}))["msg"]
    assert option in expected
    with pytest.raises(AnsibleLookupError) as given:
        _lookup(**dict(base, **{option: bad}))
    with pytest.raises(AnsibleLookupError) as from_var:
        _lookup(variables={"digitalocean_" + option: bad}, **base)
    monkeypatch.setenv(variable, bad)
    from_env_module = _module(base)["msg"]
    with pytest.raises(AnsibleLookupError) as from_env:
        _lookup(**base)
    assert [str(given.value), str(from_var.value), from_env_module, str(from_env.value)] == [expected] * 4
    assert sim.requests == []


def test_a_variable_beats_the_environment_and_an_option_beats_both(sim, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_CONCURRENCY", "abc")  # bad, but never read: the variable wins
    assert len(_lookup(variables={"digitalocean_concurrency": "2"}, token=TOKEN, api_url=sim.url, limit=1)) == 1
    monkeypatch.delenv("DIGITALOCEAN_CONCURRENCY")
    monkeypatch.setenv("DIGITALOCEAN_RETRIES", "1")
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(variables={"digitalocean_retries": "x"}, token=TOKEN, api_url=sim.url)
    assert "retries" in str(caught.value)
    assert len(_lookup(variables={"digitalocean_retries": "x"}, token=TOKEN, api_url=sim.url, retries=0, limit=1)) == 1


def test_new_connection_options_come_from_variables_and_the_environment(sim, monkeypatch, tmp_path):
    seen: t.List[dict] = []
    ca_file = str(tmp_path / "ca.pem")
    open(ca_file, "w").close()
    real = q.client_arguments

    def spy(params: dict) -> dict:
        arguments = real(params)
        seen.append(arguments)
        return arguments

    monkeypatch.setattr(q, "client_arguments", spy)
    monkeypatch.setenv("DIGITALOCEAN_RATE_LIMIT_PER_MINUTE", "120")
    monkeypatch.setenv("DIGITALOCEAN_CA_PATH", ca_file)
    _lookup(variables={"digitalocean_total_max_wait": "45"}, token=TOKEN, api_url=sim.url, limit=1)
    assert (seen[-1]["rate_limit_per_minute"], seen[-1]["ca_path"], seen[-1]["total_max_wait"]) == (
        120, ca_file, 45.0)


# -- validate_certs: false ----------------------------------------------------------------------------------

def _closed_https_url() -> str:
    import socket  # pylint: disable=import-outside-toplevel
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "https://127.0.0.1:%d" % port


def test_no_verification_gives_one_warning_per_task(monkeypatch):
    """One Ansible warning per module run and per lookup call (in this process the module's goes to Display too)."""
    from ansible.utils.display import Display  # pylint: disable=import-outside-toplevel
    warned: t.List[str] = []
    monkeypatch.setattr(Display, "warning", lambda self, msg, *a, **k: warned.append(msg))
    url = _closed_https_url()
    args = {"token": TOKEN, "api_url": url, "validate_certs": False, "retries": 0}
    module = _module(args)
    assert module["failed"] is True
    # ansible-core 2.19+ hands module.warn() to Display in-process; 2.16 to 2.18 keep it in the result.
    assert warned == [q.INSECURE_WARNING % url] or (not warned and module.get("warnings") == [q.INSECURE_WARNING % url])
    warned.clear()
    with pytest.raises(AnsibleLookupError):
        _lookup(**args)
    assert warned == [q.INSECURE_WARNING % url]
    # Verification on: no warning.
    warned.clear()
    with pytest.raises(AnsibleLookupError):
        verified = dict(args)
        verified["validate_certs"] = True
        _lookup(**verified)
    _module(verified)
    assert warned == []


def test_an_unexpected_error_is_a_lookup_error_that_names_the_lookup_and_never_the_token(sim, monkeypatch):
    """The last-resort handler: a bug deep inside is an AnsibleLookupError, redacted, never another exception."""
    def broken(_client: t.Any, _query: t.Any) -> t.Any:
        raise KeyError("Authorization: Bearer %s" % TOKEN)

    monkeypatch.setattr(routes, "fetch", broken)
    with pytest.raises(AnsibleLookupError) as caught:
        _lookup(token=" %s\n" % TOKEN, api_url=sim.url)
    assert str(caught.value).startswith("snapfleet.digitalocean.snapshots lookup failed unexpectedly (KeyError: "
                                        "'Authorization: Bearer ********')")
    assert TOKEN not in str(caught.value)


def test_a_forked_child_never_gets_a_client_its_parent_kept():
    """Ansible forks workers after the main process may have looked up (a templated hosts:)."""
    built: t.List[object] = []

    def build() -> object:
        built.append(object())
        return built[-1]

    arguments = {"token": TOKEN, "api_url": "http://127.0.0.1:1"}
    parent = lookup_cache.shared_client(arguments, build)
    assert lookup_cache.shared_client(arguments, build) is parent  # kept within the process
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        status = 1
        try:
            child = lookup_cache.shared_client(arguments, build)
            status = 0 if child is not parent and lookup_cache.shared_client(arguments, build) is child else 2
        finally:
            os._exit(status)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert lookup_cache.shared_client(arguments, build) is parent  # the parent's is still its own
    lookup_cache.reset()
