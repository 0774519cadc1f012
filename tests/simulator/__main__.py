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
from .server import DEFAULT_RATE_LIMIT, Simulator


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
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT.limit,
                        help="requests per window; 0 disables limiting")
    parser.add_argument("--rate-window", type=float, default=DEFAULT_RATE_LIMIT.window,
                        help="rate limit window in seconds")
    return parser


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
    rate_limit = RateLimit(args.rate_limit, args.rate_window) if args.rate_limit > 0 else None
    done = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    sim = Simulator(snapshots=snapshots, token=args.token, latency=args.latency_ms / 1000.0,
                    volumes=args.volumes_extra, host=args.host, port=args.port, rate_limit=rate_limit)
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
