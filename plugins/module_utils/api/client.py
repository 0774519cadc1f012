# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DigitalOcean API client shared by the module and the lookup: the snapshot operations.

Built on three concerns that live elsewhere: transport.py sends the requests (session,
certificates, proxies, retries, pacing, the time budgets), contract.py checks and
normalises what the API answers, and paging.py reads a whole listing consistently. Each
public operation is one task: it gets one ``total_max_wait`` budget for all its waits, unless
it runs inside ``Client.one_task()``, whose operations share one.

No Ansible imports, so it runs the same inside a module on a managed host and inside a
lookup on the controller.
"""

from __future__ import annotations

import contextlib
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

from ..errors import APIError, SnapfleetError, TransportError, redact
from ..http.pacing import TimeBudget
from ..http.transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, Transport, require_requests, shown_path
from . import defaults, paths
from .contract import Listing, normalize_snapshot, parse_list_body, parse_snapshot_body
from .paging import STANDARD, Page, read_listing

__all__ = [
    "HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "Client", "DeleteResult", "Listing", "normalize_snapshot",
    "parse_list_body", "parse_snapshot_body", "require_requests",
]

COLLECTION_NAME = "snapfleet.digitalocean"
COLLECTION_VERSION = "1.0.0"
USER_AGENT = "%s/%s (+https://github.com/snapfleet/snapfleet.digitalocean)" % (COLLECTION_NAME, COLLECTION_VERSION)


_DELETE_SCOPE = ("deleting a snapshot needs a token with the snapshot:delete scope; this token lacks it "
                 "(a read-only token can list but not delete)")


class DeleteResult(t.NamedTuple):
    """What happened to one snapshot of ``delete_snapshots``.

    ``outcome`` is one of:

    - ``deleted``: this call's DELETE took effect (a 204, or a 404 on a retry after an attempt that
      may have reached the API but whose answer was lost: a timeout, a dropped connection, a 5xx);
    - ``gone``: the first attempt answered 404, the snapshot was absent before this call;
    - ``failed``: the API refused (``error`` says how) and nothing took effect;
    - ``unknown``: every answer was lost or a 5xx, so the DELETE may or may not have taken effect
      (``error`` is the last one); a GET of the snapshot tells;
    - ``not_tried``: no DELETE was sent, as an earlier one showed the token cannot delete (401, 403).
    """

    id: str
    outcome: str
    error: t.Optional[SnapfleetError] = None


class Client:
    """A DigitalOcean API client for the snapshot endpoints. Building it sends nothing.

    ``clock``, ``sleeper`` and ``burst_window`` are for tests: a fake monotonic clock, a sleeper
    that records instead of sleeping, and the seconds of the burst limit's "minute" (to match a
    simulator's time scale).
    """

    def __init__(
        self,
        token: str,
        api_url: str = defaults.API_URL,
        timeout: float = defaults.TIMEOUT,
        validate_certs: bool = True,
        ca_path: t.Optional[str] = None,
        concurrency: int = defaults.CONCURRENCY,
        retries: int = defaults.RETRIES,
        retry_max_wait: float = defaults.RETRY_MAX_WAIT,
        total_max_wait: float = defaults.TOTAL_MAX_WAIT,
        rate_limit_per_minute: int = defaults.RATE_LIMIT_PER_MINUTE,
        retry_backoff: float = 0.5,
        clock: t.Callable[[], float] = time.monotonic,
        sleeper: t.Callable[[float], None] = time.sleep,
        burst_window: float = defaults.BURST_WINDOW,
    ) -> None:
        self._token = token
        self.concurrency = max(1, int(concurrency))
        self.total_max_wait = max(0.0, float(total_max_wait))
        self._shared: t.Optional[TimeBudget] = None  # the budget of one_task(), if inside one
        self.transport = Transport(
            token, api_url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path, retries=retries,
            retry_max_wait=retry_max_wait, retry_backoff=retry_backoff, rate_limit_per_minute=rate_limit_per_minute,
            burst_window=burst_window, pool_size=self.concurrency, user_agent=USER_AGENT, clock=clock, sleeper=sleeper)

    @property
    def requests_sent(self) -> int:
        """Attempts actually sent, by every operation of this client."""
        return self.transport.requests_sent

    @property
    def insecure(self) -> bool:
        """Certificates are not verified (``validate_certs: false`` on https): the plugin edge warns once."""
        return self.transport.insecure

    def close(self) -> None:
        """Close the connections."""
        self.transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self.close()

    @contextlib.contextmanager
    def one_task(self) -> t.Iterator[TimeBudget]:
        """Make every operation inside share one ``total_max_wait`` budget (a module run, a lookup call).

        Outside it, each public operation is a task of its own.
        """
        if self._shared is not None:  # already inside: the outer task's budget goes on
            yield self._shared
            return
        self._shared = self.transport.task(self.total_max_wait)
        try:
            yield self._shared
        finally:
            self._shared = None

    def _task(self) -> TimeBudget:
        return self._shared if self._shared is not None else self.transport.task(self.total_max_wait)

    # -- reading ----------------------------------------------------------------------------------

    def list(self, path: str, params: t.Optional[dict] = None, per_page: int = defaults.PER_PAGE,
             page: t.Optional[int] = None, consistency: str = STANDARD,
             first_page: t.Optional[Page] = None,
             parse: t.Optional[t.Callable[[t.Any], t.Tuple[t.List[dict], int, dict]]] = None) -> Listing:
        """List ``path``: ``/v2/snapshots``, ``/v2/volumes/{uuid}/snapshots`` or ``/v2/droplets/{id}/snapshots``.

        With ``page`` it reads that page alone and returns its ``links``; otherwise paging.py
        reads the whole listing (``consistency``: see ``read_listing``) with up to
        ``concurrency`` pages at once, and ``links`` is empty. ``first_page``: page 1 of this
        listing (same path, params and per_page) that the caller already read; it stands for
        the listing's first read of page 1 instead of a request (the Droplet route's probe).
        ``parse``: checks another list body (``/v2/droplets``, ``/v2/volumes``: api/sources.py) and
        returns (items with string ids, meta.total, links); the snapshot list body when not given.
        """
        params = dict(params or {})
        task = self._task()
        droplet_scoped = path.startswith("/v2/droplets/")  # the Droplet-scoped model (contract.py)
        already_read = [first_page] if first_page is not None and page is None else []

        def read_page(number: int) -> Page:
            if number == 1 and already_read:
                return already_read.pop()
            query = dict(params)
            query["page"] = number
            query["per_page"] = per_page
            (snapshots, total, links), attempts, _headers = self.transport.get_json(
                "GET", path, query, task, parse=parse or (lambda body: parse_list_body(body, droplet_scoped)))
            return Page(number, snapshots, total, links, attempts)

        with self.transport.quiet():
            if page is not None:
                one = read_page(page)
                return Listing(one.snapshots, one.total, one.links)
            return read_listing(read_page, per_page, self.concurrency, consistency=consistency,
                                shown_path=shown_path(path, params))

    def get_snapshot(self, snapshot_id: str) -> dict:
        """``GET /v2/snapshots/{snapshot_id}``: one snapshot (the id is stripped, and sent as one path segment)."""
        with self.transport.quiet():
            return self._get_snapshot(snapshot_id, self._task())

    def get_snapshots(self, ids: t.Sequence[str]) -> t.List[dict]:
        """Several snapshots by id, up to ``concurrency`` at once; in the order of ``ids``; the first error is raised."""
        task = self._task()
        with self.transport.quiet():
            return self._each(lambda one: self._get_snapshot(one, task), ids)

    def _get_snapshot(self, snapshot_id: str, task: TimeBudget) -> dict:
        path = paths.snapshot(snapshot_id)
        snapshot, _attempts, _headers = self.transport.get_json("GET", path, None, task, parse=parse_snapshot_body)
        return snapshot

    # -- deleting ---------------------------------------------------------------------------------

    def delete_snapshots(self, ids: t.Sequence[str]) -> t.List[DeleteResult]:
        """Delete several snapshots, up to ``concurrency`` at once within the rate limits; in the order of ``ids``.

        Never raises for one snapshot: each result has its outcome (see DeleteResult); a 403 names
        the scope the token lacks (``snapshot:delete``). The first DELETE goes alone. After a 401,
        or a 403 before any DELETE succeeded, no further DELETE is sent: the rest are ``not_tried``.
        """
        task = self._task()
        ids = list(ids)
        hopeless = threading.Event()
        succeeded = threading.Event()

        def one(snapshot_id: str) -> DeleteResult:
            shown = str(snapshot_id).strip()
            if hopeless.is_set():
                return DeleteResult(shown, "not_tried")
            outcome, error = self._delete(snapshot_id, task)
            status = getattr(error, "status", None)
            if outcome in ("deleted", "gone"):
                succeeded.set()
            elif status == 401 or (status == 403 and not succeeded.is_set()):
                hopeless.set()
            return DeleteResult(shown, outcome, error)

        with self.transport.quiet():
            first = [one(snapshot_id) for snapshot_id in ids[:1]]
            return first + self._each(one, ids[1:])

    def _delete(self, snapshot_id: str, task: TimeBudget) -> t.Tuple[str, t.Optional[SnapfleetError]]:
        """One DELETE: (outcome, error) as DeleteResult has them."""
        try:
            path = paths.snapshot(snapshot_id)
            self.transport.get_json("DELETE", path, None, task)
        except APIError as exc:
            lost = getattr(exc, "answers_lost", 0)
            if exc.status == 404:
                return ("deleted" if lost else "gone"), None
            if exc.status == 403:
                detail = "; ".join(d for d in (exc.detail, _DELETE_SCOPE) if d)
                error = APIError(403, exc.path, exc.attempts, exc.api_id, exc.api_message, exc.request_id,
                                 exc.content_type, detail, method="DELETE")
                error.message = redact(error.message, [self._token])
                return "failed", error
            # The last answer was a 5xx (or another fault) after an attempt that may have taken effect.
            return ("unknown" if lost and (exc.status >= 500 or exc.status == 429) else "failed"), exc
        except TransportError as exc:
            return ("unknown" if getattr(exc, "answers_lost", 0) else "failed"), exc
        except SnapfleetError as exc:  # the pacer's RateLimitError: a retry that could not be sent in time
            return ("unknown" if getattr(exc, "answers_lost", 0) else "failed"), exc
        return "deleted", None

    # -- helpers ----------------------------------------------------------------------------------

    def _each(self, work: t.Callable[[str], t.Any], ids: t.Sequence[str]) -> t.List[t.Any]:
        ids = list(ids)
        if self.concurrency == 1 or len(ids) <= 1:
            return [work(one) for one in ids]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(ids)), thread_name_prefix="snapfleet-id") as pool:
            # map() keeps the order of ids and re-raises the first failure in that order.
            return list(pool.map(work, ids))
