# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kept clients never cross a fork (issue 21), in a real ``ansible-playbook -f 8`` run.

The main process looks up first (a templated ``hosts:``) and so keeps a client with an open
keep-alive connection; then 8 forked workers each ask for their own snapshot by id, 15 times.
A worker that inherited the parent's connection would share one socket with its siblings and
read their answers: another host's snapshot, with the play still green.
"""

from __future__ import annotations

import pytest
from conftest import Ansible, PlaybookRun, start_simulator

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

FLEET = 8
ROUNDS = 15


def _hosts() -> list[str]:
    return ["host%02d" % n for n in range(1, FLEET + 1)]


@pytest.fixture(scope="module")
def forked(module_ansible: Ansible) -> tuple[PlaybookRun, Simulator, dict[str, str], str]:
    # A little latency keeps the workers' requests in flight together, as on a real network.
    sim = start_simulator(latency=0.02)
    try:
        ids = [s["id"] for s in sim.snapshots]
        own = dict(zip(_hosts(), ids[:FLEET], strict=True))
        warm = ids[FLEET]
        run = module_ansible.run("forks.yml", sim=sim, fleet=FLEET, forks=FLEET,
                                 extra_vars={"own": own, "warm": warm, "rounds": ROUNDS})
    finally:
        sim.stop()
    assert run.rc == 0, run.describe()
    return run, sim, own, warm


def test_the_main_process_looked_up_before_the_forks(forked: tuple[PlaybookRun, Simulator, dict[str, str], str]) -> None:
    """Guards the test against passing vacuously: the parent really held a client when the workers forked."""
    run, _sim, own, warm = forked
    first = [r for r in run.requests_sent if r.method == "GET"][0]
    assert first.path == "/v2/snapshots/%s" % warm
    assert first.started < run.task("Own snapshot by id").started
    assert len(run.requests_sent) == 1 + FLEET * ROUNDS


def test_every_host_gets_its_own_snapshot(forked: tuple[PlaybookRun, Simulator, dict[str, str], str]) -> None:
    run, _sim, own, _warm = forked
    task = run.task("Own snapshot by id")
    assert sorted(task.hosts) == _hosts()
    wrong = {}
    for host, result in task.hosts.items():
        answers = [item["msg"] for item in result["results"]]
        assert len(answers) == ROUNDS, host
        bad = [answer for answer in answers if answer != [own[host]]]
        if bad:
            wrong[host] = bad
    assert wrong == {}
