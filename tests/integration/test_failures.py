# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input is refused before any request, and API errors are clear failures, never tracebacks.

The module and the lookup must say the same words: for every case, the module's ``msg``
and the message the lookup raised are compared with each other and with the expected text.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import EMPTY_VOLUME, Ansible, Case, PlaybookRun, lookup_error, run_cases

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

VOLUME = EMPTY_VOLUME
FIELDS = "id, name, created_at, regions, resource_id, resource_type, min_disk_size, size_gigabytes, tags"

#: label -> (options, the message both plugins must give). Every option is otherwise valid,
#: and the simulator's URL and token come from the environment.
BAD_INPUT = {
    "volume_id not a UUID": (
        {"volume_id": "not-a-uuid"},
        "volume_id: 'not-a-uuid' is not a volume UUID (like 7724db7c-e098-11e5-b522-000f53304e51)"),
    "per_page 0": ({"per_page": 0}, "per_page: must be between 1 and 200, got 0"),
    "per_page 201": ({"per_page": 201}, "per_page: must be between 1 and 200, got 201"),
    "page 0": ({"page": 0}, "page: must be 1 or more, got 0"),
    "resource_type foo": ({"resource_type": "foo"}, "value of resource_type must be one of: droplet, volume, got: foo"),
    "volume_id with resource_type droplet": (
        {"volume_id": VOLUME, "resource_type": "droplet"},
        "volume_id lists a volume's snapshots and cannot be combined with resource_type: droplet"),
    "snapshot_id with volume_id": (
        {"snapshot_id": "6372321", "volume_id": VOLUME}, "parameters are mutually exclusive: volume_id|snapshot_id"),
    "api_url ftp": ({"api_url": "ftp://x"}, "api_url: 'ftp://x' is not an http:// or https:// URL"),
    "api_url plain http to a remote host": (
        {"api_url": "http://example.com"},
        "api_url: refusing to send the API token over plain http to example.com; use https:// "
        "(plain http is allowed only to a loopback address, such as a local simulator)"),
    "timeout 0": ({"timeout": 0}, "timeout: must be more than 0 seconds, got 0.0"),
    "bad name_regex": (
        {"name_regex": "(unclosed"},
        "name_regex: '(unclosed' is not a valid Python regular expression: missing ), unterminated subpattern "
        "at position 0"),
    "unknown sort_by": (
        {"sort_by": "colour"}, "value of sort_by must be one of: created_at, name, size_gigabytes, min_disk_size, "
        "got: colour"),
    "bad created_after": (
        {"created_after": "yesterday"},
        "created_after: 'yesterday' is not an RFC 3339 date or date-time (2024-05-01, 2024-05-01T12:00:00Z, "
        "2024-05-01T12:00:00.5+02:00) or an age (an age is one or more numbers each followed by a unit: y (years), "
        "mo (months), w (weeks), d (days), h (hours), min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min "
        "or 1y2mo3d)"),
    "created_after in ISO 8601 basic format": (
        {"created_after": "20240501"},
        "created_after: '20240501' is not an RFC 3339 date or date-time (2024-05-01, 2024-05-01T12:00:00Z, "
        "2024-05-01T12:00:00.5+02:00) or an age (an age is one or more numbers each followed by a unit: y (years), "
        "mo (months), w (weeks), d (days), h (hours), min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min "
        "or 1y2mo3d)"),
    "created_before with the ambiguous m": (
        {"created_before": "6m"},
        "created_before: '6m' uses the unit m, which is ambiguous: write mo for months or min for minutes (an age is "
        "one or more numbers each followed by a unit: y (years), mo (months), w (weeks), d (days), h (hours), "
        "min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min or 1y2mo3d)"),
    "snapshot_id with page": (
        {"snapshot_id": "6372321", "page": 2}, "parameters are mutually exclusive: snapshot_id|page"),
    "consistency unknown": (
        {"consistency": "best"}, "value of consistency must be one of: standard, strict, got: best"),
    "rate_limit_per_minute 0": ({"rate_limit_per_minute": 0}, "rate_limit_per_minute: must be 1 or more, got 0"),
    "total_max_wait negative": ({"total_max_wait": -1}, "total_max_wait: must be 0 or more, got -1.0"),
    "concurrency not a number": (
        {"concurrency": "abc"},
        # The validator's own words (ansible-core 2.16 says "of type <class 'str'>").
        "and we were unable to convert to int"),
    "limit 0": ({"limit": 0}, "limit: must be 1 or more, got 0"),
    "fields with an unknown key": (
        {"fields": ["id", "colour"]}, "value of fields must be one or more of: " + FIELDS + ". Got no match for: colour"),
}
#: Lookup-only options.
BAD_LOOKUP_INPUT = {
    "group_by unknown": (
        {"group_by": "colour"}, "value of group_by must be one of: region, resource_type, resource_id, tag, got: colour"),
}


def _cases() -> list[Case]:
    cases = [Case(label, args) for label, (args, _message) in BAD_INPUT.items()]
    cases += [Case(label, args, module=False) for label, (args, _message) in BAD_LOOKUP_INPUT.items()]
    cases += [
        Case("wrong token", {"token": "wrong-token"}),
        Case("unknown snapshot_id", {"snapshot_id": "999"}),
    ]
    return cases


@pytest.fixture(scope="module")
def failure_run(module_ansible: Ansible, sim: Simulator) -> PlaybookRun:
    run = run_cases(module_ansible, _cases(), sim=sim)
    # Every case failed, and was ignored so that the next one ran.
    assert run.rc == 0, run.describe()
    return run


def _module_error(run: PlaybookRun, label: str) -> dict:
    result = run.result("Module: " + label)
    assert result["_status"] == "failed", "the module did not fail: %r" % (result,)
    return result


@pytest.mark.parametrize("label", list(BAD_INPUT))
def test_bad_input_is_refused_with_the_same_message_before_any_request(failure_run: PlaybookRun, label: str) -> None:
    _args, message = BAD_INPUT[label]
    module_msg = _module_error(failure_run, label)["msg"]
    query_msg = lookup_error(failure_run.result("Query: " + label))
    lookup_msg = lookup_error(failure_run.result("Lookup: " + label))
    assert message in module_msg
    assert message in query_msg
    # The same words from both plugins.
    assert module_msg == query_msg == lookup_msg
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert failure_run.requests(task + label) == [], task


@pytest.mark.parametrize("label", list(BAD_LOOKUP_INPUT))
def test_bad_lookup_input_is_refused_before_any_request(failure_run: PlaybookRun, label: str) -> None:
    _args, message = BAD_LOOKUP_INPUT[label]
    assert lookup_error(failure_run.result("Query: " + label)) == message
    assert lookup_error(failure_run.result("Lookup: " + label)) == message
    for task in ("Query: ", "Lookup: "):
        assert failure_run.requests(task + label) == [], task


_API_401 = re.compile(
    r"^DigitalOcean API error: GET /v2/snapshots\?page=1&per_page=200 answered HTTP 401; "
    r"unauthorized: Unable to authenticate you; request_id (?P<rid>[0-9a-f-]{36}); after 1 attempt$")


def test_wrong_token_is_a_clear_401(failure_run: PlaybookRun) -> None:
    module = _module_error(failure_run, "wrong token")
    match = _API_401.match(module["msg"])
    assert match, module["msg"]
    assert module["status"] == 401
    assert module["error"] == {"id": "unauthorized", "message": "Unable to authenticate you",
                               "request_id": match.group("rid"), "path": "/v2/snapshots?page=1&per_page=200",
                               "attempts": 1}
    for task in ("Query: ", "Lookup: "):
        message = lookup_error(failure_run.result(task + "wrong token"))
        # The same message, with that request's own request_id.
        assert _API_401.match(message), message
    for task in ("Module: ", "Query: ", "Lookup: "):
        # A 401 is not retried: one request each.
        assert [(r.path, r.status, r.authorized) for r in failure_run.requests(task + "wrong token")] == [
            ("/v2/snapshots", 401, False)], task


def test_unknown_snapshot_is_a_clear_404(failure_run: PlaybookRun) -> None:
    module = _module_error(failure_run, "unknown snapshot_id")
    pattern = re.compile(r"^DigitalOcean API error: GET /v2/snapshots/999 answered HTTP 404; not_found: The resource "
                         r"you were accessing could not be found\.; request_id [0-9a-f-]{36}; after 1 attempt$")
    assert pattern.match(module["msg"]), module["msg"]
    assert module["status"] == 404
    assert module["error"]["id"] == "not_found"
    for task in ("Query: ", "Lookup: "):
        assert pattern.match(lookup_error(failure_run.result(task + "unknown snapshot_id")))


def test_no_traceback_anywhere(failure_run: PlaybookRun) -> None:
    assert "Traceback" not in failure_run.output
    for task in failure_run.tasks:
        for host, result in task.hosts.items():
            # ansible-core 2.19 adds exception: "(traceback unavailable)" to every failure; that is no traceback.
            assert "Traceback" not in json.dumps(result), (task.name, host)


#: A bad value from the environment or a variable: the same words as the same bad option (issue 10 item 9).
SOURCES = {
    "concurrency not a number": ("DIGITALOCEAN_CONCURRENCY", "digitalocean_concurrency", "abc"),
    "total_max_wait negative": ("DIGITALOCEAN_TOTAL_MAX_WAIT", "digitalocean_total_max_wait", "-1"),
}


@pytest.mark.parametrize("label", list(SOURCES))
def test_bad_values_from_the_environment_and_variables_get_the_options_words(
        failure_run: PlaybookRun, ansible: Ansible, sim: Simulator, label: str) -> None:
    variable, var, bad = SOURCES[label]
    expected = _module_error(failure_run, label)["msg"]
    env = ansible.env(sim)
    env[variable] = bad
    from_env = run_cases(ansible, [Case("from the environment", {})], sim=sim, env=env)
    assert from_env.rc == 0, from_env.describe()
    assert _module_error(from_env, "from the environment")["msg"] == expected
    assert lookup_error(from_env.result("Query: from the environment")) == expected
    assert lookup_error(from_env.result("Lookup: from the environment")) == expected
    # A variable (modules read none: the lookup only).
    case = Case("from a variable", {}, module=False)
    from_var = ansible.run("cases.yml", sim=sim, extra_vars={"cases": [case.to_var()], var: bad})
    assert from_var.rc == 0, from_var.describe()
    assert lookup_error(from_var.result("Query: from a variable")) == expected
    assert lookup_error(from_var.result("Lookup: from a variable")) == expected
    for run in (from_env, from_var):
        assert run.requests_sent == []
