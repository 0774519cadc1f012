# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures shared by the plugin unit tests: simulators, a raw loopback server, a recording sleeper.

Only ``ansible.module_utils`` may be imported here: under ``ansible-test units``
the module_utils tests run with an ``ansible`` package that has nothing else.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, RawServer, Recorder


@pytest.fixture(name="make_sim")
def fixture_make_sim() -> t.Iterator[t.Callable[..., Simulator]]:
    """Start simulators (token TOKEN unless given); all are stopped at teardown."""
    started: t.List[Simulator] = []

    def make(**kwargs: t.Any) -> Simulator:
        kwargs.setdefault("token", TOKEN)
        sim = Simulator(**kwargs).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture(name="raw_server")
def fixture_raw_server() -> t.Iterator[RawServer]:
    """One RawServer for the test."""
    server = RawServer()
    yield server
    server.close()


@pytest.fixture(name="recorder")
def fixture_recorder() -> Recorder:
    """A Recorder that sleeps for real not at all."""
    return Recorder()
