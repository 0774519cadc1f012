# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Orphans, coverage and cost through real ansible-playbook runs (playbooks/sources.yml), in one run.

The oracle is the simulator's own data: which resources ``make_sources`` left out (the
orphans' sources), which Droplets are GPU Droplets, and the snapshots as created; every
expected number is computed here from that data with fractions, never by the collection.
"""

from __future__ import annotations

import datetime
import typing as t
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import Ansible, PlaybookRun, ids, lookup_error, lookup_value

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.simulator.sources import Source, make_sources

NOW = datetime.datetime.now(datetime.timezone.utc)
START = (NOW - datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
WEAK = "weak-token-no-droplet-read"
PROD_IDLE = "123456789"  # an env:prod Droplet with no snapshot: stale whatever max_age says


def _epoch(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def _cost(snapshot: dict, price: str = "0.06") -> Fraction:
    return max(Fraction(str(snapshot["size_gigabytes"])) * Fraction(price), Fraction("0.01"))


class Data(t.NamedTuple):
    sim: Simulator
    snapshots: list[dict]
    gone: set[str]
    gpu: set[str]
    run: PlaybookRun
    before: list[dict]
    after: list[dict]


@pytest.fixture(scope="module")
def data(module_ansible: Ansible) -> t.Iterator[Data]:
    snapshots = make_snapshots(count=300, seed=19, droplets=20, volumes=8, start=START)
    sources = make_sources(snapshots, seed=19, orphan_share=0.25, gpu_share=0.3, idle_droplets=3, idle_volumes=2)
    sources.droplets[PROD_IDLE] = Source(PROD_IDLE, "prod-idle", "nyc1", ["env:prod"])
    sim = Simulator(snapshots=snapshots, token="sim-token", sources=sources,
                    denied_scopes={WEAK: ["droplet:read"]}).start()
    try:
        before = sim.snapshots
        run = module_ansible.run("sources.yml", sim=sim, extra_vars={"weak_token": WEAK})
        yield Data(sim, snapshots, set(sources.orphaned), set(sources.gpu_ids), run, before, sim.snapshots)
    finally:
        sim.stop()


def _orphans(data: Data, kind: t.Optional[str] = None) -> list[dict]:
    return [s for s in data.before if s["resource_id"].lower() in data.gone and kind in (None, s["resource_type"])]


def test_the_data_has_every_kind(data: Data) -> None:
    droplets = {s["resource_id"] for s in data.snapshots if s["resource_type"] == "droplet"}
    assert droplets & data.gpu and droplets - data.gpu - data.gone and droplets & data.gone
    cutoff = NOW.timestamp() - 2 * 86400
    assert any(_epoch(s["created_at"]) < cutoff for s in _orphans(data))
    assert any(_epoch(s["created_at"]) >= cutoff for s in _orphans(data))


def test_snapshot_info_orphaned(data: Data) -> None:
    result = data.run.result("Info orphaned")
    assert ids(result["snapshots"]) == ids(_orphans(data)), data.run.describe()
    volumes = [s for s in data.before if s["resource_type"] == "volume" and s["resource_id"].lower() not in data.gone]
    result = data.run.result("Info volume snapshots with a source")
    assert ids(result["snapshots"]) == ids(volumes)
    assert {r.path for r in data.run.requests("Info volume snapshots with a source")} == {"/v2/snapshots", "/v2/volumes"}


def test_lookup_orphaned(data: Data) -> None:
    assert ids(lookup_value(data.run.result("Lookup orphaned Droplet snapshots"))) == ids(_orphans(data, "droplet"))
    requests = data.run.requests("Lookup orphaned Droplet snapshots")
    assert {(r.path, r.query.get("type")) for r in requests if r.path == "/v2/droplets"} == {
        ("/v2/droplets", None), ("/v2/droplets", "gpus")}
    message = lookup_error(data.run.result("Lookup forbidden"))
    assert "HTTP 403" in message and "droplet:read" in message and WEAK not in data.run.output


def test_coverage(data: Data) -> None:
    result = data.run.result("Coverage")
    assert result["_status"] == "ok" and result["changed"] is False
    mine: dict[tuple[str, str], list[dict]] = {}
    for s in data.before:
        mine.setdefault((s["resource_type"], s["resource_id"].lower()), []).append(s)
    entries = result["sources"]
    assert {e["id"] for e in entries if e["resource_type"] == "droplet"} >= data.gpu  # GPU Droplets are sources
    assert not {e["id"].lower() for e in entries} & data.gone
    stale = []
    for entry in entries:
        snaps = mine.get((entry["resource_type"], entry["id"].lower()), [])
        assert entry["snapshot_count"] == len(snaps)
        assert entry["monthly_cost"] == float(sum((_cost(s) for s in snaps), Fraction(0)))
        if snaps:
            newest = max(snaps, key=lambda s: s["created_at"])
            assert entry["newest"]["id"] == newest["id"]
            is_stale = entry["newest_age_seconds"] > 5 * 86400
            assert abs(entry["newest_age_seconds"] - (NOW.timestamp() - _epoch(newest["created_at"]))) < 600
        else:
            is_stale = True
        assert entry["stale"] is is_stale
        if is_stale:
            stale.append(entry["id"])
    assert ids(result["stale"]) == stale and PROD_IDLE in stale
    orphans = _orphans(data)
    assert ids(result["orphaned"]) == ids(orphans)
    assert result["summary"]["orphaned"] == {
        "snapshots": len(orphans),
        "size_gigabytes": float(sum(Fraction(str(s["size_gigabytes"])) for s in orphans)),
        "monthly_cost": float(sum(_cost(s) for s in orphans))}
    assert result["summary"]["sources"] == len(entries) and result["summary"]["stale"] == len(stale)
    prod = data.run.result("Coverage fails when a source is stale")
    assert prod["_status"] == "failed" and PROD_IDLE in ids(prod["stale"])  # failed_when, as the docs show
    assert all("env:prod" in e["tags"] and e["resource_type"] == "droplet" for e in prod["sources"])
    paths = {r.path for r in data.run.requests("Coverage fails when a source is stale")}
    assert paths == {"/v2/snapshots", "/v2/droplets"}
    forbidden = data.run.result("Coverage forbidden")
    assert forbidden["_status"] == "failed" and "droplet:read" in forbidden["msg"] and forbidden["status"] == 403


def test_pruning_orphans(data: Data) -> None:
    forbidden = data.run.result("Retention forbidden")
    assert forbidden["_status"] == "failed" and "droplet:read" in forbidden["msg"]
    assert not [r for r in data.run.requests("Retention forbidden") if r.method == "DELETE"]
    cutoff = NOW.timestamp() - 2 * 86400
    old = [s for s in _orphans(data) if _epoch(s["created_at"]) < cutoff]
    check = data.run.result("Retention orphans check")
    assert sorted(ids(check["prune"])) == sorted(ids(old)) and check["changed"] is True
    assert not [r for r in data.run.requests("Retention orphans check") if r.method == "DELETE"]
    # Strict: the snapshots and each source listing read until two whole reads agree.
    firsts = [(r.path, r.query.get("type")) for r in data.run.requests("Retention orphans check")
              if r.query.get("page") == "1"]
    for listing in (("/v2/snapshots", None), ("/v2/droplets", None), ("/v2/droplets", "gpus"), ("/v2/volumes", None)):
        assert firsts.count(listing) >= 2, (listing, firsts)
    savings = {"snapshots": len(old), "size_gigabytes": float(sum(Fraction(str(s["size_gigabytes"])) for s in old)),
               "monthly_cost": float(sum(_cost(s) for s in old))}
    assert check["savings"] == savings
    real = data.run.result("Retention orphans")
    assert sorted(real["deleted"]) == sorted(ids(old)), data.run.describe()
    assert real["savings"] == savings
    assert ids(data.after) == [s["id"] for s in data.before if s["id"] not in set(ids(old))]
    young = [s for s in _orphans(data) if _epoch(s["created_at"]) >= cutoff]
    assert ids(data.run.result("Info orphaned after")["snapshots"]) == ids(young)


# ---------------------------------------------------------------------------- the HTML report's three sections

def _usd(value: Fraction) -> str:
    cents = Decimal(value.numerator) / Decimal(value.denominator)
    return "${:,.2f}".format(cents.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _gb(value: Fraction) -> str:
    return "{:,.2f}".format(Decimal(value.numerator) / Decimal(value.denominator))


def test_report_sections(module_ansible: Ansible) -> None:
    """examples/report.yml: orphans, stale sources, cost per region and per source, from the simulator's data."""
    from test_report import parse, texts

    snapshots = make_snapshots(count=300, seed=19, droplets=20, volumes=8, start=START)
    sources = make_sources(snapshots, seed=19, orphan_share=0.25, gpu_share=0.3, idle_droplets=3, idle_volumes=2)
    output = module_ansible.workdir / "report.html"
    sim = Simulator(snapshots=snapshots, token="sim-token", sources=sources).start()
    try:
        run = module_ansible.run(str(Path(__file__).resolve().parents[2] / "examples" / "report.yml"), sim=sim,
                                 extra_vars={"report_output": str(output), "report_max_age": "2d"})
    finally:
        sim.stop()
    assert run.rc == 0, run.describe()
    report = parse(output)
    orphans = [s for s in snapshots if s["resource_id"].lower() in sources.orphaned]
    assert report.text_by_id["orphans-count"] == str(len(orphans))
    assert report.text_by_id["orphans-size"] == _gb(sum(Fraction(str(s["size_gigabytes"])) for s in orphans))
    assert report.text_by_id["orphans-cost"] == _usd(sum(_cost(s) for s in orphans))
    assert [row[1] for row in texts(report.tables["orphans"]["tbody"])] == [s["name"] for s in orphans]
    assert [row[4] for row in texts(report.tables["orphans"]["tbody"])] == [_usd(_cost(s)) for s in orphans]
    # Stale: no snapshot newer than 2 days (or none); in the order of the sources (Droplets by the two listings).
    book = [("droplet", d) for d in sorted(sources.droplets, key=lambda d: (d in sources.gpu_ids, int(d)))]
    book += [("volume", v) for v in sorted(sources.volumes)]
    mine = {(kind, rid): [s for s in snapshots if s["resource_type"] == kind and s["resource_id"].lower() == rid]
            for kind, rid in book}
    cutoff = NOW.timestamp() - 2 * 86400
    stale = [rid for key, rid in ((key, key[1]) for key in book)
             if not mine[key] or max(_epoch(s["created_at"]) for s in mine[key]) < cutoff]
    assert [row[2].lower() for row in texts(report.tables["stale"]["tbody"])] == stale
    assert report.text_by_id["stale-count"] == str(len(stale))
    # Cost per region: each source's snapshots under the source's region.
    regions: dict[str, list[tuple[str, str]]] = {}
    for kind, rid in book:
        record = (sources.droplets if kind == "droplet" else sources.volumes)[rid]
        regions.setdefault(record.region, []).append((kind, rid))
    expected = []
    for region in sorted(regions):
        snaps = [s for key in regions[region] for s in mine[key]]
        expected.append([region, str(len(regions[region])), str(len(snaps)),
                         _gb(sum((Fraction(str(s["size_gigabytes"])) for s in snaps), Fraction(0))),
                         _usd(sum((_cost(s) for s in snaps), Fraction(0)))])
    assert texts(report.tables["cost-by-region"]["tbody"]) == expected
    per_source = texts(report.tables["cost-by-source"]["tbody"])
    assert len(per_source) == sum(1 for key in book if mine[key])
    costliest = max((key for key in book if mine[key]), key=lambda key: sum(_cost(s) for s in mine[key]))
    assert per_source[0][2].lower() == costliest[1]
