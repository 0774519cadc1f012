# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A job as AWX and Automation Platform run it: ansible-runner, the token from a credential, -vvvv.

AWX runs each job with ansible-runner in a private data directory: the project's playbook in
``project/``, the inventory in ``inventory/``, and the environment its credentials inject in
``env/envvars``. This test lays out such a directory, injects the token exactly as README.md's
credential type says (its injector template rendered with the credential's input), runs the job
at verbosity 4 against the simulator, and then reads what AWX would store and show: the job's
events and stdout, the whole artifacts directory. The module and the lookup must answer right,
and the token must appear nowhere in it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import ansible_runner
import jinja2
import pytest
import yaml

import ansible_collections.snapfleet.digitalocean.tests.simulator as simulator_package
from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

# The directory holding ansible_collections/ (the Makefile's .collections link, or an install).
COLLECTIONS_DIR = Path(simulator_package.__file__).parents[5]
CANARY = "dop_v1_AWX-CREDENTIAL-CANARY-0123456789abcdef"
#: the caller's variables that must not reach the job (AWX starts jobs with a clean environment)
CALLER_PREFIXES = ("ANSIBLE_", "DIGITALOCEAN_", "DO_", "SNAPFLEET_")

PLAYBOOK = """\
---
- name: A job template's playbook; the token comes from the credential, never from here
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Volume snapshots through the module
      snapfleet.digitalocean.snapshot_info:
        resource_type: volume
      register: volumes

    - name: Droplet snapshot ids through the lookup
      ansible.builtin.set_fact:
        droplet_ids: "{{ query('snapfleet.digitalocean.snapshots', resource_type='droplet') | map(attribute='id') | list }}"

    - name: Report what both answered
      ansible.builtin.set_stats:
        data:
          volume_ids: "{{ volumes.snapshots | map(attribute='id') | list }}"
          volume_total: "{{ volumes.meta.total }}"
          droplet_ids: "{{ droplet_ids }}"
        per_host: false
"""


def _credential_env(readme, token: str) -> dict:
    """The environment README.md's credential type injects for a credential holding ``token``."""
    inputs, injectors = readme("credential-type")
    assert [field["id"] for field in inputs["fields"]] == ["token"]
    assert inputs["fields"][0]["secret"] is True and inputs["required"] == ["token"]
    # AWX renders each injector value as a Jinja template over the credential's inputs.
    return {name: jinja2.Template(value).render(token=token) for name, value in injectors["env"].items()}


@pytest.fixture(scope="module")
def sim() -> Simulator:
    server = Simulator(snapshots=make_snapshots(count=120, seed=11), token=CANARY).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory, sim: Simulator, readme):
    """One job run by ansible-runner at -vvvv; returns (runner, private data dir)."""
    data = tmp_path_factory.mktemp("awx-job")
    (data / "project").mkdir()
    (data / "project" / "job.yml").write_text(PLAYBOOK, encoding="utf-8")
    (data / "inventory").mkdir()
    (data / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    empty_config = data / "ansible.cfg"
    empty_config.write_text("", encoding="utf-8")
    envvars = _credential_env(readme, CANARY)
    assert envvars == {"DIGITALOCEAN_TOKEN": CANARY}
    envvars.update(
        # what the job template and the EE provide: the API (here the simulator), the collection
        DIGITALOCEAN_API_URL=sim.url,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
        ANSIBLE_CONFIG=str(empty_config),
        HOME=str(data / "home"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        ANSIBLE_NOCOLOR="1",
    )
    (data / "env").mkdir()
    (data / "env" / "envvars").write_text(yaml.safe_dump(envvars), encoding="utf-8")
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith(CALLER_PREFIXES)}
    try:
        runner = ansible_runner.run(private_data_dir=str(data), playbook="job.yml", verbosity=4, quiet=True,
                                    ident="job")
    finally:
        os.environ.update(saved)
    return runner, data


def test_the_job_succeeds_and_both_plugins_answer_right(job, sim: Simulator) -> None:
    runner, _data = job
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()[-4000:]
    recorded = None
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            recorded = event["event_data"].get("artifact_data")
    assert recorded is not None, "the job reported no stats"
    assert recorded["volume_ids"] == [s["id"] for s in sim.snapshots if s["resource_type"] == "volume"]
    assert int(recorded["volume_total"]) == len(recorded["volume_ids"])
    assert recorded["droplet_ids"] == [s["id"] for s in sim.snapshots if s["resource_type"] == "droplet"]
    # the token really was sent, on every request
    assert sim.requests and all(request.authorized for request in sim.requests)


def test_the_job_ran_at_verbosity_4(job) -> None:
    runner, _data = job
    assert "-vvvv" in runner.config.command
    stdout = (Path(runner.config.artifact_dir) / "stdout").read_text(encoding="utf-8")
    # -vvvv shows the module's arguments and the connection plumbing
    assert "ESTABLISH LOCAL CONNECTION" in stdout
    assert '"resource_type": "volume"' in stdout


def test_the_token_is_in_none_of_the_events_or_the_output(job) -> None:
    runner, _data = job
    artifacts = Path(runner.config.artifact_dir)
    events = sorted((artifacts / "job_events").glob("*.json"))
    assert len(events) > 10, "too few events to mean anything"
    for path in events:
        assert CANARY not in path.read_text(encoding="utf-8"), path.name
    assert CANARY not in runner.stdout.read()
    for event in runner.events:
        assert CANARY not in json.dumps(event), event.get("event")
    # ansible-runner's ``command`` record holds the environment it was handed: the credential's
    # injection itself (AWX keeps its own copy with secret inputs redacted), not something the job
    # produced. It shows the token did arrive the way the credential type injects it.
    command = json.loads((artifacts / "command").read_text(encoding="utf-8"))
    assert command["env"]["DIGITALOCEAN_TOKEN"] == CANARY
    # everything else of the job (status, rc, fact cache, ...)
    for path in artifacts.rglob("*"):
        if path.is_file() and path.name != "command":
            assert CANARY.encode() not in path.read_bytes(), str(path.relative_to(artifacts))
