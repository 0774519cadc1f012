# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""List-page hooks: let a test run changes at exact points of a listing.

The store calls :meth:`ListPageHooks.run` under its lock before it computes a list page,
so a change made by a hook is seen by that page and every later one, and never half-seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``callback(sim, path, page_number)``
PageHook = Callable[[Any, str, int], None]


def path_matches(pattern: str | None, path: str) -> bool:
    """``None`` matches every path; ``"...*"`` matches a prefix; anything else matches exactly."""
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


class AfterListPages:
    """A scripted change: ``action(sim)`` once ``n`` list pages were served (see Simulator.after_list_pages)."""

    def __init__(self, n: int, action: Callable[[Any], Any], every: int = 0, times: int | None = 1,
                 path: str | None = None) -> None:
        if n < 0 or every < 0 or (times is not None and times < 1):
            raise ValueError("after_list_pages needs n >= 0, every >= 0 and times >= 1 or None")
        self.n, self.action, self.every, self.times, self.path = n, action, every, times, path
        self.seen = 0  # matching pages served before the current one
        self.fired = 0

    def __call__(self, sim: Any, path: str, page_number: int) -> None:
        if not path_matches(self.path, path):
            return
        served, self.seen = self.seen, self.seen + 1
        if self.times is not None and self.fired >= self.times:
            return
        due = served == self.n or (self.every and served > self.n and (served - self.n) % self.every == 0)
        if due:
            self.fired += 1
            self.action(sim)


class ListPageHooks:
    """The registered hooks, run in registration order (the caller holds the store's lock)."""

    def __init__(self) -> None:
        self._hooks: list[PageHook] = []

    def add(self, callback: PageHook) -> PageHook:
        """Register ``callback``; return it (to remove it later)."""
        self._hooks.append(callback)
        return callback

    def remove(self, callback: PageHook) -> None:
        """Unregister ``callback`` (ValueError when it is not registered)."""
        self._hooks.remove(callback)

    def clear(self) -> None:
        """Unregister every hook."""
        self._hooks.clear()

    def run(self, sim: Any, path: str, page_number: int) -> None:
        """Call every hook for one list page."""
        for hook in list(self._hooks):
            hook(sim, path, page_number)
