# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's knobs (faults, legacy rate limit, mutations) and what it records."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import NamedTuple

#: Fault kinds, see :class:`Fault`.
FAULT_KINDS = frozenset({"status", "html", "truncated", "cut_json", "not_json", "drop", "slow", "late", "lost"})

#: The API's error ids and messages by HTTP status, as DigitalOcean words them.
ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood by the server."),
    401: ("unauthorized", "Unable to authenticate you"),
    403: ("forbidden", "You do not have access for the attempted action."),
    404: ("not_found", "The resource you were accessing could not be found."),
    405: ("method_not_allowed", "The HTTP method is not allowed for this resource."),
    409: ("conflict", "The request conflicts with the current state of the resource."),
    422: ("unprocessable_entity", "The request could not be processed."),
    429: ("too_many_requests", "API Rate limit exceeded."),
    500: ("server_error", "Server was unable to give you a response."),
    502: ("bad_gateway", "The server received an invalid response from an upstream server."),
    503: ("service_unavailable", "The service is temporarily unavailable, try again later."),
    504: ("gateway_timeout", "The server did not receive a timely response from an upstream server."),
}


def error_for(status: int) -> tuple[str, str]:
    """Return the API error ``(id, message)`` for an HTTP status."""
    if status in ERRORS:
        return ERRORS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return phrase.lower().replace(" ", "_").replace("-", "_"), phrase + "."


@dataclass
class Fault:
    """One injected failure.

    ``path`` matches a request path exactly, or as a prefix when it ends with ``*``
    (``"/v2/snapshots*"`` also matches ``/v2/snapshots/123``); ``None`` matches every path.
    ``page`` matches the request's ``page`` query value (absent counts as 1); ``method``
    matches the HTTP method (``None``: every method, DELETE included).
    The fault skips the first ``after`` matching requests, then fires ``times`` times
    (``None``: forever). Kinds:

    - ``status``: answer ``status`` (default 500) with the API's JSON error body; a 429
      carries ``Retry-After: retry_after`` when given.
    - ``html``: answer ``status`` (default 502) with a proxy's ``text/html`` page.
    - ``truncated``: 200 whose Content-Length is larger than the half body sent, then close.
    - ``cut_json``: 200, complete HTTP message whose body is the JSON cut in half.
    - ``not_json``: 200 ``application/json`` whose body is an HTML maintenance page.
    - ``drop``: close the connection without answering.
    - ``slow``: wait ``delay`` seconds, then answer normally.
    - ``late``: do the request (a DELETE takes effect), then wait ``delay`` seconds before answering:
      a client with a shorter timeout never sees the answer.
    - ``lost``: do the request (a DELETE takes effect), then answer ``status`` with the API's JSON
      error body instead (a proxy's 5xx after the API acted), or, without ``status``, close the
      connection without answering.

    ``seen`` and ``fired`` count matching requests and firings (read them in tests).
    """

    kind: str
    path: str | None = None
    page: int | None = None
    times: int | None = 1
    after: int = 0
    status: int | None = None
    delay: float = 0.0
    retry_after: int | None = None
    method: str | None = None
    seen: int = field(default=0, init=False, compare=False)
    fired: int = field(default=0, init=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}, expected one of {sorted(FAULT_KINDS)}")
        if self.status is None and self.kind in ("status", "html"):
            self.status = 500 if self.kind == "status" else 502

    def matches(self, path: str, page: int | None, method: str = "GET") -> bool:
        """Whether a request for ``path`` (``page`` from its query) is one this fault targets."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is not None:
            if self.path.endswith("*"):
                if not path.startswith(self.path[:-1]):
                    return False
            elif path != self.path:
                return False
        return self.page is None or self.page == page

    def take(self, path: str, page: int | None, method: str = "GET") -> bool:
        """Count a request; return True when the fault fires for it (caller holds a lock)."""
        if not self.matches(path, page, method):
            return False
        self.seen += 1
        if self.seen <= self.after or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass(frozen=True)
class RateLimit:
    """Legacy: a fixed window of ``window`` seconds holding ``limit`` requests.

    Kept for the tests written against it; the API's documented model is
    :class:`~.ratelimits.RateLimits` (per-request timers and a burst limit).

    The window opens with the first request after the limit is set; once ``limit``
    requests were served in it, requests answer 429 until it ends. Every request that
    reaches the API spends budget (401, 404 and 422 answers too, as with the real API);
    injected faults that replace the answer do not, but report the budget truthfully.
    """

    limit: int = 5000
    window: float = 60.0

    def __post_init__(self) -> None:
        if self.limit < 0 or self.window <= 0:
            raise ValueError("RateLimit needs limit >= 0 and window > 0")


@dataclass(frozen=True)
class Mutation:
    """Snapshots appear and disappear while a client reads pages.

    After every ``every``-th served list request, ``create`` new snapshots are added
    ``at`` the end of the list (``"head"``: at the start, shifting every page) and
    ``delete`` random older ones are removed; after ``stop_after`` such rounds (``None``:
    never) the list stays still. For changes at exact points use the simulator's
    ``create``/``delete``/``rotate`` with ``on_list_page`` or ``after_list_pages``.
    """

    every: int = 1
    create: int = 1
    delete: int = 1
    stop_after: int | None = None
    seed: int = 0
    at: str = "end"

    def __post_init__(self) -> None:
        if self.every < 1 or self.create < 0 or self.delete < 0:
            raise ValueError("Mutation needs every >= 1, create >= 0 and delete >= 0")
        if self.at not in ("end", "head"):
            raise ValueError("Mutation.at must be 'end' or 'head'")


class RequestRecord(NamedTuple):
    """One request the simulator handled.

    ``status`` is 0 when the connection was dropped without an answer; ``started`` and
    ``finished`` are ``time.monotonic()`` values.
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    started: float
    finished: float
    authorized: bool
