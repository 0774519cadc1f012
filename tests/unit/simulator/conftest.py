# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures shared by the simulator's tests: a fake clock and an authorized HTTP session."""

from __future__ import annotations

import pytest
import requests

TOKEN = "sim-token"


class FakeClock:
    """A monotonic clock that moves only when told to (the simulator's ``clock=``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture(name="fake_clock")
def fixture_fake_clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture(name="client")
def fixture_client():
    """A keep-alive session carrying the simulator's token."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session
