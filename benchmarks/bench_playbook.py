"""Benchmark ``playbook``: a whole ansible-playbook run listing 10,000 snapshots.

Three plays, in turns, against one simulator in this process:

- ``snapfleet.digitalocean.snapshot_info`` at 100 ms of latency;
- community.digitalocean 1.27.0's ``digital_ocean_snapshot_info`` at 100 ms (its ``baseurl``
  points at the simulator; ``oauth_token`` is its token option);
- ``snapfleet.digitalocean.snapshot_info`` at 0 ms: what Ansible itself costs to start, run
  a module and carry 10,000 results back.

Each play registers the result and asserts it holds every snapshot, so a play that lists
less fails instead of looking fast. Wall time is the whole ansible-playbook process.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ansible_collections.snapfleet.digitalocean.benchmarks import community
from ansible_collections.snapfleet.digitalocean.benchmarks.harness import (
    SEED,
    TOKEN,
    Ansible,
    Result,
    Settings,
    Table,
    Target,
    count,
    median,
    ratio,
    seconds,
    signed_seconds,
    spread,
    tail,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

NAME = "playbook"

SNAPFLEET_PLAY = """\
- name: List every snapshot with snapfleet.digitalocean
  hosts: all
  gather_facts: false
  tasks:
    - name: List
      snapfleet.digitalocean.snapshot_info:
        api_url: "{{ sim_url }}"
        token: "{{ sim_token }}"
      register: listed
    - name: Every snapshot is there
      ansible.builtin.assert:
        that: listed.snapshots | length == expected
"""

COMMUNITY_PLAY = """\
- name: List every snapshot with community.digitalocean
  hosts: all
  gather_facts: false
  tasks:
    - name: List
      community.digitalocean.digital_ocean_snapshot_info:
        baseurl: "{{ sim_url }}/v2"
        oauth_token: "{{ sim_token }}"
      register: listed
    - name: Every snapshot is there
      ansible.builtin.assert:
        that: listed.data | length == expected
"""


def run(settings: Settings) -> Result:
    """Run the three plays in turns; return the table and the two playbook targets."""
    n = 1_000 if settings.quick else 10_000
    latency_ms = 50 if settings.quick else 100
    reps = settings.reps(3)
    if settings.quick:
        collections, unavailable = None, "not run with --quick"
    else:
        collections, unavailable = community.ensure()
    plays: list[tuple[str, str, int]] = [("snapfleet", "snapfleet.yml", latency_ms)]
    if collections is not None:
        plays.append(("community", "community.yml", latency_ms))
    plays.append(("snapfleet", "snapfleet.yml", 0))

    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="snapfleet-bench-play-") as tmp, \
            Simulator(snapshots=make_snapshots(count=n, seed=SEED), token=TOKEN, rate_limit=None) as sim:
        ansible = Ansible(Path(tmp), ["localhost"], [collections] if collections is not None else [])
        ansible.write("snapfleet.yml", SNAPFLEET_PLAY)
        ansible.write("community.yml", COMMUNITY_PLAY)
        extra = {"sim_url": sim.url, "sim_token": TOKEN, "expected": n}
        for _rep in range(reps):
            for who, playbook, latency in plays:  # interleaved: A, B, C, A, B, C...
                sim.latency = latency / 1000.0
                sim.reset_log()
                rc, wall, output = ansible.run(playbook, extra)
                if rc != 0:
                    raise RuntimeError(f"{playbook} at {latency} ms failed (rc={rc}):\n{tail(output)}")
                runs.setdefault((who, latency), []).append({"wall": wall, "requests": len(sim.requests)})

    def walls(key: tuple[str, int]) -> list[float]:
        return [r["wall"] for r in runs.get(key, [])]

    ours, ours0, theirs = median(walls(("snapfleet", latency_ms))), median(walls(("snapfleet", 0))), \
        median(walls(("community", latency_ms)))
    table = Table(
        f"A whole ansible-playbook run listing {count(n)} snapshots (one host, connection local)",
        ["play", "latency", "runs", "requests", "wall time, median (min-max)", "vs snapfleet at the same latency",
         "extra over the 0 ms play"],
    )
    for who, latency, label in (("snapfleet", latency_ms, "snapfleet.digitalocean.snapshot_info"),
                                ("community", latency_ms, f"community.digitalocean {community.VERSION} "
                                 "digital_ocean_snapshot_info"),
                                ("snapfleet", 0, "snapfleet.digitalocean.snapshot_info")):
        rs = runs.get((who, latency))
        if not rs:
            table.add(label, f"{latency} ms", 0, "-", f"unavailable: {unavailable}", "-", "-")
            continue
        m = median(r["wall"] for r in rs)
        extra_time = "-" if latency == 0 else \
            f"{signed_seconds(m - ours0)} = {(m - ours0) / (latency / 1000.0):.1f} round trips"
        table.add(label, f"{latency} ms", len(rs), "/".join(map(str, sorted({r["requests"] for r in rs}))),
                  spread([r["wall"] for r in rs]), "1x" if who == "snapfleet" else ratio(m, ours), extra_time)
    table.notes = [
        "Wall time covers the whole `ansible-playbook` process: start-up, the module run on localhost "
        "(`ansible_connection=local`, the venv's Python) and returning the result to the controller, plus an "
        "`assert` that the result holds every snapshot.",
        f"community.digitalocean {community.VERSION} (from the `ansible` {community.ANSIBLE_VERSION} package on "
        "PyPI, extracted into `.cache/bench/collections`) sends `GET /v2/account` first, then `per_page=40` "
        "one page at a time, following `links.pages.next`; its `baseurl` option points at the simulator "
        "(plain http on loopback works with its `fetch_url`).",
        "Plays alternate (snapfleet at latency, community.digitalocean, snapfleet at 0 ms, and again).",
    ]

    limit_rt = 4
    targets = [
        Target(f"Whole playbook, {count(n)} snapshots at {latency_ms} ms: at most 1/10 of the time "
               f"community.digitalocean {community.VERSION} takes in the same run",
               f"unavailable: {unavailable}" if collections is None else
               f"{seconds(ours)} vs {seconds(theirs)} = {ours / theirs:.3f} of its time ({theirs / ours:.1f}x faster)",
               "n/a" if collections is None else verdict(ours <= theirs / 10)),
        Target(f"Whole playbook, {count(n)} snapshots at {latency_ms} ms: within {limit_rt} round trips "
               f"({seconds(limit_rt * latency_ms / 1000.0)}) of the same play at 0 ms",
               f"{seconds(ours)} vs {seconds(ours0)}: {signed_seconds(ours - ours0)} = "
               f"{(ours - ours0) / (latency_ms / 1000.0):.1f} round trips",
               verdict(ours - ours0 <= limit_rt * latency_ms / 1000.0)),
    ]
    raw = {f"{who}/{latency}ms": rs for (who, latency), rs in runs.items()}
    return Result(NAME, [table], targets, {"snapshots": n, "latency_ms": latency_ms, "community": unavailable or
                                           str(collections), "runs": raw})
