# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One whole listing by the client alone, in a process of its own; prints what it cost as JSON.

    python -m ansible_collections.snapfleet.digitalocean.benchmarks.listing \\
        --url http://127.0.0.1:PORT --token T --strategy client|sequential [--tracemalloc]

A process of its own so that its peak RSS is the listing's (plus the interpreter and
``requests``), never the simulator's. The JSON line holds: ``snapshots`` listed,
``requests`` the client sent, ``wall`` seconds of the listing, ``cpu`` its CPU seconds
(process_time), ``import_cpu`` the CPU seconds of importing the client, ``rss_before_kib`` (after
imports, before the first request), ``rss_peak_kib`` (getrusage's ru_maxrss, the
process's peak) and ``traced_peak_bytes`` (tracemalloc's peak during the listing, only
with ``--tracemalloc``, which slows the listing: never time a traced run).

Strategies, both the same ``Client`` (one paging path, retries, checks):

- ``client``: the collection's defaults, 200 per page, page 1 then every other page at
  once (the default concurrency, api/defaults.py CONCURRENCY);
- ``sequential``: community.digitalocean 1.27.0's strategy: one ``GET /v2/account``
  probe (its DigitalOceanHelper sends one whenever it is built; only a 401 stops it),
  then 40 per page, one request at a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence

_IMPORT_STARTED = time.process_time()
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client  # noqa: E402
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.defaults import CONCURRENCY as DEFAULT_CONCURRENCY  # noqa: E402
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError  # noqa: E402

IMPORT_CPU = time.process_time() - _IMPORT_STARTED

STRATEGIES = {
    "client": {"concurrency": DEFAULT_CONCURRENCY, "per_page": 200, "probe": False},
    "sequential": {"concurrency": 1, "per_page": 40, "probe": True},
}


def rss_now_kib() -> float:
    """Resident memory of this process right now (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return rss_peak_kib()


def rss_peak_kib() -> float:
    """Peak resident memory of this process; ru_maxrss is KiB on Linux, bytes on macOS."""
    peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak / 1024 if sys.platform == "darwin" else peak


def main(argv: Sequence[str] | None = None) -> int:
    """List, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), default="client")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap's peak")
    parser.add_argument("--concurrency", type=int, help="instead of the strategy's")
    parser.add_argument("--burst-window", type=float, default=60.0,
                        help="seconds of the burst limit's minute (a simulator's time scale)")
    parser.add_argument("--rate-limit-per-minute", type=int, default=250, help="the burst limit the client keeps to")
    args = parser.parse_args(argv)
    strategy = STRATEGIES[args.strategy]

    client = Client(args.token, api_url=args.url, concurrency=args.concurrency or int(strategy["concurrency"]),
                    burst_window=args.burst_window, rate_limit_per_minute=args.rate_limit_per_minute)
    rss_before = rss_now_kib()
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if strategy["probe"]:
        try:
            client.transport.get_json("GET", "/v2/account")
        except APIError as exc:
            # The simulator has no /v2/account (404); community.digitalocean stops only on a 401.
            if exc.status == 401:
                raise
    listing = client.list("/v2/snapshots", per_page=int(strategy["per_page"]))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    report = {
        "strategy": args.strategy,
        "snapshots": len(listing.snapshots),
        "total": listing.total,
        "requests": client.requests_sent,
        "wall": wall,
        "cpu": cpu,
        "import_cpu": IMPORT_CPU,
        "rss_before_kib": rss_before,
        "rss_peak_kib": rss_peak_kib(),
        "traced_peak_bytes": traced_peak,
    }
    client.close()
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
