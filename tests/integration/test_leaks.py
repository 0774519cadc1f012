# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token never shows (issue 4): not at -vvvv, not in errors, not in results, not in cache files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Ansible, PlaybookRun, ids, lookup_error, lookup_value, start_simulator

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

CANARY = "sekrit-LEAK-CANARY-1234567890"
# Tokens as YAML blocks, vaults and pastes give them: (token, what check_connection says, or None: it works).
# Those with whitespace only around the canary are the canary once stripped; the others hold two
# recognisable halves around a character a header cannot carry.
AWKWARD = [
    (CANARY + "\n", None),
    (CANARY + "\r\n", None),
    ("  \t%s \n" % CANARY, None),
    ("sekritL1-q7w8e9\nsekritR1-z1x2c3", "a line break (character 16 of 31)"),
    ("sekritL2-q7w8e9\r\nsekritR2-z1x2c3", "a line break (character 16 of 32)"),
    ("sekritL3-q7w8e9\tsekritR3-z1x2c3", "a tab (character 16 of 31)"),
    ("sekritL4-q7w8e9\u00e9sekritR4-z1x2c3", "a non-ASCII character (character 16 of 31)"),
]
assert len(AWKWARD) == 7  # leak.yml has one lookup task for each
HALVES = [half for token, refused in AWKWARD if refused for half in (token[:15], token[-15:])]


@pytest.fixture(scope="module")
def leak_run(module_ansible: Ansible, sim: Simulator) -> tuple[PlaybookRun, Simulator, Path]:
    """One -vvvv run; ``ok`` accepts the canary, the suite's ``sim`` answers it 401."""
    assert sim.token != CANARY
    ok = start_simulator(token=CANARY)
    try:
        run = module_ansible.run("leak.yml", sims=[ok, sim], env=module_ansible.env(ok, token=CANARY), verbosity=4,
                                 extra_vars={"ok_url": ok.url, "other_url": sim.url, "leak_token": CANARY,
                                             "awkward_tokens": [token for token, _refused in AWKWARD]})
    finally:
        ok.stop()
    assert run.rc == 0, run.describe()
    return run, ok, module_ansible.workdir


def test_the_tasks_did_what_they_should(leak_run: tuple[PlaybookRun, Simulator, Path]) -> None:
    """Guards the leak checks against passing vacuously (a run that never used the token)."""
    run, ok, _workdir = leak_run
    volumes = [s["id"] for s in ok.snapshots if s["resource_type"] == "volume"]
    first3 = [s["id"] for s in ok.snapshots[:3]]
    assert ids(run.result("Module success, token from the environment")["snapshots"]) == volumes
    assert ids(run.result("Module success, token as an option")["snapshots"]) == first3
    assert ids(lookup_value(run.result("Lookup success, token from the environment"))) == volumes
    assert ids(lookup_value(run.result("Lookup success, token as an option"))) == first3
    assert len(lookup_value(run.result("Lookup with cache, token as an option"))) == len(ok.snapshots)
    assert run.result("Module answered 401")["status"] == 401
    assert "HTTP 401" in lookup_error(run.result("Lookup answered 401"))
    assert "HTTP 401" in lookup_error(run.result("Lookup with cache answered 401"))
    assert run.result("Module refuses per_page 300")["msg"] == "per_page: must be between 1 and 200, got 300"
    assert lookup_error(run.result("Lookup refuses per_page 300")) == "per_page: must be between 1 and 200, got 300"
    assert run.result("Module refuses plain http to a remote host")["msg"].startswith(
        "api_url: refusing to send the API token over plain http to example.com")
    # The canary really was sent, to both APIs.
    for task in ("Module success, token from the environment", "Lookup success, token as an option"):
        assert run.requests(task) and all(r.authorized for r in run.requests(task)), task
    for task in ("Module answered 401", "Lookup answered 401"):
        assert [r.status for r in run.requests(task)] == [401], task
    # -vvvv really is verbose: connection details are shown, and where the core prints the module's
    # arguments (2.16 to 2.20 do), the token among them is masked.
    assert "ESTABLISH LOCAL CONNECTION" in run.stdout
    if '"module_args"' in run.stdout:
        assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout


def test_awkward_tokens_are_stripped_or_refused_before_any_request(leak_run: tuple[PlaybookRun, Simulator, Path]) -> None:
    """Guards the awkward-token checks: each task really used or refused each token."""
    run, ok, _workdir = leak_run
    first_volume = [s["id"] for s in ok.snapshots if s["resource_type"] == "volume"][:1]
    volumes = sorted(s["id"] for s in ok.snapshots if s["resource_type"] == "volume")
    module = run.result("Module, awkward tokens")["results"]
    retention = run.result("Retention, awkward tokens")["results"]
    for index, (_token, refused) in enumerate(AWKWARD):
        if refused is None:
            assert ids(module[index]["snapshots"]) == first_volume, index
            assert ids(lookup_value(run.result("Lookup, awkward token %d" % index))) == first_volume, index
            assert sorted(ids(retention[index]["keep"])) == volumes and retention[index]["prune"] == [], index
        else:
            expected = "token: holds %s, which an HTTP header cannot carry" % refused
            # (2.21 leaves "failed" out of a loop item's result: the message and the missing answer tell.)
            assert module[index]["msg"].startswith(expected) and "snapshots" not in module[index], index
            assert retention[index]["msg"].startswith(expected) and not retention[index].get("keep"), index
            assert lookup_error(run.result("Lookup, awkward token %d" % index)).startswith(expected), index
    # Refused tokens sent nothing; the others were sent stripped (the simulator accepts only the canary).
    for task in ["Module, awkward tokens", "Retention, awkward tokens"] + [
            "Lookup, awkward token %d" % index for index in range(len(AWKWARD))]:
        sent = run.requests(task)
        if task.startswith("Lookup") and AWKWARD[int(task.rsplit(" ", 1)[1])][1]:
            assert sent == [], task
        else:
            assert sent and all(r.authorized for r in sent), task


def test_no_token_in_output(leak_run: tuple[PlaybookRun, Simulator, Path]) -> None:
    run, _ok, _workdir = leak_run
    assert CANARY not in run.stdout
    assert CANARY not in run.stderr
    for half in HALVES:
        assert half not in run.stdout, half
        assert half not in run.stderr, half


def test_no_token_in_results(leak_run: tuple[PlaybookRun, Simulator, Path]) -> None:
    """What a JSON or log callback (AWX, ara) would store."""
    run, _ok, _workdir = leak_run
    for task in run.tasks:
        shown = json.dumps(task.hosts, ensure_ascii=False)
        assert CANARY not in shown, task.name
        for half in HALVES:
            assert half not in shown, (task.name, half)


def test_no_token_in_cache_files(leak_run: tuple[PlaybookRun, Simulator, Path]) -> None:
    _run, _ok, workdir = leak_run
    files = [p for p in (workdir / "lookup-cache").rglob("*") if p.is_file()]
    assert any(p.name.startswith("snapfleet_snapshots_") for p in files), files
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
