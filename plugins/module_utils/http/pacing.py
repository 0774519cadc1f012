# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Waiting: the time budgets every wait draws on, and the pacer that decides when a request may start.

The API's limits, as DigitalOcean documents them: 5,000 requests an hour and 250 a
minute per token. Each request counts against the hourly budget for a full hour after
it is made (its own timer): ``ratelimit-remaining`` is what is left of the hour, and
``ratelimit-reset`` is when the *oldest* counted request expires, so one slot frees then,
not the whole limit. The burst limit is in no header; past it the API answers 429.

No Ansible imports, no HTTP: the transport calls ``Pacer.acquire`` before every attempt
and ``Pacer.answered`` with every answer.
"""

from __future__ import annotations

import email.utils
import math
import threading
import time
import typing as t
from collections import deque

from ..errors import RateLimitError


class TimeBudget:
    """A task's budget (``total_max_wait``): no wait may last past ``seconds`` after the task began.

    A deadline on the monotonic clock, not a sum: a task's pages wait concurrently, and
    their waits overlap in time. So whatever runs at once, the task's waiting ends within
    ``seconds`` of its start.
    """

    name = "total_max_wait"

    def __init__(self, seconds: float, clock: t.Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.deadline = clock() + seconds

    def left(self) -> float:
        """Seconds a wait starting now may still last."""
        return max(0.0, self.deadline - self._clock())

    def limiting(self) -> str:
        """The option that sets this bound, for messages."""
        return "%s (%g s)" % (self.name, self.seconds)


class RequestBudget:
    """One request's budget (``retry_max_wait``): the waits between its attempts, added up, within the task's.

    A sum rather than a deadline because one request's waits come one after another; the
    time its attempts themselves take is not waiting.
    """

    name = "retry_max_wait"

    def __init__(self, seconds: float, task: TimeBudget) -> None:
        self.seconds = seconds
        self.task = task
        self.waited = 0.0

    def left(self) -> float:
        """Seconds this request may still wait: what is left of its own sum and of the task's deadline."""
        return max(0.0, min(self.seconds - self.waited, self.task.left()))

    def spend(self, seconds: float) -> None:
        """Charge a wait to this request (the task's deadline needs no charge: the clock moves)."""
        self.waited += seconds

    def limiting(self) -> str:
        """The option whose bound is the smaller now, for messages."""
        if self.seconds - self.waited <= self.task.left():
            return "%s (%g s)" % (self.name, self.seconds)
        return self.task.limiting()


class Pacer:
    """When this client may start its next request: within the hourly budget and the burst limit.

    - Hourly: the last answer's ``ratelimit-remaining``, less the requests this client has
      started since (and those in flight then: they may not have been counted yet), says how
      many may start. At zero, a request waits until ``ratelimit-reset`` (the oldest counted
      request expires: one slot, measured against the answer's ``Date``), then goes alone; the
      others wait for its answer's figures.
      Other tools sharing the token spend the same budget: the headers show it.
    - Burst: no header reports it, so the pacer counts this client's own requests and never
      lets more than ``per_window`` be counted in any ``window`` seconds. The API counts a
      request when it arrives, somewhere between its start and its answer, so a request
      holds its slot from its start until ``window`` seconds after its answer.
    - A 429 with ``Retry-After`` holds every request of this client until then.

    Waits draw on the task's ``TimeBudget``; a wait that would not fit raises RateLimitError
    at once, instead of sending a burst into 429s or waiting past the bound.
    """

    def __init__(self, per_window: int, window: float, clock: t.Callable[[], float] = time.monotonic,
                 sleeper: t.Callable[[float], None] = time.sleep, wall: t.Callable[[], float] = time.time) -> None:
        self.per_window = max(1, int(per_window))
        self.window = float(window)
        self._clock = clock
        self._sleeper = sleeper
        self._wall = wall
        self._cond = threading.Condition()
        self._answers: t.Deque[float] = deque()  # when the requests of the last window were answered
        self._in_flight = 0
        self._allowed: t.Optional[int] = None  # requests the hourly budget still allows (None: no figure yet)
        self._remaining: t.Optional[int] = None  # the last reported ratelimit-remaining, for messages
        self._slot_at: t.Optional[float] = None  # when the oldest counted request expires (clock time)
        self._reset: t.Optional[float] = None  # the ratelimit-reset that _allowed comes with (epoch seconds)
        self._held_until = 0.0

    def acquire(self, budget: TimeBudget) -> None:
        """Wait until one more request may start (within ``budget``), then count it as in flight."""
        while True:
            with self._cond:
                now = self._clock()
                hourly = _at_least_a_microsecond(self._hourly_wait(now))
                wait = hourly if hourly != 0 else _at_least_a_microsecond(self._burst_wait(now))
                if wait == 0:
                    if self._allowed is not None:
                        if self._allowed > 0:
                            self._allowed -= 1
                        else:
                            self._slot_at = None  # the freed slot is this request's; the next comes with an answer
                    self._in_flight += 1
                    return
                if wait is None:
                    # Every slot is held by a request in flight: its answer brings the next figures.
                    if budget.left() <= 0:
                        raise self._too_long(budget, None, hourly is None)
                    self._cond.wait(timeout=min(1.0, budget.left()))
                    continue
                if wait > budget.left():
                    raise self._too_long(budget, wait, hourly != 0)
            self._sleeper(wait)

    def _hourly_wait(self, now: float) -> t.Optional[float]:
        """0: the hourly budget allows a request now; seconds until it does; None: wait for an answer."""
        if self._allowed is None or self._allowed > 0:
            return 0.0
        if self._slot_at is None:
            # Nothing in flight to learn from: let the server say (its 429 is retried, bounded).
            return None if self._in_flight else 0.0
        return max(0.0, self._slot_at - now)

    def _burst_wait(self, now: float) -> t.Optional[float]:
        """0: the burst limit allows a request now; seconds until it does; None: wait for an answer."""
        answers = self._answers
        while answers and answers[0] <= now - self.window:
            answers.popleft()
        free = self.per_window - self._in_flight  # slots not held by a request in flight
        if free <= 0:
            return None
        at = now if len(answers) < free else answers[-free] + self.window
        return max(0.0, max(at, self._held_until) - now)

    def _too_long(self, budget: TimeBudget, wait: t.Optional[float], hourly: bool) -> RateLimitError:
        when = "at an unknown time" if wait is None else "in %.0f s" % math.ceil(wait)
        if hourly:
            return RateLimitError(
                "The token's hourly budget is spent (ratelimit-remaining %s; other tools may share the token): "
                "the next request slot frees %s, more than %s allows (%.1f s left)."
                % (self._remaining if self._remaining is not None else 0, when, budget.limiting(), budget.left()),
                wait)
        return RateLimitError(
            "The next request would start %s, to stay within the burst limit (rate_limit_per_minute: %d requests "
            "per %g s) or the API's Retry-After: more than %s allows (%.1f s left)."
            % (when, self.per_window, self.window, budget.limiting(), budget.left()), wait)

    def answered(self, headers: t.Optional[t.Mapping[str, str]], status: t.Optional[int] = None) -> None:
        """Count an attempt as answered (``headers`` None: no answer) and learn the budget from it."""
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._answers.append(self._clock())
            if headers:
                self._learn(headers, status)
            self._cond.notify_all()

    def _learn(self, headers: t.Mapping[str, str], status: t.Optional[int]) -> None:
        if status == 429:
            held = _number(headers.get("Retry-After"))
            if held is not None:
                self._held_until = max(self._held_until, self._clock() + held)
        remaining = _number(headers.get("ratelimit-remaining"))
        reset = _number(headers.get("ratelimit-reset"))
        if remaining is None or remaining < 0 or reset is None:
            return
        if self._reset is not None and reset < self._reset:
            return  # an older answer that arrived late: a newer one has spoken
        # Requests still in flight may not have been counted in this figure: assume they were not.
        allowed = max(0, int(remaining) - self._in_flight)
        if self._reset is not None and reset == self._reset and self._allowed is not None:
            # The same oldest request: nothing expired since, so the budget can only have shrunk
            # (answers overtake each other; the smallest figure is the truest).
            allowed = min(allowed, self._allowed)
        self._reset = reset
        self._remaining = int(remaining)
        self._allowed = allowed
        self._slot_at = self._clock() + max(0.0, reset - api_now(headers, self._wall))


def api_now(headers: t.Mapping[str, str], wall: t.Callable[[], float] = time.time) -> float:
    """What time it is on the API's side (epoch seconds): its answer's ``Date``, else ``wall()``.

    ``ratelimit-reset`` is an instant on the API's clock: measured against the answer's own
    ``Date``, a controller whose clock is off neither waits too long nor gives up. ``Date`` has
    whole seconds, so a wait can come out up to a second long, never short.
    """
    value = headers.get("Date")
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return when.timestamp()
    return wall()


def _at_least_a_microsecond(wait: t.Optional[float]) -> t.Optional[float]:
    """A wait shorter than a microsecond is a clock's rounding, not a reason to wait."""
    return 0.0 if wait is not None and wait < 1e-6 else wait


def _number(value: t.Optional[str]) -> t.Optional[float]:
    """A header's finite number, or None (absent, unparsable, NaN or infinite)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
