# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``lookup``: a template using the ``snapshots`` lookup, rendered for 20 hosts.

Ansible renders a template once per host, each in a worker process of its own, so an
uncached lookup lists the account once per host. With ``cache: true`` the listing is
shared through an Ansible cache plugin (jsonfile, a fresh directory per run) and a lock
keeps forks that ask at the same moment from all listing. Without ``cache`` every use reads the
API, identical uses in one template too (the memo that shared them relied on private ansible-core
names; docs/developer/design.md).

Counted from the simulator's log: requests, and listings (every listing asks page 1 first).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ansible_collections.snapfleet.digitalocean.benchmarks.harness import (
    SEED,
    TOKEN,
    Ansible,
    Result,
    Settings,
    Table,
    Target,
    count,
    listings,
    pages,
    spread,
    tail,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

NAME = "lookup"

LOOKUP = ("{{ query('snapfleet.digitalocean.snapshots', api_url=sim_url, token=sim_token, "
          "cache=use_cache, cache_connection=cache_dir) | length }}\n")

PLAY = """\
- name: Render the report template
  hosts: all
  gather_facts: false
  tasks:
    - name: Render
      ansible.builtin.template:
        src: "{{ template_name }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.txt"
        mode: "0600"
"""


def run(settings: Settings) -> Result:
    """Render each variant in turns; return the table and the two lookup targets."""
    n = 400 if settings.quick else 2_000
    latency_ms = 10 if settings.quick else 50
    hosts = [f"host{i:02d}" for i in range(1, (5 if settings.quick else 20) + 1)]
    reps = settings.reps(3)
    variants = [
        # (label, template, lookups per template, cache, hosts)
        ("uncached", "one.j2", 1, False, len(hosts)),
        ("cached", "one.j2", 1, True, len(hosts)),
        ("five uncached", "five.j2", 5, False, 1),
    ]
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="snapfleet-bench-lookup-") as tmp, \
            Simulator(snapshots=make_snapshots(count=n, seed=SEED), token=TOKEN, latency=latency_ms / 1000.0,
                      rate_limit=None) as sim:
        ansible = Ansible(Path(tmp), hosts)
        ansible.write("play.yml", PLAY)
        ansible.write("one.j2", LOOKUP)
        ansible.write("five.j2", LOOKUP * 5)
        for rep in range(reps):
            for label, template, lookups, cache, nhosts in variants:  # interleaved
                out = Path(tmp) / f"out-{label.replace(' ', '-')}-{rep}"
                out.mkdir()
                extra = {"sim_url": sim.url, "sim_token": TOKEN, "use_cache": cache, "template_name": template,
                         "cache_dir": str(Path(tmp) / f"cache-{rep}-{label.replace(' ', '-')}"), "out_dir": str(out)}
                sim.reset_log()
                args = ("--limit", hosts[0]) if nhosts == 1 else ()
                rc, wall, output = ansible.run("play.yml", extra, *args)
                if rc != 0:
                    raise RuntimeError(f"lookup play ({label}) failed (rc={rc}):\n{tail(output)}")
                rendered = sorted(out.glob("*.txt"))
                wrong = [p.name for p in rendered if p.read_text(encoding="utf-8").split() != [str(n)] * lookups]
                if len(rendered) != nhosts or wrong:
                    raise RuntimeError(f"lookup play ({label}): {len(rendered)} files rendered for {nhosts} hosts, "
                                       f"wrong content in {wrong}")
                records = sim.requests
                runs.setdefault(label, []).append({"wall": wall, "requests": len(records),
                                                   "listings": listings(records)})

    per_listing = pages(n)
    table = Table(
        f"A template with the snapshots lookup ({count(n)} snapshots, {per_listing} requests per listing, "
        f"{latency_ms} ms latency)",
        ["template", "hosts", "lookups per template", "cache", "runs", "listings", "requests sent",
         "wall time of the play, median (min-max)"],
    )
    for label, _template, lookups, cache, nhosts in variants:
        rs = runs[label]
        table.add("5 identical lookups" if lookups > 1 else "1 lookup", nhosts, lookups,
                  "yes" if cache else "no", len(rs), "/".join(map(str, sorted({r["listings"] for r in rs}))),
                  "/".join(map(str, sorted({r["requests"] for r in rs}))), spread([r["wall"] for r in rs]))
    table.notes = [
        f"`ansible-playbook` with {len(hosts)} hosts (connection local, default 5 forks); the `template` task "
        "renders `query('snapfleet.digitalocean.snapshots', ...) | length` and each rendered file is checked.",
        "`cache: yes` uses the default jsonfile cache plugin in a fresh directory each run, so the first host "
        "really lists; the others wait on its lock and read its entry.",
        "The cache saves requests (the API's rate budget), hardly time here: a listing of this size takes a fraction "
        "of a second, and the play's time is Ansible's own work for each host.",
    ]

    def exactly(label: str, listings: int) -> tuple[str, str]:
        found = sorted({r["listings"] for r in runs[label]})
        requests = sorted({r["requests"] for r in runs[label]})
        return (f"listings per run: {found}, requests per run: {requests} ({len(runs[label])} runs)",
                verdict(found == [listings]))

    targets = [
        Target(f"{len(hosts)} hosts, cached lookup: one listing", *exactly("cached", 1)),
        Target("Five identical uncached lookups in one template: one listing each, no more",
               *exactly("five uncached", 5)),
    ]
    return Result(NAME, [table], targets, {"snapshots": n, "latency_ms": latency_ms, "hosts": len(hosts),
                                           "runs": runs})
