# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``coverage``: what a coverage question costs for 10,000 snapshots over 500 sources.

The question ``snapshot_coverage_info`` asks: every snapshot, then every Droplet (the default
listing and ``type=gpus``) and volume, then the per-source answer. The API layer and the pure
answer run in this process against the simulator (also in this process); its request log gives
the requests and the span from the first request to the last answer, and the answer's CPU time
is measured alone.
"""

from __future__ import annotations

import datetime
import math
import time
from typing import Any

from ansible_collections.snapfleet.digitalocean.benchmarks.harness import (
    SEED,
    TOKEN,
    Result,
    Settings,
    Table,
    Target,
    count,
    median,
    pages,
    seconds,
    span,
    spread,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.sources import snapshots_and_sources
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.ages import parse_age
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.coverage import coverage
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.simulator.sources import make_sources

NAME = "coverage"


def plan(settings: Settings) -> dict[str, Any]:
    """Sizes, latencies and repetitions of this run."""
    return {
        "snapshots": 1_000 if settings.quick else 10_000,
        # 250 Droplets and 250 volumes named by snapshots, a tenth of them gone, plus 25 of each without
        # snapshots: 500 sources; a fifth of the Droplets are GPU Droplets.
        "resources": 50 if settings.quick else 250,
        "idle": 5 if settings.quick else 25,
        "latencies_ms": (0, 50) if settings.quick else (0, 50, 250),  # 0 first: the target compares with it
        "reps": settings.reps(5),
    }


def run(settings: Settings) -> Result:
    """Ask the coverage question at every latency; return the table and the round-trip target."""
    p = plan(settings)
    n, resources = p["snapshots"], p["resources"]
    snapshots = make_snapshots(count=n, seed=SEED, droplets=resources, volumes=resources)
    sources = make_sources(snapshots, seed=SEED, orphan_share=0.1, gpu_share=0.2, idle_droplets=p["idle"],
                           idle_volumes=p["idle"])
    source_count = len(sources.droplets) + len(sources.volumes)
    gpus = len(sources.gpu_ids)
    expected = (pages(n) + pages(len(sources.droplets) - gpus) + pages(gpus) + pages(len(sources.volumes)))
    max_age = parse_age("max_age", "7d")
    runs: dict[int, list[dict[str, Any]]] = {}
    with Simulator(snapshots=snapshots, token=TOKEN, rate_limit=None, sources=sources) as sim:
        for latency_ms in p["latencies_ms"]:
            sim.latency = latency_ms / 1000.0
            for _rep in range(p["reps"]):
                sim.reset_log()
                started = time.perf_counter()
                with Client(TOKEN, sim.url) as client:
                    listed, found = snapshots_and_sources(client)
                read = time.perf_counter()
                cpu = time.process_time()
                answer = coverage(listed, found, datetime.datetime.now(datetime.timezone.utc), max_age)
                cpu = time.process_time() - cpu
                wall = time.perf_counter() - started
                records = sim.requests
                if answer["summary"]["sources"] != source_count or len(listed) != n:
                    raise RuntimeError("coverage answered %d sources and read %d snapshots, expected %d and %d"
                                       % (answer["summary"]["sources"], len(listed), source_count, n))
                runs.setdefault(latency_ms, []).append({
                    "requests": len(records), "span": span(records), "read": read - started, "answer_cpu": cpu,
                    "wall": wall, "orphans": answer["summary"]["orphaned"]["snapshots"]})
    table = Table(
        f"A coverage question: {count(n)} snapshots over {source_count} sources ({gpus} GPU Droplets)",
        ["latency", "runs", "requests", "span first request -> last answer", "round trips (span / latency)",
         "answer's CPU (coverage())", "wall time in all"],
    )
    for latency_ms in p["latencies_ms"]:
        rs = runs[latency_ms]
        spans = [r["span"] for r in rs]
        trips = "-" if latency_ms == 0 else f"{median(spans) / (latency_ms / 1000.0):.2f}"
        table.add(f"{latency_ms} ms", len(rs), "/".join(map(str, sorted({r["requests"] for r in rs}))),
                  spread(spans), trips, spread([r["answer_cpu"] for r in rs]), spread([r["wall"] for r in rs]))
    table.notes = [
        f"Requests (pages of 200): {pages(n)} of snapshots, then, at the same time, the Droplets' default listing "
        f"({pages(len(sources.droplets) - gpus)}), `type=gpus` ({pages(gpus)}) and the volumes "
        f"({pages(len(sources.volumes))}): {expected} in all.",
        "The snapshots are read first (page 1, then the rest at once: 2 round trips), then the three source "
        "listings run concurrently (2 round trips when one has a second page).",
        "The simulator runs in the benchmark's process; CPU is the pure answer alone, the listings excluded.",
    ]
    slowest = max(p["latencies_ms"])
    rtt = slowest / 1000.0
    spans = [r["span"] for r in runs[slowest]]
    # The span at 0 ms is the work of both sides (the simulator shares this process); what latency adds on top
    # is the round trips the question waits for.
    added = median(spans) - median(r["span"] for r in runs[0])
    exact = all(r["requests"] == expected for rs in runs.values() for r in rs)
    target = Target(
        f"A coverage question over {count(n)} snapshots and {source_count} sources: exactly {expected} requests; "
        f"at {slowest} ms latency adds at most 4 round trips + 0.1 s ({seconds(4 * rtt + 0.1)}) to the span at 0 ms",
        f"requests {sorted({r['requests'] for rs in runs.values() for r in rs})}; median span {seconds(median(spans))} "
        f"at {slowest} ms, {seconds(added)} more than at 0 ms = {added / rtt:.2f} round trips; the answer's CPU "
        f"{seconds(median(r['answer_cpu'] for r in runs[slowest]))}",
        verdict(exact and added <= 4 * rtt + 0.1 and not math.isnan(added)),
    )
    return Result(NAME, [table], [target], {"plan": p, "runs": {str(k): v for k, v in runs.items()}})
