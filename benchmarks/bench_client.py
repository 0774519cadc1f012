"""Benchmark ``client``: listing 10,000 snapshots with the client alone at 0, 50 and 250 ms of latency.

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
    return Result(NAME, [table], [target], {"plan": p, "runs": raw})
