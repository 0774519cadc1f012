# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``limits``: listing 60,000 snapshots (300 pages) under DigitalOcean's documented rate limits.

The simulator keeps the documented limits (5,000 requests an hour with a timer per request,
250 a minute that no header reports) at a time scale, so that the "minute" of a run lasts
``60 / TIME_SCALE`` real seconds instead of 60: ``make bench`` stays short, and the shape is
the same (300 pages against a burst of 250 means one full "minute" of waiting whatever its
length). The client is told the same minute (``burst_window``).

The floor the limits allow: the first counted request is counted after one round trip, and
the 251st may be counted only a "minute" after it, so the last answer comes at least
``latency + minute`` after the first request (``latency + (ceil(pages / 250) - 1) * minute``).
The contrast row lets the client ignore the burst limit (``rate_limit_per_minute`` far above
it): the API's 429s and their Retry-After do the pacing then.
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
    pages,
    run_listing,
    seconds,
    span,
    spread,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.tests.simulator import RateLimits, Simulator, make_snapshots

NAME = "limits"
TIME_SCALE = 6.0  # a "minute" of 10 s
MOST_429 = 5  # "a handful"
# Within 25 % of the floor at a 10 s minute: besides the minute, a listing spends a few round trips
# that the floor does not count (the pages after the 250th still go in waves of `concurrency`, and a
# request holds its burst slot until a minute after its answer); against a real minute they weigh 6x less.
SLACK = 1.25


def plan(settings: Settings) -> dict[str, Any]:
    """Sizes of this run: --quick keeps the shape (1.2 bursts of pages) at a tenth of the size."""
    if settings.quick:
        return {"snapshots": 6_000, "burst": 25, "time_scale": 60.0, "latency_ms": 10, "reps": 1}
    return {"snapshots": 60_000, "burst": 250, "time_scale": TIME_SCALE, "latency_ms": 250, "reps": settings.reps(2)}


def run(settings: Settings) -> Result:
    """List the account under the limits, paced and unpaced; return the table and the target."""
    p = plan(settings)
    n, burst = p["snapshots"], p["burst"]
    limits = RateLimits(hourly=5000, burst=burst, time_scale=p["time_scale"])
    minute = limits.minute
    latency = p["latency_ms"] / 1000.0
    n_pages = pages(n)
    floor = latency + (math.ceil(n_pages / burst) - 1) * minute
    runs: dict[str, list[dict[str, Any]]] = {"paced": [], "unpaced": []}
    with Simulator(snapshots=make_snapshots(count=n, seed=SEED), token=TOKEN, latency=latency,
                   rate_limits=limits) as sim:
        for label, per_minute, reps in (("paced", burst, p["reps"]), ("unpaced", 100_000, 1)):
            for _rep in range(reps):
                sim.rate_limits = limits  # forgets every timer: each run starts with the whole budget
                sim.reset_log()
                report = run_listing(sim.url, "client", burst_window=minute, rate_limit_per_minute=per_minute)
                records = sim.requests
                if report["snapshots"] != n:
                    raise RuntimeError(f"{label}: listed {report['snapshots']} snapshots, expected {n}")
                report.update(span=span(records), answers_429=sum(1 for r in records if r.status == 429),
                              server_requests=len(records))
                runs[label].append(report)

    table = Table(
        f"Listing {count(n)} snapshots ({n_pages} pages) under the documented limits (5,000/hour, {burst}/minute), "
        f"a minute lasting {seconds(minute)}",
        ["client", "runs", "requests", "answers of 429", "span first request -> last answer", "floor", "span / floor"],
    )
    for label, title in (("paced", f"paced (rate_limit_per_minute {burst}: the simulator's burst limit)"),
                         ("unpaced", "not paced (rate_limit_per_minute 100000): the API's 429s pace it")):
        rs = runs[label]
        spans = [r["span"] for r in rs]
        table.add(title, len(rs), "/".join(str(r["server_requests"]) for r in rs),
                  "/".join(str(r["answers_429"]) for r in rs), spread(spans), seconds(floor),
                  f"{median(spans) / floor:.2f}")
    table.notes = [
        f"Simulator time scale {p['time_scale']:g}: a minute lasts {seconds(minute)} and an hour "
        f"{seconds(limits.hour)} (`make bench` would otherwise spend a real minute per listing; the shape, one "
        "full minute of waiting for 300 pages, is the same). The client's `burst_window` is set to the same minute.",
        f"Latency {p['latency_ms']} ms before every answer; concurrency is the default. The floor is "
        f"latency + (ceil({n_pages} / {burst}) - 1) x minute: the request after the first {burst} may be counted "
        "only a minute after the first one was.",
    ]
    paced = runs["paced"]
    worst_429 = max(r["answers_429"] for r in paced)
    target = Target(
        f"{count(n)} snapshots ({n_pages} pages) under the documented limits: within {SLACK:.2f}x the floor the "
        f"limits allow and at most {MOST_429} answers of 429",
        f"median span {seconds(median(r['span'] for r in paced))} against a floor of {seconds(floor)} "
        f"({median(r['span'] for r in paced) / floor:.2f}x); 429s per run {[r['answers_429'] for r in paced]} "
        f"(a minute of {seconds(minute)}: time scale {p['time_scale']:g})",
        verdict(median(r["span"] for r in paced) <= SLACK * floor and worst_429 <= MOST_429),
    )
    return Result(NAME, [table], [target], {"plan": p, "floor": floor, "runs": runs})
