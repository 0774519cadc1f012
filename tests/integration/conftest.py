# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the integration tests: a simulator, and real ``ansible-playbook`` runs against it.

Every run is a subprocess with its own ``HOME``, ``ANSIBLE_HOME``, temp dirs,
empty ``ansible.cfg`` and lookup cache directory under the test's tmp dir, so
nothing on the machine is read or written. Results come from the test-only
``results_file`` callback (``callback_plugins/``), which writes every task's
result as JSON and the moment each task started; the simulator stamps its
request log with the same system-wide monotonic clock, so ``run.requests(task)``
is exactly what that task sent.

Expected values are always computed here, in Python, from ``sim.snapshots``,
never by calling the collection's own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import ansible_collections.snapfleet.digitalocean.tests.simulator as simulator_package
from ansible_collections.snapfleet.digitalocean.tests.simulator import RequestRecord, Simulator, make_snapshots

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
CALLBACKS = HERE / "callback_plugins"
# The directory holding ansible_collections/, as the tests imported it (the Makefile's
# .collections link, or wherever the collection is installed).
COLLECTIONS_DIR = Path(simulator_package.__file__).parents[5]

#: Every environment variable the collection reads a token from (written out here on purpose,
#: not imported, so that a change in the plugins shows up as a failing test).
TOKEN_ENV = ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN", "DO_API_KEY", "DO_OAUTH_TOKEN",
             "OAUTH_TOKEN")
NINE_FIELDS = {"id", "name", "created_at", "regions", "resource_id", "resource_type", "min_disk_size",
               "size_gigabytes", "tags"}

SIM_TOKEN = "sim-token-integration"
DATA_COUNT = 450
DATA_SEED = 7
#: A volume the simulator knows that has no snapshots.
EMPTY_VOLUME = "0c0ffee0-1234-4abc-8def-000000000001"
#: The prefix of the lookup's cache entries (one file each with the jsonfile cache plugin).
CACHE_PREFIX = "snapfleet_snapshots_"
LOOKUP_FAILED = "The lookup plugin 'snapfleet.digitalocean.snapshots' failed: "


# ---------------------------------------------------------------------------- the simulator

def start_simulator(**kwargs: t.Any) -> Simulator:
    """A started simulator with the suite's data unless told otherwise."""
    kwargs.setdefault("snapshots", make_snapshots(count=DATA_COUNT, seed=DATA_SEED))
    kwargs.setdefault("token", SIM_TOKEN)
    kwargs.setdefault("volumes", [EMPTY_VOLUME])
    return Simulator(**kwargs).start()


@pytest.fixture(scope="module")
def sim() -> t.Iterator[Simulator]:
    """The suite's simulator: 450 snapshots (seed 7) and one volume without snapshots.

    Module-scoped: tests only read it, and each playbook run starts by clearing its request
    log, so tests in one module (one xdist worker at a time) never see each other's traffic.
    """
    server = start_simulator()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------- playbook runs

@dataclass
class TaskRun:
    """One task of a run: its (templated) name, when it started, and its result per host."""

    name: str
    started: float
    hosts: dict[str, dict]
    requests: list[RequestRecord] = field(default_factory=list)


@dataclass
class PlaybookRun:
    """What one ``ansible-playbook`` run did: exit code, output, task results, requests per task."""

    command: list[str]
    rc: int
    stdout: str
    stderr: str
    tasks: list[TaskRun]
    requests_sent: list[RequestRecord]

    @property
    def output(self) -> str:
        """stdout and stderr together, for searching."""
        return self.stdout + "\n" + self.stderr

    def task(self, name: str) -> TaskRun:
        """The one task with this name (an AssertionError names the tasks that did run)."""
        found = [task for task in self.tasks if task.name == name]
        assert len(found) == 1, "expected one task named %r, found %d; tasks: %s" % (
            name, len(found), [task.name for task in self.tasks])
        return found[0]

    def result(self, name: str, host: str = "localhost") -> dict:
        """The result of task ``name`` on ``host``."""
        task = self.task(name)
        assert host in task.hosts, "task %r has no result for %s: %s" % (name, host, sorted(task.hosts))
        return task.hosts[host]

    def requests(self, name: str) -> list[RequestRecord]:
        """The requests the simulator(s) received while task ``name`` ran."""
        return self.task(name).requests

    def describe(self) -> str:
        """The command and the tail of the output, for assertion messages."""
        return "%s\nrc=%s\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
            " ".join(self.command), self.rc, self.stdout[-4000:], self.stderr[-4000:])


class Ansible:
    """Runs playbooks with a clean, private environment rooted in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.home = workdir / "home"
        self.cache_dir = workdir / "lookup-cache"
        self.config = workdir / "ansible.cfg"
        self.home.mkdir(parents=True, exist_ok=True)
        # An empty config keeps /etc/ansible/ansible.cfg and any ansible.cfg in the cwd out.
        self.config.write_text("", encoding="utf-8")
        self._runs = 0

    def env(self, sim: Simulator | None = None, token: str | None = None) -> dict[str, str]:
        """The environment of a run: no token, no API URL, unless ``sim``/``token`` give them.

        Every variable the collection or Ansible might read from the caller's shell is dropped
        first, so a token exported on the developer's machine never reaches a test.
        """
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("ANSIBLE_", "DIGITALOCEAN_", "SNAPFLEET_", "DO_")) and key not in TOKEN_ENV}
        env.update(
            HOME=str(self.home),
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            PYTHONPATH=str(COLLECTIONS_DIR),
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
            ANSIBLE_CONFIG=str(self.config),
            ANSIBLE_HOME=str(self.workdir / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-local-tmp"),
            ANSIBLE_REMOTE_TEMP=str(self.workdir / "ansible-remote-tmp"),
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_GATHERING="explicit",
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="results_file",
            SNAPFLEET_DIGITALOCEAN_CACHE_CONNECTION=str(self.cache_dir),
        )
        if sim is not None:
            env["DIGITALOCEAN_API_URL"] = sim.url
            env["DIGITALOCEAN_TOKEN"] = token if token is not None else sim.token
        elif token is not None:
            env["DIGITALOCEAN_TOKEN"] = token
        return env

    def inventory(self, fleet: int = 0) -> Path:
        """localhost, plus a group ``fleet`` of ``fleet`` more local hosts (host01, host02, ...)."""
        host_vars = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable
        lines = ["localhost %s" % host_vars]
        if fleet:
            lines.append("[fleet]")
            lines.extend("host%02d %s" % (number, host_vars) for number in range(1, fleet + 1))
        path = self.workdir / ("inventory-%d.ini" % fleet)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def run(
        self,
        playbook: str,
        sim: Simulator | None = None,
        sims: t.Sequence[Simulator] = (),
        extra_vars: dict | None = None,
        env: dict[str, str] | None = None,
        check: bool = False,
        verbosity: int = 0,
        fleet: int = 0,
        forks: int = 5,
        timeout: float = 300,
    ) -> PlaybookRun:
        """Run ``playbooks/<playbook>``; clear the simulators' logs first and split them by task after.

        ``env`` defaults to ``self.env(sim)``: the simulator's URL and token in the environment.
        """
        servers = list(sims) or ([sim] if sim is not None else [])
        self._runs += 1
        results_file = self.workdir / ("results-%d.json" % self._runs)
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(self.inventory(fleet)),
                   "--forks", str(forks)]
        if extra_vars is not None:
            vars_file = self.workdir / ("extra-vars-%d.json" % self._runs)
            vars_file.write_text(json.dumps(extra_vars, indent=2), encoding="utf-8")
            command += ["-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        if verbosity:
            command.append("-" + "v" * verbosity)
        command.append(str(PLAYBOOKS / playbook))
        run_env = dict(env if env is not None else self.env(sim))
        run_env["SNAPFLEET_TEST_RESULTS"] = str(results_file)
        for server in servers:
            server.reset_log()
        done = subprocess.run(command, env=run_env, cwd=self.workdir, capture_output=True, text=True,
                              timeout=timeout, check=False)
        requests = sorted((r for server in servers for r in server.requests), key=lambda r: r.started)
        tasks: list[TaskRun] = []
        if results_file.exists():
            document = json.loads(results_file.read_text(encoding="utf-8"))
            tasks = [TaskRun(task["name"], task["started"], task["hosts"]) for task in document["tasks"]]
        run = PlaybookRun(command, done.returncode, done.stdout, done.stderr, tasks, requests)
        assert tasks, "the run wrote no results:\n" + run.describe()
        _assign_requests(tasks, requests)
        return run


def _assign_requests(tasks: list[TaskRun], requests: list[RequestRecord]) -> None:
    """Give each request to the task that was running when it started (tasks run one after another)."""
    starts = [task.started for task in tasks]
    for request in requests:
        index = bisect_right(starts, request.started) - 1
        assert index >= 0, "a request started before the first task: %r" % (request,)
        tasks[index].requests.append(request)


@pytest.fixture
def ansible(tmp_path: Path) -> Ansible:
    """A playbook runner rooted in this test's tmp dir."""
    return Ansible(tmp_path)


@pytest.fixture(scope="module")
def module_ansible(tmp_path_factory: pytest.TempPathFactory) -> Ansible:
    """A playbook runner for module-scoped runs (one run shared by many assertions)."""
    return Ansible(tmp_path_factory.mktemp("ansible"))


# ---------------------------------------------------------------------------- result helpers

def lookup_value(result: dict) -> t.Any:
    """What the lookup returned, from a ``set_fact: {snapfleet_result: ...}`` task result."""
    assert result["_status"] == "ok", "the lookup task failed: %s" % result.get("msg")
    return result["ansible_facts"]["snapfleet_result"]


def lookup_error(result: dict) -> str:
    """The collection's own message from a failed lookup task (what follows Ansible's preamble)."""
    assert result["_status"] == "failed", "the lookup task did not fail: %r" % (result,)
    message = result["msg"]
    # ansible-core 2.19 and later put their preamble before the plugin's message; 2.16 to 2.18
    # show the plugin's AnsibleError message as it is.
    if LOOKUP_FAILED in message:
        return message.split(LOOKUP_FAILED, 1)[1]
    import ansible
    assert ansible.__version__.startswith(("2.16.", "2.17.", "2.18.")), "not a lookup failure: %s" % message
    return message


def ids(snapshots: t.Iterable[dict]) -> list[str]:
    """The ids, in order."""
    return [snapshot["id"] for snapshot in snapshots]


def as_returned(snapshot: dict) -> dict:
    """A simulator snapshot as the plugins must return it: tags null becomes []."""
    copy = dict(snapshot)
    copy["tags"] = list(snapshot["tags"] or [])
    return copy


@dataclass
class Case:
    """One row of ``playbooks/cases.yml``: options given to the module and to the lookup.

    ``terms`` go to the lookup only; ``module``/``query``/``lookup``/``plain`` choose which of
    ``snapshot_info``, ``query()``, ``lookup(wantlist=True)`` and plain ``lookup()`` run it.
    """

    label: str
    args: dict = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)
    module: bool = True
    query: bool = True
    lookup: bool = True
    plain: bool = False

    def to_var(self) -> dict:
        """The case as the playbook reads it."""
        return {"label": self.label, "args": self.args, "terms": self.terms, "module": self.module,
                "query": self.query, "lookup": self.lookup, "plain": self.plain}


def run_cases(ansible: Ansible, cases: t.Sequence[Case], sim: Simulator | None = None, **kwargs: t.Any) -> PlaybookRun:
    """Run ``cases.yml`` over ``cases``; task names are ``<Module|Query|Lookup|Lookup plain>: <label>``."""
    labels = [case.label for case in cases]
    assert len(set(labels)) == len(labels), "case labels must be unique"
    return ansible.run("cases.yml", sim=sim, extra_vars={"cases": [case.to_var() for case in cases]}, **kwargs)
