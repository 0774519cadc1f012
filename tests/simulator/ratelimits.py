# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Rate limits: DigitalOcean's documented model (per-request timers) and the legacy fixed window.

DigitalOcean's API introduction: 5,000 requests per hour and 250 per minute per token; each
request counts for a full hour after it is made, so ``ratelimit-reset`` is when the OLDEST
counted request expires (one slot frees then, not the whole limit). No header reports the
per-minute limit; past it the API answers 429 with ``Retry-After``.

Limiters are not thread-safe: the simulator calls them under its lock.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .models import RateLimit

Headers = dict[str, str]


@dataclass(frozen=True)
class RateLimits:
    """The documented limits: ``hourly`` per "hour" and ``burst`` per "minute" (None: no burst limit).

    ``time_scale`` shortens simulated time: 60 makes a minute last 1 real second and an hour
    60. Headers stay in real epoch seconds and ``Retry-After`` in real seconds.
    """

    hourly: int = 5000
    burst: int | None = 250
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.hourly < 0 or (self.burst is not None and self.burst < 0) or not self.time_scale > 0:
            raise ValueError("RateLimits needs hourly >= 0, burst >= 0 or None, and time_scale > 0")

    @classmethod
    def documented(cls, time_scale: float = 1.0) -> RateLimits:
        """DigitalOcean's documented limits (5000 an hour, 250 a minute) at ``time_scale``."""
        return cls(hourly=5000, burst=250, time_scale=time_scale)

    @property
    def hour(self) -> float:
        """Real seconds of one simulated hour."""
        return 3600.0 / self.time_scale

    @property
    def minute(self) -> float:
        """Real seconds of one simulated minute."""
        return 60.0 / self.time_scale


#: Used when a Simulator is given neither ``rate_limits`` nor ``rate_limit``: the real hourly
#: budget in a one-minute "hour", no burst limit; generous enough not to slow any test.
DEFAULT_RATE_LIMITS = RateLimits(hourly=5000, burst=None, time_scale=60.0)


class RateStatus(NamedTuple):
    """The limiter's state at one moment: what the headers would say, plus the hidden burst count."""

    limit: int
    remaining: int
    reset: int
    burst_used: int


def _headers(state: RateStatus) -> Headers:
    return {"ratelimit-limit": str(state.limit), "ratelimit-remaining": str(state.remaining),
            "ratelimit-reset": str(state.reset)}


def _retry_after(seconds: float) -> str:
    # Retry-After is an integer (delta-seconds); rounding up never invites an early retry.
    return str(max(1, math.ceil(seconds - 1e-9)))


class SlidingLimiter:
    """Per-request timers for the hourly budget and the burst limit (see :class:`RateLimits`)."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._clock = clock
        # Timers run on the (possibly fake) clock; headers convert them to epoch seconds.
        self._epoch_offset = wall() - clock()
        self._times: deque[float] = deque()  # counted requests, oldest first

    def _expire(self, now: float) -> None:
        horizon = now - self.limits.hour
        times = self._times
        while times and times[0] <= horizon:
            times.popleft()

    def _burst_used(self, now: float) -> int:
        start = now - self.limits.minute
        count = 0
        for moment in reversed(self._times):
            if moment <= start:
                break
            count += 1
        return count

    def spend(self, count: int, ago: float = 60.0, over: float = 0.0) -> None:
        """Count ``count`` requests made evenly from ``ago + over`` to ``ago`` simulated seconds ago."""
        if count < 0 or ago < 0 or over < 0:
            raise ValueError("spend needs count, ago and over >= 0")
        now = self._clock()
        scale = self.limits.time_scale
        last = now - ago / scale
        step = over / scale / (count - 1) if count > 1 else 0.0
        moments = [last - step * (count - 1 - index) for index in range(count)]
        self._times = deque(sorted([*self._times, *moments]))
        self._expire(now)

    def status(self) -> RateStatus:
        """The state now, spending nothing."""
        now = self._clock()
        self._expire(now)
        return self._status(now)._replace(burst_used=self._burst_used(now))

    def _status(self, now: float) -> RateStatus:
        # burst_used is left at 0 here: no header reports it, and counting it costs a walk.
        limits = self.limits
        oldest = self._times[0] + limits.hour if self._times else now
        return RateStatus(limits.hourly, max(0, limits.hourly - len(self._times)),
                          math.ceil(oldest + self._epoch_offset), 0)

    def headers(self) -> Headers:
        """The ``ratelimit-*`` headers now, spending nothing."""
        now = self._clock()
        self._expire(now)
        return _headers(self._status(now))

    def take(self) -> tuple[bool, Headers]:
        """Count one request if both limits allow it; return (allowed, headers)."""
        now = self._clock()
        self._expire(now)
        limits = self.limits
        wait = 0.0
        times = self._times
        allowed = limits.hourly > 0 and limits.burst != 0
        wait = limits.minute if not allowed else 0.0
        if allowed and limits.burst is not None and self._burst_used(now) >= limits.burst:
            # Allowed again once the minute holds burst - 1 requests: when the burst-th newest expires.
            allowed, wait = False, times[-limits.burst] + limits.minute - now
        if limits.hourly > 0 and len(times) >= limits.hourly:
            # Likewise for the hour: when the hourly-th newest request's timer runs out.
            allowed, wait = False, max(wait, times[-limits.hourly] + limits.hour - now)
        if allowed:
            times.append(now)
        headers = _headers(self._status(now))
        if not allowed:
            headers["Retry-After"] = _retry_after(wait)
        return allowed, headers


class FixedWindowLimiter:
    """The legacy :class:`RateLimit`: a fixed window of ``window`` seconds holding ``limit`` requests."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._epoch_offset = wall() - clock()
        self.opened = 0.0
        self.used = 0

    def _roll(self, now: float) -> None:
        if self.used == 0 or now >= self.opened + self.limit.window:
            self.opened = now
            self.used = 0

    def spend(self, count: int, ago: float = 60.0, over: float = 0.0) -> None:
        """Count ``count`` requests in the current window (``ago`` and ``over`` do not apply)."""
        self._roll(self._clock())
        self.used += count

    def status(self) -> RateStatus:
        """The state now, spending nothing."""
        now = self._clock()
        if self.used and now >= self.opened + self.limit.window:
            self.opened, self.used = now, 0
        opened = self.opened if self.used else now
        return RateStatus(self.limit.limit, max(0, self.limit.limit - self.used),
                          math.ceil(opened + self.limit.window + self._epoch_offset), self.used)

    def headers(self) -> Headers:
        """The ``ratelimit-*`` headers now, spending nothing."""
        return _headers(self.status())

    def take(self) -> tuple[bool, Headers]:
        """Spend one request if the window has room; return (allowed, headers)."""
        now = self._clock()
        self._roll(now)
        allowed = self.used < self.limit.limit
        if allowed:
            self.used += 1
        headers = _headers(self.status())
        if not allowed:
            headers["Retry-After"] = _retry_after(self.opened + self.limit.window - now)
        return allowed, headers


class Unlimited:
    """No limits; the headers report the real API's hourly budget as untouched."""

    limit = None
    limits = None

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._epoch_offset = wall() - clock()

    def spend(self, count: int, ago: float = 60.0, over: float = 0.0) -> None:
        """Nothing to spend."""

    def status(self) -> RateStatus:
        """A full budget."""
        return RateStatus(5000, 5000, int(self._clock() + self._epoch_offset) + 3600, 0)

    def headers(self) -> Headers:
        """Headers of a full budget."""
        return _headers(self.status())

    def take(self) -> tuple[bool, Headers]:
        """Always allowed."""
        return True, self.headers()


def make_limiter(rate_limits: RateLimits | None, rate_limit: RateLimit | None,
                 clock: Callable[[], float] = time.monotonic) -> SlidingLimiter | FixedWindowLimiter | Unlimited:
    """The limiter for a simulator's settings (``rate_limits`` wins when both are set)."""
    if rate_limits is not None:
        return SlidingLimiter(rate_limits, clock)
    if rate_limit is not None:
        return FixedWindowLimiter(rate_limit, clock)
    return Unlimited(clock)
