# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A fake monotonic clock whose ``sleep`` records the wait and moves the clock on, sleeping nothing.

Pass ``Client(clock=fake.now, sleeper=fake.sleep)``: the client's budgets and pacer then see
time pass exactly by the waits they asked for, so a test can check every wait without waiting.
"""

from __future__ import annotations

import threading
import time
import typing as t


class FakeTime:
    """``now()`` starts at the real monotonic time and moves only by ``sleep(seconds)``."""

    def __init__(self) -> None:
        self._now = time.monotonic()
        self.waits: t.List[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        """The fake monotonic time."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Record ``seconds`` and move the clock on by them."""
        with self._lock:
            self.waits.append(seconds)
            self._now += max(0.0, seconds)

    @property
    def total(self) -> float:
        """The sum of the waits asked for."""
        return sum(self.waits)
