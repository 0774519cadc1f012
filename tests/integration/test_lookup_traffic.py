# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lookup costs in requests (issue 3), counted in the simulator's request log.

450 snapshots at per_page 200: one listing is exactly 3 requests.
"""

from __future__ import annotations

import json
import math
import stat
from pathlib import Path

import pytest
from conftest import CACHE_PREFIX, Ansible, PlaybookRun, ids, lookup_value, start_simulator

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

FLEET = 20


@pytest.fixture(scope="module")
def traffic(module_ansible: Ansible, sim: Simulator) -> tuple[PlaybookRun, Path]:
    run = module_ansible.run("lookup_traffic.yml", sim=sim, fleet=FLEET, forks=5)
    assert run.rc == 0, run.describe()
    return run, module_ansible.cache_dir


def _listing(sim: Simulator) -> list[tuple[str, dict]]:
    """The requests of one listing of the whole account."""
    pages = math.ceil(len(sim.snapshots) / 200)
    return [("/v2/snapshots", {"page": str(n), "per_page": "200"}) for n in range(1, pages + 1)]


def _sent(run: PlaybookRun, task: str) -> list[tuple[str, dict]]:
    return sorted(((r.path, r.query) for r in run.requests(task)), key=lambda pq: int(pq[1]["page"]))


def _hosts() -> list[str]:
    return ["host%02d" % n for n in range(1, FLEET + 1)]


def test_five_uses_in_one_task_list_five_times(traffic: tuple[PlaybookRun, Path], sim: Simulator) -> None:
    run, _cache = traffic
    snaps = sim.snapshots
    droplets = sum(1 for s in snaps if s["resource_type"] == "droplet")
    value = lookup_value(run.result("Five uses of one query in one task"))
    assert [str(v) for v in value] == [str(len(snaps)), snaps[0]["id"], snaps[-1]["id"], str(droplets),
                                       str(len(snaps) - droplets)]
    # No memo: each use reads the API (a variable set once, or cache: true, shares one listing).
    assert _sent(run, "Five uses of one query in one task") == sorted(_listing(sim) * 5, key=lambda pq: int(pq[1]["page"]))


def test_cache_lists_once_for_twenty_hosts(traffic: tuple[PlaybookRun, Path], sim: Simulator) -> None:
    run, _cache = traffic
    everything = [s["id"] for s in sim.snapshots]
    in_fra1 = [s["id"] for s in sim.snapshots if "fra1" in s["regions"]]
    for host in _hosts():
        assert lookup_value(run.result("Cached lookup on every host", host)) == everything, host
        assert lookup_value(run.result("Cached lookup again with a client-side filter", host)) == in_fra1, host
    # One listing for 20 hosts and 5 forks; the second task, with other filters, reads the same entry.
    assert _sent(run, "Cached lookup on every host") == _listing(sim)
    assert run.requests("Cached lookup again with a client-side filter") == []


def test_without_cache_every_host_lists(traffic: tuple[PlaybookRun, Path], sim: Simulator) -> None:
    run, _cache = traffic
    everything = [s["id"] for s in sim.snapshots]
    for host in _hosts():
        assert lookup_value(run.result("Uncached lookup on every host", host)) == everything, host
    # The difference the cache makes: one listing per host.
    assert _sent(run, "Uncached lookup on every host") == sorted(_listing(sim) * FLEET, key=lambda pq: int(pq[1]["page"]))


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if p.name.startswith(CACHE_PREFIX))


def test_cache_holds_one_listing_and_no_token(traffic: tuple[PlaybookRun, Path], sim: Simulator) -> None:
    _run, cache = traffic
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    entries = _entries(cache)
    assert len(entries) == 1, sorted(p.name for p in cache.iterdir())
    entry = json.loads(entries[0].read_text(encoding="utf-8"))
    if "__payload__" in entry:
        # ansible-core 2.19 cache plugins wrap each value as {"__payload__": "<JSON text>"}.
        entry = json.loads(entry["__payload__"])
    # The entry is the listing itself.
    assert ids(entry["listing"]["snapshots"]) == [s["id"] for s in sim.snapshots]
    assert entry["listing"]["total"] == len(sim.snapshots)
    for path in cache.rglob("*"):
        if path.is_dir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
        else:
            assert sim.token.encode() not in path.read_bytes(), path


def test_cache_files_are_owner_only(traffic: tuple[PlaybookRun, Path]) -> None:
    _run, cache = traffic
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in cache.rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {"0o600"}, modes


def test_until_polls_read_again_and_see_a_new_snapshot(ansible: Ansible) -> None:
    """``until: query(...) | length > 0`` with retries sees the snapshot the simulator creates after 2 listings."""
    server = start_simulator()
    try:
        pages = math.ceil(len(server.snapshots) / 200)
        server.after_list_pages(2 * pages, lambda s: s.create(name="fresh-1"))
        run = ansible.run("polling.yml", sim=server)
        assert run.rc == 0, run.describe()
        polled = run.result("Poll until a fresh snapshot is listed")
        assert polled["_status"] == "ok", polled
        # Two readings without it, the third with it: every retry listed the account again.
        assert polled["attempts"] == 3, polled
        assert len(run.requests("Poll until a fresh snapshot is listed")) == 3 * pages
        assert lookup_value(run.result("The fresh snapshot")) == ["fresh-1"]
        # With cache: true the retries read the cache, which is what the user asked for: one listing.
        assert len(run.requests("Poll with the cache on reads the cache, as documented")) == pages
    finally:
        server.stop()
