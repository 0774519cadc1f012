# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the benchmarks against the simulator and write the results (``make bench``).

    python benchmarks/run.py                  # everything; writes benchmarks/results.md
    python benchmarks/run.py --only client    # one benchmark (repeatable); writes .cache/bench/results-client.md
    python benchmarks/run.py --quick          # tiny sizes, one run each, no community.digitalocean (smoke test)

Benchmarks: client (the client alone at 0/50/250 ms beside the sequential strategy, and the
default concurrency), limits (60,000 snapshots under the documented rate limits), playbook
(whole ansible-playbook runs beside community.digitalocean 1.27.0), cpu (the CPU a playbook
spends on the client, against a trivial module returning the same snapshots), lookup
(a template rendered for 20 hosts, with and without cache), memory (10,000 and 100,000
snapshots), per_host (20 hosts asking for their own Droplet's newest snapshot: the Droplet
plan beside the account listing), coverage (a coverage question: 10,000 snapshots over 500 sources, in
requests and time). Each prints its table as it finishes; the file gets all of them and the
target verdicts. Raw measurements go beside it as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Benchmark this work tree, imported as the installed collection would be (`make venv` links
# .collections/ansible_collections/snapfleet/digitalocean to it), also when run outside `make`.
if str(REPO / ".collections") not in sys.path:
    sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.snapfleet.digitalocean.benchmarks import (  # noqa: E402
    bench_client,
    bench_coverage,
    bench_cpu,
    bench_limits,
    bench_lookup,
    bench_memory,
    bench_per_host,
    bench_playbook,
)
from ansible_collections.snapfleet.digitalocean.benchmarks.harness import (  # noqa: E402
    CACHE,
    Result,
    Settings,
    Table,
)

BENCHMARKS = {module.NAME: module
              for module in (bench_client, bench_limits, bench_playbook, bench_cpu, bench_lookup, bench_memory,
                             bench_per_host, bench_coverage)}
RESULTS = REPO / "benchmarks" / "results.md"


def machine() -> str:
    """One line about where the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal:")))
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def versions() -> str:
    """Python, ansible-core, requests and the work tree's commit."""
    import requests  # pylint: disable=import-outside-toplevel
    from ansible.release import __version__ as ansible_core  # pylint: disable=import-outside-toplevel

    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    return (f"Python {platform.python_version()}, ansible-core {ansible_core}, requests {requests.__version__}; "
            f"work tree at `{commit}`")


def targets_table(results: Sequence[Result]) -> Table:
    """Every target of the run with its verdict."""
    table = Table("Targets", ["#", "target", "measured", "verdict"])
    number = 0
    for result in results:
        for target in result.targets:
            number += 1
            table.add(number, target.promise, target.measured, target.verdict)
    return table


def load() -> str:
    """The 1-minute load average: other work on the machine inflates CPU-bound times."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def render(results: Sequence[Result], errors: dict[str, str], settings: Settings, started: datetime.datetime,
           seconds_taken: float, loads: tuple[str, str]) -> str:
    """The whole results file."""
    lines = [
        "# snapfleet.digitalocean benchmarks",
        "",
        "Measured against the API simulator (`tests/simulator`, a real HTTP server on 127.0.0.1) with injected "
        "latency before every answer. This machine is noisy: every figure is the median of several runs taken "
        "in turns (A, B, A, B...), with (min-max) beside it; comparisons are ratios of medians. A round trip "
        "is the injected latency; \"round trips\" is wall time divided by it.",
        "",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}; the run took {seconds_taken / 60:.1f} minutes.",
        f"- Machine: {machine()}; 1-minute load average {loads[0]} at the start, {loads[1]} at the end "
        "(other work on the machine inflates CPU-bound times, such as Ansible's own).",
        f"- Software: {versions()}.",
        "- Reproduce: `make bench` (or `python benchmarks/run.py [--only NAME] [--quick]`).",
    ]
    if settings.quick:
        lines += ["", "**Quick run (`--quick`): tiny sizes, one run each, no community.digitalocean. "
                  "The verdicts below are about these sizes, not the targets' own.**"]
    lines.append("")
    lines.append(targets_table(results).markdown())
    for result in results:
        lines.append(f"## {result.name}")
        lines.append("")
        lines.append(f"Took {result.raw['seconds']:.0f} s; 1-minute load average {result.raw['load'][0]} before, "
                     f"{result.raw['load'][1]} after.")
        lines.append("")
        lines.extend(table.markdown() for table in result.tables)
    for name, error in errors.items():
        lines += [f"## {name}", "", "**The benchmark failed:**", "", "```", error.strip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks, print each table, write the results; 1 if a benchmark crashed."""
    parser = argparse.ArgumentParser(description="Benchmarks of snapfleet.digitalocean against the simulator.")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                        help="run this benchmark only (repeatable): " + ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one run each, no community.digitalocean (the smoke test)")
    parser.add_argument("--repeat", type=int, help="runs of every measurement (default: 5 client, 3 others)")
    parser.add_argument("--output", type=Path, help="results file (default: benchmarks/results.md for a full "
                        "run, .cache/bench/results-*.md otherwise)")
    parser.add_argument("--json", type=Path, help="raw measurements (default: beside --output as .json, or "
                        ".cache/bench/ for benchmarks/results.md)")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    names = [name for name in BENCHMARKS if not args.only or name in args.only]
    settings = Settings(quick=args.quick, repeat=args.repeat)
    output = args.output
    if output is None:
        full = not args.only and not args.quick and args.repeat is None
        label = "-".join((["quick"] if args.quick else []) + (names if args.only else []))
        output = RESULTS if full else CACHE / f"results-{label or 'repeat'}.md"
    raw_path = args.json or (CACHE / "results.json" if output == RESULTS else output.with_suffix(".json"))

    started = datetime.datetime.now(datetime.timezone.utc)
    load_at_start = load()
    clock = time.monotonic()
    results: list[Result] = []
    errors: dict[str, str] = {}
    for name in names:
        print(f"==> {name}", flush=True)
        began, load_before = time.monotonic(), load()
        try:
            result = BENCHMARKS[name].run(settings)
        except Exception:  # pylint: disable=broad-exception-caught
            # A crashed benchmark is reported in the results; the others still run.
            errors[name] = traceback.format_exc()
            print(errors[name], file=sys.stderr, flush=True)
            continue
        result.raw["seconds"] = time.monotonic() - began
        result.raw["load"] = [load_before, load()]
        results.append(result)
        for table in result.tables:
            print(table.markdown(), flush=True)
        for target in result.targets:
            print(f"[{target.verdict}] {target.promise}: {target.measured}", flush=True)
        print(f"<== {name} in {result.raw['seconds']:.0f} s\n", flush=True)

    text = render(results, errors, settings, started, time.monotonic() - clock, (load_at_start, load()))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path.write_text(json.dumps({"quick": settings.quick, "results": {r.name: r.raw for r in results},
                                    "targets": [t.__dict__ for r in results for t in r.targets],
                                    "errors": errors}, indent=1, default=str), encoding="utf-8")
    print(targets_table(results).markdown())
    verdicts = [t.verdict for r in results for t in r.targets]
    print(f"{verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, {verdicts.count('n/a')} n/a; "
          f"{len(errors)} benchmark(s) crashed. Written to {output} (raw: {raw_path}).")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
