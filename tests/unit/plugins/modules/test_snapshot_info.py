# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""snapshot_info's main(), run in-process against the simulator: its result and its failures.

``patch_module_args`` hands the arguments to AnsibleModule the way Ansible
does; the result is the JSON the module prints. Nothing of the module is faked.
"""

from __future__ import annotations

import socket
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_info
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import (
    TOKEN,
    clear_connection_env,
    run_module,
)

SNAPSHOTS = make_snapshots(count=45, seed=51, volumes=2, droplets=3)
UNKNOWN_VOLUME = "11111111-2222-4333-8444-555555555555"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token or connection variable of the machine leaks in."""
    clear_connection_env(monkeypatch)


def _run(args: dict) -> t.Tuple[dict, str]:
    """Run main() with ``args``; return its result and the raw JSON it printed."""
    return run_module(snapshot_info.main, args)


def _expected(snapshots: t.Iterable[dict]) -> t.List[dict]:
    return [dict(s, tags=s["tags"] or []) for s in snapshots]


def test_lists_everything_and_changes_nothing(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result, raw = _run({"token": TOKEN, "api_url": sim.url, "per_page": 10})
    assert result["changed"] is False and "failed" not in result
    assert result["snapshots"] == _expected(SNAPSHOTS)
    assert result["meta"] == {"total": 45}
    assert result["links"] == {}
    assert len(sim.requests) == 5
    assert TOKEN not in raw


def test_check_mode_gives_the_same_result(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result, _raw = _run({"token": TOKEN, "api_url": sim.url, "_ansible_check_mode": True, "fields": ["id"]})
    assert result["snapshots"] == [{"id": s["id"]} for s in SNAPSHOTS]


def test_one_page_returns_its_links(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result, _raw = _run({"token": TOKEN, "api_url": sim.url, "per_page": 20, "page": 3})
    base = sim.url + "/v2/snapshots?page=%d&per_page=20"
    assert [s["id"] for s in result["snapshots"]] == [s["id"] for s in SNAPSHOTS[40:]]
    assert result["meta"] == {"total": 45}
    assert result["links"] == {"pages": {"first": base % 1, "prev": base % 2}}


def test_token_and_url_from_the_environment(make_sim, monkeypatch):
    sim = make_sim(snapshots=SNAPSHOTS)
    monkeypatch.setenv("DO_API_TOKEN", TOKEN)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", sim.url)
    result, _raw = _run({"resource_type": "volume", "sort_by": "created_at", "sort_order": "desc", "limit": 2})
    volumes = [s for s in SNAPSHOTS if s["resource_type"] == "volume"]
    assert [s["id"] for s in result["snapshots"]] == [s["id"] for s in volumes[::-1][:2]]
    assert all(r.authorized for r in sim.requests)


def test_api_error_result_carries_status_and_error(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result, raw = _run({"token": TOKEN, "api_url": sim.url, "volume_id": UNKNOWN_VOLUME})
    path = "/v2/volumes/%s/snapshots?page=1&per_page=200" % UNKNOWN_VOLUME
    assert result["failed"] is True and result["status"] == 404
    error = result["error"]
    assert (error["id"], error["path"], error["attempts"]) == ("not_found", path, 1)
    assert error["message"] == "The resource you were accessing could not be found."
    assert result["msg"] == ("DigitalOcean API error: GET %s answered HTTP 404; not_found: The resource you were "
                             "accessing could not be found.; request_id %s; after 1 attempt" % (path, error["request_id"]))
    assert TOKEN not in raw


def test_persistent_server_error_reports_the_attempts(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path="/v2/snapshots", status=503, times=None))
    result, _raw = _run({"token": TOKEN, "api_url": sim.url, "retries": 2, "retry_max_wait": 0})
    # The first retry goes at once; the second is owed a backoff that retry_max_wait 0 cannot give.
    assert (result["failed"], result["status"], result["error"]["attempts"]) == (True, 503, 2)
    assert len(sim.requests) == 2
    assert "no further attempt: the next attempt was owed a backoff of " in result["msg"]
    assert "more than retry_max_wait (0 s) allows (0.0 s left)" in result["msg"]


def test_transport_error_result():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    result, _raw = _run({"token": TOKEN, "api_url": "http://127.0.0.1:%d" % port, "retries": 1,
                         "retry_max_wait": 0})
    assert result["failed"] is True and "status" not in result
    assert (result["error"]["path"], result["error"]["attempts"]) == ("/v2/snapshots?page=1&per_page=200", 2)
    assert result["msg"].startswith("Could not reach the DigitalOcean API: GET /v2/snapshots?page=1&per_page=200 "
                                    "failed after 2 attempts: ")


def test_incomplete_listing_result(make_sim):
    """consistency: strict with an account that changes between every two reads fails, and returns no list."""
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.after_list_pages(1, lambda s: s.rotate(), every=1, times=None)
    result, _raw = _run({"token": TOKEN, "api_url": sim.url, "per_page": 10, "consistency": "strict"})
    assert result["failed"] is True, result
    assert result["error"]["path"] == "/v2/snapshots" and result["error"]["reads"] >= 2
    assert "snapshots" not in result


@pytest.mark.parametrize(
    "args, message",
    [
        ({"per_page": 0}, "per_page: must be between 1 and 200, got 0"),
        ({"volume_id": "nope"}, "volume_id: 'nope' is not a volume UUID (like 7724db7c-e098-11e5-b522-000f53304e51)"),
        ({"resource_type": "image"}, "value of resource_type must be one of: droplet, volume, got: image"),
        ({"api_url": "http://api.example.com"}, None),
    ],
)
def test_bad_options_fail_before_any_request(make_sim, args, message):
    sim = make_sim(snapshots=SNAPSHOTS)
    given = dict({"token": TOKEN, "api_url": sim.url}, **args)
    result, _raw = _run(given)
    assert result["failed"] is True
    if message is not None:
        assert result["msg"] == message
    assert sim.requests == []


def test_no_token_anywhere(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result, _raw = _run({"api_url": sim.url})
    assert result["failed"] is True
    assert result["msg"].startswith("No DigitalOcean API token: set the token option (aliases api_token, oauth_token)")
    assert sim.requests == []


def test_an_unexpected_error_is_a_message_that_names_the_module_and_never_the_token(make_sim, monkeypatch):
    """The last-resort handler: a bug deep inside ends the task with a message, redacted, never a traceback."""
    sim = make_sim(snapshots=SNAPSHOTS)

    def broken(_client: t.Any, _query: t.Any) -> t.Any:
        raise ValueError("Invalid header value %r" % ("Bearer %s\n" % TOKEN).encode())

    monkeypatch.setattr(snapshot_info, "fetch", broken)
    result, raw = _run({"token": TOKEN + "\n", "api_url": sim.url})
    assert result["failed"] is True
    assert result["msg"] == ("snapfleet.digitalocean.snapshot_info failed unexpectedly (ValueError: Invalid header value "
                             "b'Bearer ********'). This is a bug in the collection; please report it with the task's "
                             "options (never the token).")
    assert TOKEN not in raw and "exception" not in result
