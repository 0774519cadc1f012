# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``client``: listing 10,000 snapshots with the client alone at 0, 50 and 250 ms of latency.

A second table lists the same account at 250 ms with several concurrencies: the default's reason.

Beside the collection's client (200 per page, page 1 then every other page at once), the
sequential strategy of the existing collections, run by the same ``Client``: concurrency 1,
40 per page, plus the account probe community.digitalocean sends first (benchmarks/listing.py).

The simulator runs in this process, so its request log gives the requests sent and the span
from the first request's start to the last answer; each listing runs in a child process of
its own, so its peak RSS is the client's alone.
"""

from __future__ import annotations

import math
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
    megabytes,
    pages,
    ratio,
    run_listing,
    seconds,
    span,
    spread,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.defaults import CONCURRENCY as DEFAULT_CONCURRENCY
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

NAME = "client"
LABELS = {
    "client": "snapfleet client (200/page, page 1 then the rest at once)",
    "sequential": "sequential (community.digitalocean's way: account probe + 40/page, one at a time)",
}


def plan(settings: Settings) -> dict[str, Any]:
    """Sizes, latencies and repetitions of this run."""
    return {
        "snapshots": 1_000 if settings.quick else 10_000,
        "latencies_ms": (0, 10, 50) if settings.quick else (0, 50, 250),
        "reps": {"client": settings.reps(5), "sequential": settings.reps(5)},
        # One sequential listing at 250 ms takes over a minute (251 round trips): three of them,
        # against five of everything else, keep `make bench` near ten minutes.
        "slow_sequential_reps": settings.reps(3),
    }


def run(settings: Settings) -> Result:
    """Measure both strategies at every latency, in turns; return the table and the span target."""
    p = plan(settings)
    n = p["snapshots"]
    slowest = max(p["latencies_ms"])
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    with Simulator(snapshots=make_snapshots(count=n, seed=SEED), token=TOKEN, rate_limit=None) as sim:
        for latency_ms in p["latencies_ms"]:
            sim.latency = latency_ms / 1000.0
            reps = dict(p["reps"])
            if latency_ms == slowest and latency_ms >= 250:
                reps["sequential"] = p["slow_sequential_reps"]
            for rep in range(max(reps.values())):
                for strategy in ("client", "sequential"):  # interleaved: A, B, A, B...
                    if rep >= reps[strategy]:
                        continue
                    sim.reset_log()
                    report = run_listing(sim.url, strategy)
                    records = sim.requests
                    if report["snapshots"] != n:
                        raise RuntimeError(f"{strategy} listed {report['snapshots']} snapshots, expected {n}")
                    report.update(server_requests=len(records), span=span(records), max_in_flight=sim.max_in_flight)
                    runs.setdefault((latency_ms, strategy), []).append(report)

    table = Table(
        f"Listing {count(n)} snapshots with the client alone",
        ["latency", "strategy", "runs", "requests", "wall time, median (min-max)", "round trips (wall / latency)",
         "span first request -> last answer", "peak RSS of the process", "wall vs snapfleet client"],
    )
    for latency_ms in p["latencies_ms"]:
        base = median(r["wall"] for r in runs[(latency_ms, "client")])
        for strategy in ("client", "sequential"):
            rs = runs[(latency_ms, strategy)]
            walls = [r["wall"] for r in rs]
            trips = "-" if latency_ms == 0 else f"{median(walls) / (latency_ms / 1000.0):.1f}"
            requests = sorted({r["server_requests"] for r in rs})
            table.add(f"{latency_ms} ms", LABELS[strategy], len(rs), "/".join(map(str, requests)), spread(walls),
                      trips, spread([r["span"] for r in rs]), spread([r["rss_peak_kib"] for r in rs], megabytes),
                      "1x" if strategy == "client" else ratio(median(walls), base))
    table.notes = [
        "Both strategies are the same `Client` class (retries, checks, parsing); only concurrency, page size and "
        "the probe differ. The sequential row models community.digitalocean 1.27.0 exactly in requests: "
        "one `GET /v2/account` (answered 404 by the simulator, which community.digitalocean ignores), then "
        "`per_page=40` one page at a time: 1 + 250 requests for 10,000 snapshots.",
        "Requests are counted by the simulator (its rate limit is off, so that repeated listings never meet a 429). "
        "Wall time is the listing alone, timed inside a child process "
        "(interpreter start-up and imports excluded); peak RSS is that process's ru_maxrss (interpreter, "
        "`requests` and the listing).",
        "Runs alternate between the strategies (A, B, A, B...)."
        + (f" At {slowest} ms a sequential listing takes over a minute: it runs {p['slow_sequential_reps']} times, "
           "the client as often as at the other latencies." if slowest >= 250 else ""),
    ]

    slow = runs[(slowest, "client")]
    limit = 3 * slowest / 1000.0 + 0.1
    expected = pages(n)
    spans = [r["span"] for r in slow]
    exact = all(r["server_requests"] == expected for r in slow)
    target = Target(
        f"{count(n)} snapshots at {slowest} ms: span first request -> last answer <= 3 round trips + 0.1 s "
        f"({seconds(limit)}), exactly {expected} requests",
        f"median span {seconds(median(spans))} = {median(spans) / (slowest / 1000.0):.2f} round trips "
        f"(worst {seconds(max(spans))}, {len(spans)} runs); requests {sorted({r['server_requests'] for r in slow})}",
        verdict(median(spans) <= limit and exact and not math.isnan(median(spans))),
    )
    raw = {f"{latency}ms/{strategy}": rs for (latency, strategy), rs in runs.items()}
    sweep_table, sweep_target, sweep_raw = concurrency_sweep(settings, n, slowest)
    raw["concurrency"] = sweep_raw
    return Result(NAME, [table, sweep_table], [target, sweep_target], {"plan": p, "runs": raw})


def concurrency_sweep(settings: Settings, n: int, latency_ms: int) -> tuple[Table, Target, dict[str, Any]]:
    """The same listing at several concurrencies: what the default buys, in round trips."""
    levels = (8, DEFAULT_CONCURRENCY) if settings.quick else (8, 16, 25, 32, DEFAULT_CONCURRENCY, 64)
    reps = settings.reps(3)
    found: dict[int, list[dict[str, Any]]] = {level: [] for level in levels}
    with Simulator(snapshots=make_snapshots(count=n, seed=SEED), token=TOKEN, rate_limit=None,
                   latency=latency_ms / 1000.0) as sim:
        for _rep in range(reps):
            for level in levels:  # interleaved
                sim.reset_log()
                report = run_listing(sim.url, "client", concurrency=level)
                records = sim.requests
                report.update(span=span(records), max_in_flight=sim.max_in_flight, server_requests=len(records))
                found[level].append(report)
    rtt = latency_ms / 1000.0
    table = Table(
        f"Concurrency: {count(n)} snapshots ({pages(n)} pages) at {latency_ms} ms",
        ["concurrency", "runs", "span first request -> last answer", "round trips", "waves after page 1",
         "most in flight (simulator)"],
    )
    for level in levels:
        spans = [r["span"] for r in found[level]]
        table.add(level if level != DEFAULT_CONCURRENCY else f"{level} (the default)", len(spans), spread(spans),
                  f"{median(spans) / rtt:.2f}", math.ceil((pages(n) - 1) / level),
                  max(r["max_in_flight"] for r in found[level]))
    table.notes = [
        f"Page 1 tells the total, then the other pages go in waves of `concurrency`: ceil({pages(n) - 1} / c) waves "
        "after page 1. For 10,000 snapshots (50 pages), 25 to 48 need two waves, three round trips in all, and "
        "the client's own work on the last wave passes the target; 49 and more need one wave. The default, 50, is "
        "the smallest round number that does; concurrency adds no requests, and the pacer keeps any of them "
        "within the burst limit (250 a minute).",
    ]
    spans = [r["span"] for r in found[DEFAULT_CONCURRENCY]]
    target = Target(
        f"The default concurrency ({DEFAULT_CONCURRENCY}) lists {count(n)} snapshots at {latency_ms} ms within 3 "
        "round trips + 0.1 s",
        f"median span {seconds(median(spans))} = {median(spans) / rtt:.2f} round trips",
        verdict(median(spans) <= 3 * rtt + 0.1),
    )
    return table, target, {str(level): rs for level, rs in found.items()}
