# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark ``cpu``: what the client costs in CPU on top of Ansible's own work.

Two plays, run in turns (A B, B A, ...) in one run, against one simulator in this process
(0 ms latency: this is about CPU, not waiting):

- ``snapfleet.digitalocean.snapshot_info`` listing 10,000 snapshots;
- a trivial module (``library/trivial_snapshots.py`` beside the playbook) that returns the
  same 10,000 snapshots, read from a JSON file: Ansible's start-up, the module's transfer
  and the result's way back, without the client.

CPU is user + system of the whole ``ansible-playbook`` process tree (``os.wait4``'s rusage,
which includes every descendant the playbook waited for). The target is the median over
the rounds of (snapfleet - trivial) within a round. A second table breaks the client's own
cost down, from benchmarks/listing.py in a process of its own: importing the client (and
requests), and the listing itself (50 requests, decoding and checking 10,000 snapshots).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from ansible_collections.snapfleet.digitalocean.benchmarks.harness import (
    PYTHON,
    SEED,
    TOKEN,
    Ansible,
    Result,
    Settings,
    Table,
    Target,
    child_env,
    count,
    median,
    run_listing,
    seconds,
    signed_seconds,
    spread,
    tail,
    verdict,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

NAME = "cpu"
LIMIT = 0.15

PLAY = """\
- name: {title}
  hosts: all
  gather_facts: false
  tasks:
    - name: List
      {task}
      register: listed
    - name: Every snapshot is there
      ansible.builtin.assert:
        that: listed.snapshots | length == expected
"""
SNAPFLEET_TASK = """snapfleet.digitalocean.snapshot_info:
        api_url: "{{ sim_url }}"
        token: "{{ sim_token }}\""""
TRIVIAL_TASK = """trivial_snapshots:
        path: "{{ snapshots_file }}\""""
TRIVIAL_MODULE = '''#!/usr/bin/python
"""Return the snapshots of a JSON file: Ansible's cost of a module that returns them, without a client."""
import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(path=dict(type="str", required=True)), supports_check_mode=True)
    with open(module.params["path"], encoding="utf-8") as source:
        snapshots = json.load(source)
    module.exit_json(changed=False, snapshots=snapshots)


if __name__ == "__main__":
    main()
'''


def run(settings: Settings) -> Result:
    """Run both plays in rounds and the listing breakdown; return the tables and the CPU target."""
    n = 1_000 if settings.quick else 10_000
    rounds = settings.reps(9)
    played: list[dict[str, dict[str, float]]] = []  # per round: play -> wall and cpu
    with tempfile.TemporaryDirectory(prefix="snapfleet-bench-cpu-") as tmp, \
            Simulator(snapshots=make_snapshots(count=n, seed=SEED), token=TOKEN, rate_limit=None) as sim:
        work = Path(tmp)
        ansible = Ansible(work, ["localhost"])
        (work / "library").mkdir()
        (work / "library" / "trivial_snapshots.py").write_text(TRIVIAL_MODULE, encoding="utf-8")
        ansible.write("snapfleet.yml", PLAY.format(title="snapfleet.digitalocean.snapshot_info", task=SNAPFLEET_TASK))
        ansible.write("trivial.yml", PLAY.format(title="A trivial module", task=TRIVIAL_TASK))
        extra = {"sim_url": sim.url, "sim_token": TOKEN, "expected": n, "snapshots_file": str(work / "snapshots.json")}
        _write_snapshots(work, sim, n)
        for index in range(-1, rounds):  # round -1 warms the caches (files, compiled modules) and is not counted
            order = ["snapfleet", "trivial"] if index % 2 == 0 else ["trivial", "snapfleet"]
            one = {}
            for who in order:
                rc, wall, cpu, output = ansible.measure(f"{who}.yml", extra)
                if rc != 0:
                    raise RuntimeError(f"{who}.yml failed (rc={rc}):\n{tail(output)}")
                one[who] = {"wall": wall, "cpu": cpu}
            if index >= 0:
                played.append(one)
        breakdown = [run_listing(sim.url, "client") for _rep in range(settings.reps(5))]
        imports = [_import_cpu(sim.url, n, work / "snapshots.json") for _rep in range(settings.reps(5))]

    def cpus(who: str) -> list[float]:
        return [one[who]["cpu"] for one in played]

    extra_cpu = median(one["snapfleet"]["cpu"] - one["trivial"]["cpu"] for one in played)
    table = Table(
        f"CPU of a whole ansible-playbook run returning {count(n)} snapshots (user + system, process tree)",
        ["play", "runs", "CPU, median (min-max)", "wall, median (min-max)", "over the trivial play of the same round"],
    )
    table.add("snapfleet.digitalocean.snapshot_info (simulator, 0 ms)", rounds, spread(cpus("snapfleet")),
              spread([one["snapfleet"]["wall"] for one in played]), signed_seconds(extra_cpu))
    table.add("trivial module returning the same snapshots from a JSON file", rounds, spread(cpus("trivial")),
              spread([one["trivial"]["wall"] for one in played]), "-")
    table.notes = [
        "CPU is `os.wait4`'s rusage of `ansible-playbook` (user + system), which includes every process it waited "
        "for: its workers and the module's own process. The simulator runs in the benchmark's process: not counted.",
        f"{rounds} rounds, each running both plays in alternating order; the difference is the median of the "
        "differences within a round.",
    ]
    parts = Table(
        f"Where the client's CPU goes (benchmarks/listing.py, {count(n)} snapshots, 0 ms)",
        ["part", "runs", "CPU, median (min-max)"],
    )
    parts.add("importing client.py (requests, urllib3, the collection's module_utils)", len(breakdown),
              spread([r["import_cpu"] for r in breakdown]))
    parts.add(f"the listing: {breakdown[0]['requests']} requests, decoding and checking {count(n)} snapshots",
              len(breakdown), spread([r["cpu"] for r in breakdown]))
    parts.add("of the import: http.client and ssl (what a client on the standard library would import too)",
              len(imports), spread([r["stdlib"] for r in imports]))
    parts.add("of the import: requests and urllib3 on top of them", len(imports),
              spread([r["requests"] for r in imports]))
    pages_n = max(1, -(-n // 200))
    parts.add(f"requests alone: {pages_n} GETs on one session and json.loads of each answer (no client)", len(imports),
              spread([r["requests_gets"] for r in imports]))
    parts.add(f"http.client alone: the same {pages_n} GETs and json.loads on one connection", len(imports),
              spread([r["stdlib_gets"] for r in imports]))
    parts.add("json.load of the trivial module's file (what the trivial play does instead)", len(imports),
              spread([r["json_file"] for r in imports]))
    floor = median(r["requests"] + r["stdlib"] + r["requests_gets"] - r["json_file"] for r in imports)
    parts.notes = [
        "process_time() of the listing process around the import and around `Client.list`; the other rows "
        "come from a fresh interpreter that has imported ansible.module_utils.basic, json and "
        "concurrent.futures first (as the module has).",
        f"The floor of any client on requests, before a line of its own: importing http.client, ssl, urllib3 and "
        f"requests, plus the {pages_n} GETs through requests, less the trivial module's json.load: "
        f"{signed_seconds(floor)} (median). A client on the standard library alone would start from "
        f"{signed_seconds(median(r['stdlib'] + r['stdlib_gets'] - r['json_file'] for r in imports))}.",
    ]
    target = Target(
        f"CPU of a whole playbook listing {count(n)} snapshots: at most {seconds(LIMIT)} more than the same play "
        "with a trivial module returning them from a JSON file",
        f"{signed_seconds(extra_cpu)} (median over {rounds} rounds of the difference within a round; medians "
        f"{seconds(median(cpus('snapfleet')))} and {seconds(median(cpus('trivial')))})",
        verdict(extra_cpu <= LIMIT),
    )
    return Result(NAME, [table, parts], [target], {"snapshots": n, "rounds": played, "breakdown": breakdown,
                                                   "imports": imports})


_IMPORTS = """
import sys, time
import ansible.module_utils.basic, concurrent.futures, json
url, token, pages, snapshots_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
started = time.process_time()
import http.client, ssl
stdlib = time.process_time()
import requests
imported = time.process_time()
session = requests.Session()
session.trust_env = False
for number in range(1, pages + 1):
    json.loads(session.get(url + "/v2/snapshots", params={"page": number, "per_page": 200},
                           headers={"Authorization": "Bearer " + token}).content)
through_requests = time.process_time()
host, port = url.split("//", 1)[1].split(":")
connection = http.client.HTTPConnection(host, int(port))
for number in range(1, pages + 1):
    connection.request("GET", "/v2/snapshots?page=%d&per_page=200" % number, headers={"Authorization": "Bearer " + token})
    json.loads(connection.getresponse().read())
through_stdlib = time.process_time()
with open(snapshots_file, encoding="utf-8") as source:
    json.load(source)
print(json.dumps({"stdlib": stdlib - started, "requests": imported - stdlib,
                  "requests_gets": through_requests - imported, "stdlib_gets": through_stdlib - through_requests,
                  "json_file": time.process_time() - through_stdlib}))
"""


def _import_cpu(url: str, n: int, snapshots_file: Path) -> dict[str, float]:
    """CPU seconds, in a fresh interpreter, of importing http.client + ssl, requests on top, the GETs of a listing
    through requests and through http.client alone, and the trivial module's json.load."""
    pages_n = max(1, -(-n // 200))
    done = subprocess.run([PYTHON, "-c", _IMPORTS, url, TOKEN, str(pages_n), str(snapshots_file)],
                          capture_output=True, text=True, env=child_env(), timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write_snapshots(work: Path, sim: Simulator, n: int) -> None:
    """The snapshots as snapshot_info returns them, for the trivial module to read."""

    with Client(TOKEN, api_url=sim.url) as client:
        snapshots = client.list("/v2/snapshots").snapshots
    if len(snapshots) != n:
        raise RuntimeError(f"listed {len(snapshots)} snapshots, expected {n}")
    (work / "snapshots.json").write_text(json.dumps(snapshots), encoding="utf-8")
