# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``memory``: the client's peak memory listing 10,000 and 100,000 snapshots.

The simulator runs from its CLI in a process of its own and each listing in another
(benchmarks/listing.py), so the figures are the client's alone. Two measures:

- peak RSS of the listing process (getrusage ru_maxrss): what the 300 MB target is about;
  it includes the interpreter and ``requests``, and "growth" is peak RSS less the RSS just
  before the first request;
- tracemalloc's peak of the Python heap during the listing, from a separate run (tracing
  slows the listing and adds its own memory, so it never shares a run with the RSS figure).

The growth at 100,000 against 10,000 shows whether memory grows linearly (10x the
snapshots should cost about 10x, not more).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from ansible_collections.snapfleet.digitalocean.benchmarks.harness import (
    Result,
    Settings,
    Table,
    Target,
    count,
    median,
    megabytes,
    run_listing,
    simulator_process,
    spread,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.defaults import CONCURRENCY as DEFAULT_CONCURRENCY

NAME = "memory"
LIMIT_MIB = 300


def run(settings: Settings) -> Result:
    """List each size several times, in turns, plus one traced run each; return the table and the target."""
    sizes = (1_000, 10_000) if settings.quick else (10_000, 100_000)
    reps = settings.reps(3)
    runs: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    traced: dict[int, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        urls = {size: stack.enter_context(simulator_process(size)) for size in sizes}
        for _rep in range(reps):
            for size in sizes:  # interleaved
                report = run_listing(urls[size], "client")
                if report["snapshots"] != size:
                    raise RuntimeError(f"listed {report['snapshots']} snapshots, expected {size}")
                runs[size].append(report)
        for size in sizes:
            traced[size] = run_listing(urls[size], "client", tracemalloc=True)

    def growth(size: int) -> float:
        return median(r["rss_peak_kib"] - r["rss_before_kib"] for r in runs[size])

    table = Table(
        "Peak memory of the client alone (listing process; simulator in another process)",
        ["snapshots", "requests", "runs", "peak RSS, median (min-max)", "RSS before the listing", "growth",
         "growth per snapshot", "tracemalloc peak (Python heap)", "wall time (0 ms latency)"],
    )
    for size in sizes:
        rs = runs[size]
        table.add(count(size), "/".join(map(str, sorted({r["requests"] for r in rs}))), len(rs),
                  spread([r["rss_peak_kib"] for r in rs], megabytes), megabytes(median(r["rss_before_kib"] for r in rs)),
                  megabytes(growth(size)), f"{growth(size) * 1024 / size:,.0f} bytes",
                  megabytes(traced[size]["traced_peak_bytes"] / 1024), spread([r["wall"] for r in rs]))
    small, large = sizes
    scale = growth(large) / growth(small) if growth(small) > 0 else math.nan
    table.notes = [
        f"{large // small}x the snapshots cost {scale:.1f}x the growth in RSS "
        f"(tracemalloc: {traced[large]['traced_peak_bytes'] / max(1, traced[small]['traced_peak_bytes']):.1f}x).",
        "The listing keeps every snapshot (the API's dicts, as the plugins return them) until it returns; "
        f"pages in flight are at most {DEFAULT_CONCURRENCY} answers of 200 snapshots (the default concurrency).",
    ]
    peak = median(r["rss_peak_kib"] for r in runs[large])
    target = Target(
        f"Memory grows linearly: {count(large)} snapshots listed by the client alone under {LIMIT_MIB} MB peak",
        f"peak RSS {megabytes(peak)} (max {megabytes(max(r['rss_peak_kib'] for r in runs[large]))}); growth "
        f"{megabytes(growth(small))} for {count(small)}, {megabytes(growth(large))} for {count(large)} "
        f"({scale:.1f}x for {large // small}x)",
        verdict(max(r["rss_peak_kib"] for r in runs[large]) < LIMIT_MIB * 1024),
    )
    return Result(NAME, [table], [target], {"sizes": list(sizes), "runs": {str(k): v for k, v in runs.items()},
                                            "traced": {str(k): v for k, v in traced.items()}})
