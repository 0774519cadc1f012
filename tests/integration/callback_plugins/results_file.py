# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test-only callback: every task result of a playbook run, as JSON, in a file.

ansible-core 2.19 no longer ships a JSON stdout callback, and the integration
tests need exact results (not the screen output), so this aggregate callback
writes them to ``$SNAPFLEET_TEST_RESULTS`` while the normal screen output
stays on stdout (the leak test reads it).

Each task also records ``time.monotonic()`` when it started: the simulator
stamps its request log with the same system-wide clock, so the tests can tell
which requests each task sent.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: results_file
type: aggregate
short_description: Write every task result to a JSON file (snapfleet integration tests only)
description:
  - Writes the results of every task and host to the file named by E(SNAPFLEET_TEST_RESULTS).
requirements:
  - SNAPFLEET_TEST_RESULTS set in the environment
"""

import json
import os
import time
import typing as t

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Collect results in memory; write them once, when the run ends."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "results_file"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("SNAPFLEET_TEST_RESULTS")
        self._tasks: list[dict] = []
        self._by_uuid: dict[str, dict] = {}
        self._started = time.monotonic()

    def _task_record(self, task: t.Any) -> dict:
        record = self._by_uuid.get(task._uuid)
        if record is None:
            # A task seen without a start event (handlers, includes' own results).
            record = {"name": task.get_name(), "started": time.monotonic(), "hosts": {}}
            self._by_uuid[task._uuid] = record
            self._tasks.append(record)
        return record

    def v2_playbook_on_task_start(self, task: t.Any, is_conditional: bool) -> None:
        record = {"name": task.get_name(), "started": time.monotonic(), "hosts": {}}
        self._by_uuid[task._uuid] = record
        self._tasks.append(record)

    def v2_playbook_on_handler_task_start(self, task: t.Any) -> None:
        self.v2_playbook_on_task_start(task, False)

    def _store(self, result: t.Any, status: str) -> None:
        data = dict(getattr(result, "result", None) or result._result)
        data["_status"] = status
        self._task_record(result._task)["hosts"][result._host.get_name()] = data

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._store(result, "ok")

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._store(result, "failed")

    def v2_runner_on_skipped(self, result: t.Any) -> None:
        self._store(result, "skipped")

    def v2_runner_on_unreachable(self, result: t.Any) -> None:
        self._store(result, "unreachable")

    def v2_playbook_on_stats(self, stats: t.Any) -> None:
        if not self._path:
            return
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        document = {"started": self._started, "finished": time.monotonic(), "tasks": self._tasks, "stats": summary}
        with open(self._path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, default=str)
