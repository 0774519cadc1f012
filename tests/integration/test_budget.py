# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One time budget ends the task (issue 21), in a real ansible-playbook run against a failing API.

Before: once ``total_max_wait`` was spent, the retries went on back to back until ``retries``
ran out (51 attempts and 54 s with ``total_max_wait: 5``), and the message never named the
budget. The bound checked here cannot flake: on the simulator's own clock, no attempt of a task
starts later than its budget plus one request's ``timeout`` after the task's first request.
"""

from __future__ import annotations

import pytest
from conftest import Ansible, PlaybookRun, lookup_error, start_simulator

from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator

BUDGET = 2.0
TIMEOUT = 5.0
RETRIES = 50
TASKS = ("Module", "Lookup", "Retention")


@pytest.fixture(scope="module")
def budget_run(module_ansible: Ansible) -> tuple[PlaybookRun, Simulator]:
    sim = start_simulator()
    sim.add_fault(Fault("status", path="/v2/*", status=503, times=None))
    try:
        run = module_ansible.run("budget.yml", sim=sim, extra_vars={"budget": BUDGET})
    finally:
        sim.stop()
    assert run.rc == 0, run.describe()
    return run, sim


@pytest.mark.parametrize("task", TASKS)
def test_the_task_stops_when_its_budget_is_spent_and_says_so(budget_run: tuple[PlaybookRun, Simulator], task: str) -> None:
    run, _sim = budget_run
    result = run.result(task)
    message = lookup_error(result) if task == "Lookup" else result["msg"]
    assert result["_status"] == "failed"
    assert "answered HTTP 503" in message
    assert "no further attempt: " in message and "total_max_wait (2 s)" in message, message
    sent = run.requests(task)
    assert sent and all(r.status == 503 for r in sent)
    # Far fewer than retries + 1, and every attempt within the budget plus one request's timeout.
    assert len(sent) < RETRIES + 1
    assert sent[-1].started - sent[0].started <= BUDGET + TIMEOUT
    assert message.endswith("after %d attempts" % len(sent)), message
