# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Serve the simulator from its own process (``make demo``, benchmarks).

Prints ``SIMULATOR_URL=http://127.0.0.1:PORT`` once listening, optionally writes the URL
to ``--ready-file``, and serves until SIGTERM or SIGINT, then exits with code 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .data import Snapshot, make_snapshots
from .models import RateLimit
from .ratelimits import DEFAULT_RATE_LIMITS, RateLimits
from .server import DEFAULT_RATE_LIMIT, Simulator
from .sources import make_sources


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ansible_collections.snapfleet.digitalocean.tests.simulator",
        description="Serve a simulated DigitalOcean snapshot API on loopback.",
    )
    parser.add_argument("--count", type=int, default=300, help="snapshots to generate (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--droplet-share", type=float, default=0.5, help="share of Droplet snapshots")
    parser.add_argument("--volumes", type=int, default=20, help="volumes in the generated pool")
    parser.add_argument("--droplets", type=int, default=50, help="Droplets in the generated pool")
    parser.add_argument("--fixture", type=Path, help="JSON file with a list of snapshots "
                        "(or an object with a 'snapshots' list) to serve instead of generated ones")
    parser.add_argument("--token", default="sim-token", help="accepted bearer token")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 lets the OS choose")
    parser.add_argument("--ready-file", type=Path, help="write the URL here once listening")
    parser.add_argument("--volume-with-no-snapshots", dest="volumes_extra", metavar="UUID",
                        nargs="+", action="extend", default=[], help="extra known volumes")
    parser.add_argument("--droplet-with-no-snapshots", dest="droplets_extra", metavar="ID",
                        nargs="+", action="extend", default=[], help="extra known Droplets")
    parser.add_argument("--orphan-share", type=float, default=0.0,
                        help="share of the snapshots' Droplets and volumes that are gone (their snapshots are orphans)")
    parser.add_argument("--gpu-share", type=float, default=0.0,
                        help="share of the Droplets that are GPU Droplets (GET /v2/droplets lists them with type=gpus)")
    parser.add_argument("--idle-droplets", type=int, default=0, help="Droplets without snapshots in GET /v2/droplets")
    parser.add_argument("--idle-volumes", type=int, default=0, help="volumes without snapshots in GET /v2/volumes")
    parser.add_argument("--read-only-token", dest="read_only_tokens", metavar="TOKEN", nargs="+",
                        action="extend", default=[], help="tokens without the snapshot:delete scope")
    limits = parser.add_argument_group(
        "rate limits", "default: the hourly budget (5000) in a 60 s 'hour', no burst limit; "
        "--documented-limits, --hourly-limit or --burst-limit use the documented model "
        "(per-request timers); --rate-limit uses the legacy fixed window")
    limits.add_argument("--documented-limits", action="store_true",
                        help="DigitalOcean's documented limits: 5000 an hour and 250 a minute")
    limits.add_argument("--hourly-limit", type=int, help="hourly budget (documented: 5000)")
    limits.add_argument("--burst-limit", type=int, help="requests per minute, reported by no header (documented: 250)")
    limits.add_argument("--time-scale", type=float, default=None,
                        help="simulated seconds per real second (60: a minute lasts 1 s; default 1 with "
                        "--documented-limits)")
    limits.add_argument("--rate-limit", type=int, default=None,
                        help=f"legacy: requests per fixed window (e.g. {DEFAULT_RATE_LIMIT.limit}); 0 disables limiting")
    limits.add_argument("--rate-window", type=float, default=DEFAULT_RATE_LIMIT.window,
                        help="legacy: the fixed window in seconds")
    return parser


def _limits(args: argparse.Namespace) -> dict[str, RateLimits | RateLimit | None]:
    """The Simulator's rate-limit arguments for the command line's options."""
    documented = args.documented_limits or args.hourly_limit is not None or args.burst_limit is not None
    if args.rate_limit is not None:
        if documented:
            raise SystemExit("--rate-limit (legacy) cannot be combined with the documented-model options")
        return {"rate_limit": RateLimit(args.rate_limit, args.rate_window) if args.rate_limit > 0 else None}
    if documented:
        base = RateLimits.documented()
        hourly = base.hourly if args.hourly_limit is None else args.hourly_limit
        burst = (base.burst if args.documented_limits else None) if args.burst_limit is None else args.burst_limit
        return {"rate_limits": RateLimits(hourly=hourly, burst=burst, time_scale=args.time_scale or 1.0)}
    if args.time_scale is not None:
        return {"rate_limits": RateLimits(hourly=DEFAULT_RATE_LIMITS.hourly, burst=None, time_scale=args.time_scale)}
    return {"rate_limits": DEFAULT_RATE_LIMITS}


def _load_fixture(path: Path) -> list[Snapshot]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("snapshots")
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of snapshots or an object with a 'snapshots' list")
    return data


def _write_ready(path: Path, url: str) -> None:
    # Write then rename, so a waiting reader never sees a half-written URL.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(url + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until SIGTERM/SIGINT; return the exit code."""
    args = _parser().parse_args(argv)
    if args.fixture is not None:
        snapshots = _load_fixture(args.fixture)
    else:
        snapshots = make_snapshots(count=args.count, seed=args.seed, droplet_share=args.droplet_share,
                                   volumes=args.volumes, droplets=args.droplets)
    limits = _limits(args)
    sources = None
    if args.orphan_share or args.gpu_share or args.idle_droplets or args.idle_volumes:
        sources = make_sources(snapshots, seed=args.seed, orphan_share=args.orphan_share, gpu_share=args.gpu_share,
                               idle_droplets=args.idle_droplets, idle_volumes=args.idle_volumes)
    done = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    sim = Simulator(snapshots=snapshots, token=args.token, latency=args.latency_ms / 1000.0,
                    volumes=args.volumes_extra, droplets=args.droplets_extra,
                    read_only_tokens=args.read_only_tokens, host=args.host, port=args.port, sources=sources, **limits)
    sim.start()
    try:
        # Ready file first: a caller that saw the printed URL may look for the file at once.
        if args.ready_file is not None:
            _write_ready(args.ready_file, sim.url)
        print(f"SIMULATOR_URL={sim.url}", flush=True)
        # A timed wait keeps the main thread responsive to signals.
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
