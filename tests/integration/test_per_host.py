# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-host questions (issue 13): each host asks about its own Droplet, in a real ansible-playbook run.

900 snapshots, 90 % of them of 21 Droplets; host01..host20 each have one of the first 20 Droplets,
host20's was destroyed (its endpoint answers 404, its snapshots stay listed). The answers and the
requests of every task are computed here, in Python, from ``sim.snapshots`` and the Droplet route's
rule written out (docs/developer/design.md), never by calling the collection's code.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
from conftest import Ansible, PlaybookRun, as_returned, lookup_value, start_simulator

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

FLEET = 20
PER_PAGE = 200
TAG = "env:prod"
# Tags varied within the Droplet asked the single questions (the generator gives a Droplet's
# snapshots the same tags), null included.
TAG_CYCLE = (["env:prod", "web"], None, [], ["env:prod"], ["web", "backup"], ["env:staging"])


def _hosts() -> list[str]:
    return ["host%02d" % n for n in range(1, FLEET + 1)]


def _data() -> tuple[list[dict], dict[str, str], str]:
    snaps = make_snapshots(count=900, seed=13, droplet_share=0.9, droplets=21, volumes=3)
    droplets = list(dict.fromkeys(s["resource_id"] for s in snaps if s["resource_type"] == "droplet"))
    mapping = dict(zip(_hosts(), droplets[:FLEET], strict=True))
    tagged = droplets[FLEET]  # no host's: the single questions do not disturb the per-host ones
    for index, snapshot in enumerate(s for s in snaps if s["resource_id"] == tagged):
        tags = TAG_CYCLE[index % len(TAG_CYCLE)]
        snapshot["tags"] = None if tags is None else list(tags)
    return snaps, mapping, tagged


@pytest.fixture(scope="module")
def world() -> tuple[Simulator, dict[str, str], str]:
    snaps, mapping, tagged = _data()
    server = start_simulator(snapshots=snaps)
    server.destroy_droplet(mapping["host20"])
    try:
        yield server, mapping, tagged
    finally:
        server.stop()


@pytest.fixture(scope="module")
def per_host(module_ansible: Ansible, world: tuple[Simulator, dict[str, str], str]) -> PlaybookRun:
    sim, mapping, tagged = world
    run = module_ansible.run("per_host.yml", sim=sim, fleet=FLEET, forks=5,
                             extra_vars={"droplets": mapping, "tagged": tagged, "tag": TAG})
    assert run.rc == 0, run.describe()
    return run


def _of(sim: Simulator, droplet: str) -> list[dict]:
    return [s for s in sim.snapshots if s["resource_id"] == droplet]


def _newest(snaps: list[dict], count: int = 1) -> list[dict]:
    return sorted(snaps, key=lambda s: s["created_at"], reverse=True)[:count]


def _account_pages(sim: Simulator) -> list[tuple[str, str]]:
    total = sum(1 for s in sim.snapshots if s["resource_type"] == "droplet")
    return [("/v2/snapshots", str(n)) for n in range(1, max(1, math.ceil(total / PER_PAGE)) + 1)]


def _sent(run: PlaybookRun, task: str) -> Counter:
    """The requests of a task as a multiset of (path, page); asserts each list request asked per_page 200."""
    requests = run.requests(task)
    assert all(r.query.get("per_page", str(PER_PAGE)) == str(PER_PAGE) for r in requests)
    assert all(r.query.get("resource_type", "droplet") == "droplet" for r in requests)
    return Counter((r.path, r.query.get("page")) for r in requests)


def _per_host(sim: Simulator, mapping: dict[str, str], completions: int) -> Counter:
    """What the fleet task costs: each live Droplet its listing (1 page) + ``completions`` GETs, newest first;
    host20's destroyed Droplet a 404 then the account's Droplet snapshots."""
    expected: Counter = Counter()
    for host, droplet in mapping.items():
        expected[("/v2/droplets/%s/snapshots" % droplet, "1")] += 1
        if host == "host20":
            expected.update(_account_pages(sim))
            continue
        expected.update(("/v2/snapshots/" + s["id"], None) for s in _newest(_of(sim, droplet), completions))
    return expected


def test_the_data_is_what_the_costs_assume(world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, mapping, tagged = world
    assert len(_account_pages(sim)) == 5  # 810 Droplet snapshots or so: 5 pages of 200
    assert all(0 < len(_of(sim, d)) <= PER_PAGE for d in [*mapping.values(), tagged])  # one page each
    assert 3 < len([s for s in _of(sim, tagged) if TAG in (s["tags"] or [])])


def test_every_host_gets_its_newest_snapshot_from_the_module(
        per_host: PlaybookRun, world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, mapping, _tagged = world
    for host, droplet in mapping.items():
        result = per_host.result("Newest snapshot, module", host)
        assert result["snapshots"] == [as_returned(s) for s in _newest(_of(sim, droplet))], host
        assert result["meta"] == {"total": len(_of(sim, droplet))}, host  # the Droplet's snapshots
        assert result["links"] == {}


def test_the_module_costs_two_requests_per_host(per_host: PlaybookRun,
                                                world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, mapping, _tagged = world
    sent = _sent(per_host, "Newest snapshot, module")
    assert sent == _per_host(sim, mapping, 1)
    # 19 hosts at 2 requests; the destroyed Droplet's host 1 + 5.
    assert sum(sent.values()) == 19 * 2 + 1 + 5
    # What the account listing asked for every host would have cost: 20 x 5 pages.
    assert sum(sent.values()) < FLEET * len(_account_pages(sim))


def test_every_host_gets_the_same_answer_from_the_lookup(per_host: PlaybookRun,
                                                         world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, mapping, _tagged = world
    for host, droplet in mapping.items():
        assert lookup_value(per_host.result("Newest snapshot, lookup", host)) == [
            as_returned(s) for s in _newest(_of(sim, droplet))], host
    assert _sent(per_host, "Newest snapshot, lookup") == _per_host(sim, mapping, 1)


def test_fields_without_tags_cost_one_request_per_host(per_host: PlaybookRun,
                                                       world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, mapping, _tagged = world
    for host, droplet in mapping.items():
        result = per_host.result("Names only, module", host)
        assert result["snapshots"] == [{"id": s["id"], "name": s["name"], "created_at": s["created_at"]}
                                       for s in _of(sim, droplet)], host
    assert _sent(per_host, "Names only, module") == _per_host(sim, mapping, 0)


def test_three_with_tags_probe_then_complete(per_host: PlaybookRun, world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, _mapping, tagged = world
    three = _newest(_of(sim, tagged), 3)
    assert per_host.result("Three newest with their tags, module")["snapshots"] == [as_returned(s) for s in three]
    # 3 GETs > 2: page 1 of the account listing says 4 pages are left, more than 3 GETs: 1 + 1 + 3.
    gets = [("/v2/snapshots/" + s["id"], None) for s in three]
    assert _sent(per_host, "Three newest with their tags, module") == Counter(
        [("/v2/droplets/%s/snapshots" % tagged, "1"), ("/v2/snapshots", "1")] + gets)


def test_the_tags_filter_takes_the_account_listing(per_host: PlaybookRun,
                                                   world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, _mapping, tagged = world
    with_tag = [s for s in _of(sim, tagged) if TAG in (s["tags"] or [])]
    result = per_host.result("Tags filter, module")
    assert result["snapshots"] == [as_returned(s) for s in _newest(with_tag)]
    assert result["meta"] == {"total": len(_of(sim, tagged))}
    # Every one of the Droplet's snapshots would need a GET: the Droplet's page, then the 5 account pages
    # (page 1, the probe, read once).
    assert _sent(per_host, "Tags filter, module") == Counter(
        [("/v2/droplets/%s/snapshots" % tagged, "1")] + _account_pages(sim))


def test_group_by_tag_through_the_lookup(per_host: PlaybookRun, world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, _mapping, tagged = world
    groups: dict[str, list[dict]] = {}
    for snapshot in _of(sim, tagged):
        for tag in dict.fromkeys(snapshot["tags"] or []):
            groups.setdefault(tag, []).append({"id": snapshot["id"]})
    value = lookup_value(per_host.result("Grouped by tag, lookup"))
    assert value == groups and list(value) == list(groups)
    assert _sent(per_host, "Grouped by tag, lookup") == Counter(
        [("/v2/droplets/%s/snapshots" % tagged, "1")] + _account_pages(sim))


def test_strict_reads_the_droplet_listing_twice(per_host: PlaybookRun,
                                                world: tuple[Simulator, dict[str, str], str]) -> None:
    sim, _mapping, tagged = world
    newest = _newest(_of(sim, tagged))
    assert per_host.result("Newest, strict, module")["snapshots"] == [as_returned(s) for s in newest]
    assert _sent(per_host, "Newest, strict, module") == Counter(
        {("/v2/droplets/%s/snapshots" % tagged, "1"): 2, ("/v2/snapshots/" + newest[0]["id"], None): 1})
