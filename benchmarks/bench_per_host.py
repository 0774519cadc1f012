# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``per_host``: 20 hosts (5 forks), each asking for the newest snapshot of its own Droplet.

The account holds 2,000 Droplet snapshots (20 Droplets, 100 each; 10 pages of 200). Every host
has its Droplet id as a host variable (``host_vars/hostNN.yml``), and the plays, side by side in
one run, in turns:

- ``module, resource_id``: ``snapshot_info`` with ``resource_id: "{{ droplet_id }}"``, ``sort_by:
  created_at``, ``sort_order: desc``, ``limit: 1``, delegated to localhost (the Droplet route);
- ``module, resource_type: droplet + Jinja``: the account listing, forced with no hidden option: the
  module lists every Droplet snapshot, and Jinja keeps this Droplet's newest;
- ``lookup, resource_id``: the lookup with the same options as the first play;
- ``lookup, resource_type=droplet, cache=true + Jinja``: an account-wide question asked on every
  host, one listing shared by the hosts and forks through the lookup's cache;
- ``lookup, resource_type=droplet + Jinja``: the same without the cache, one listing per host.

Each host writes its answer to a file; every play's answers are checked, field by field, against
the module's account-listing answers and against the snapshots the simulator holds. Requests come
from the simulator's log; wall time is the whole ansible-playbook process.
"""

from __future__ import annotations

import json
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
    pages,
    spread,
    tail,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

NAME = "per_host"

_KEEP = """\
    - name: Keep the answer
      ansible.builtin.copy:
        content: "{{ answer | to_json }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""

_PLAY = """\
- name: Every host asks for the newest snapshot of its own Droplet
  hosts: all
  gather_facts: false
  tasks:
"""

PLAYS = {
    "module_droplet.yml": _PLAY + """\
    - name: Newest snapshot of this host's Droplet
      snapfleet.digitalocean.snapshot_info:
        api_url: "{{ sim_url }}"
        token: "{{ sim_token }}"
        resource_id: "{{ droplet_id }}"
        sort_by: created_at
        sort_order: desc
        limit: 1
      delegate_to: localhost
      register: found
    - name: The answer
      ansible.builtin.set_fact:
        answer: "{{ found.snapshots | first }}"
""" + _KEEP,
    "module_account.yml": _PLAY + """\
    - name: Every Droplet snapshot of the account
      snapfleet.digitalocean.snapshot_info:
        api_url: "{{ sim_url }}"
        token: "{{ sim_token }}"
        resource_type: droplet
      delegate_to: localhost
      register: found
    - name: The answer, this Droplet's newest, in Jinja
      ansible.builtin.set_fact:
        answer: >-
          {{ found.snapshots | selectattr('resource_id', 'equalto', droplet_id)
             | sort(attribute='created_at', reverse=true) | first }}
""" + _KEEP,
    "lookup_droplet.yml": _PLAY + """\
    - name: The answer, from the lookup
      ansible.builtin.set_fact:
        answer: >-
          {{ query('snapfleet.digitalocean.snapshots', api_url=sim_url, token=sim_token, resource_id=droplet_id,
                   sort_by='created_at', sort_order='desc', limit=1) | first }}
""" + _KEEP,
    "lookup_cached.yml": _PLAY + """\
    - name: The answer, from the account listing shared through the cache
      ansible.builtin.set_fact:
        answer: >-
          {{ query('snapfleet.digitalocean.snapshots', api_url=sim_url, token=sim_token, resource_type='droplet',
                   cache=true, cache_connection=cache_dir)
             | selectattr('resource_id', 'equalto', droplet_id) | sort(attribute='created_at', reverse=true) | first }}
""" + _KEEP,
    "lookup_account.yml": _PLAY + """\
    - name: The answer, from the account listing on every host
      ansible.builtin.set_fact:
        answer: >-
          {{ query('snapfleet.digitalocean.snapshots', api_url=sim_url, token=sim_token, resource_type='droplet')
             | selectattr('resource_id', 'equalto', droplet_id) | sort(attribute='created_at', reverse=true) | first }}
""" + _KEEP,
}

# (label, playbook, plan) in the order of the table; the account-listing module play is the reference.
VARIANTS = [
    ("module, resource_id", "module_droplet.yml", "Droplet route"),
    ("module, resource_type: droplet + Jinja", "module_account.yml", "account listing per host"),
    ("lookup, resource_id", "lookup_droplet.yml", "Droplet route"),
    ("lookup, resource_type=droplet, cache=true + Jinja", "lookup_cached.yml", "account listing shared (cache)"),
    ("lookup, resource_type=droplet + Jinja", "lookup_account.yml", "account listing per host"),
]
REFERENCE = "module, resource_type: droplet + Jinja"


def _expected(snaps: list[dict], droplet: str) -> dict:
    """This Droplet's newest snapshot as the plugins return it (tags null is [])."""
    newest = max((s for s in snaps if s["resource_id"] == droplet), key=lambda s: s["created_at"])
    return dict(newest, tags=list(newest["tags"] or []))


def run(settings: Settings) -> Result:
    """Run every play in turns; return the table and the per-host target."""
    n = 400 if settings.quick else 2_000
    nhosts = 5 if settings.quick else 20
    latency_ms = 10 if settings.quick else 50
    reps = settings.reps(3)
    hosts = [f"host{i:02d}" for i in range(1, nhosts + 1)]
    snaps = make_snapshots(count=n, seed=SEED, droplet_share=1.0, droplets=nhosts)
    droplets = list(dict.fromkeys(s["resource_id"] for s in snaps))
    mapping = dict(zip(hosts, droplets, strict=True))
    expected = {host: _expected(snaps, droplet) for host, droplet in mapping.items()}
    runs: dict[str, list[dict[str, Any]]] = {}
    answers: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="snapfleet-bench-per-host-") as tmp, \
            Simulator(snapshots=snaps, token=TOKEN, latency=latency_ms / 1000.0, rate_limit=None) as sim:
        ansible = Ansible(Path(tmp), hosts)
        (Path(tmp) / "host_vars").mkdir()
        for host, droplet in mapping.items():
            ansible.write(f"host_vars/{host}.yml", f'droplet_id: "{droplet}"\n')
        for name, text in PLAYS.items():
            ansible.write(name, text)
        for rep in range(reps):
            order = VARIANTS if rep % 2 == 0 else list(reversed(VARIANTS))
            for label, playbook, _plan in order:
                slug = playbook[:-4]
                out = Path(tmp) / f"out-{slug}-{rep}"
                out.mkdir()
                extra = {"sim_url": sim.url, "sim_token": TOKEN, "out_dir": str(out),
                         "cache_dir": str(Path(tmp) / f"cache-{slug}-{rep}")}
                sim.reset_log()
                rc, wall, output = ansible.run(playbook, extra, "--forks", "5")
                if rc != 0:
                    raise RuntimeError(f"per-host play {label!r} failed (rc={rc}):\n{tail(output)}")
                got = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json"))}
                wrong = sorted(host for host in hosts if got.get(host) != expected[host])
                if wrong:
                    raise RuntimeError(f"per-host play {label!r}: wrong answers for {wrong}")
                answers.setdefault(label, got)
                records = sim.requests
                runs.setdefault(label, []).append({
                    "wall": wall, "requests": len(records),
                    "droplet_listings": sum(1 for r in records if r.path.startswith("/v2/droplets/")),
                    "gets": sum(1 for r in records if r.path.startswith("/v2/snapshots/")),
                    "account_pages": sum(1 for r in records if r.path == "/v2/snapshots"),
                })

    account_pages = pages(n)
    table = Table(
        f"{nhosts} hosts, each asking for its own Droplet's newest snapshot ({count(n)} Droplet snapshots, "
        f"{account_pages} pages of 200; 5 forks, {latency_ms} ms latency)",
        ["pattern", "plan", "runs", "requests", "requests per host", "of which", "wall time of the play, median (min-max)",
         "answers"],
    )
    for label, _playbook, plan in VARIANTS:
        rs = runs[label]
        requests = sorted({r["requests"] for r in rs})
        one = rs[0]
        same = sum(1 for host in hosts if answers[label][host] == answers[REFERENCE][host])
        table.add(label, plan, len(rs), "/".join(map(str, requests)),
                  "/".join(f"{r / nhosts:.1f}" for r in requests),
                  f"{one['droplet_listings']} Droplet listings, {one['gets']} GETs by id, "
                  f"{one['account_pages']} account pages",
                  spread([r["wall"] for r in rs]), f"{same}/{nhosts} as the account listing's")
    table.notes = [
        f"`ansible-playbook` with {nhosts} hosts (connection local, 5 forks); each host's Droplet id is a host "
        "variable; every play writes each host's answer to a file, checked field by field against the snapshots "
        "the simulator holds and against the module's account-listing answers.",
        "The account listing is forced without a hidden option: `resource_type: droplet`, then "
        "`selectattr('resource_id', 'equalto', droplet_id) | sort(attribute='created_at', reverse=true) | first`.",
        "The Droplet route (routes.py): the Droplet's own listing (`GET /v2/droplets/{id}/snapshots`, 1 page), then "
        "`GET /v2/snapshots/{id}` for the one snapshot kept, for its tags.",
        "`cache=true` uses the jsonfile cache plugin in a fresh directory each run: the first host lists, the "
        "others wait on its lock and read its entry. Runs alternate in order (forward, then backward).",
    ]
    ours = sorted({r["requests"] for r in runs["module, resource_id"]} | {r["requests"] for r in runs["lookup, resource_id"]})
    theirs = sorted({r["requests"] for r in runs[REFERENCE]})
    same_all = all(answers[label] == answers[REFERENCE] for label, _p, _plan in VARIANTS)
    targets = [
        Target(f"{nhosts} hosts, each its own Droplet's newest snapshot: at most 2 requests per host, the answers "
               "of the account listing",
               f"module and lookup: {'/'.join(map(str, ours))} requests = "
               f"{'/'.join(f'{r / nhosts:.1f}' for r in ours)} per host; account listing per host: "
               f"{'/'.join(map(str, theirs))}; answers the same: {'yes' if same_all else 'no'}",
               verdict(max(ours) <= 2 * nhosts and same_all)),
    ]
    return Result(NAME, [table], targets, {"snapshots": n, "hosts": nhosts, "latency_ms": latency_ms, "runs": runs})
