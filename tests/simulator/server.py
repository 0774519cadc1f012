# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTP side of the simulator: a threaded HTTP/1.1 server on loopback, and the Simulator.

Request pipeline, in order: latency, fault injection, rate limits, then the routes
(authentication, routing, parameter checks, the answer; routing.py).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .creation import Creations
from .data import Snapshot, make_snapshots
from .hooks import AfterListPages, ListPageHooks, PageHook
from .models import Fault, Mutation, RateLimit, RequestRecord
from .ratelimits import DEFAULT_RATE_LIMITS, RateLimits, RateStatus, make_limiter
from .routing import JSON_TYPE, Answer, error, page_of, route
from .sources import Sources
from .sources import apply as apply_sources
from .store import Position, SnapshotStore

#: The legacy default (a fixed window); kept for callers that import it.
DEFAULT_RATE_LIMIT = RateLimit(limit=5000, window=60.0)
_MAINTENANCE = b"<html><body><h1>Down for maintenance</h1></body></html>\n"
_UNSET: Any = object()


class _Drop(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Close the connection without answering (a fault, or the server is stopping)."""


class Simulator:
    """DigitalOcean's snapshot API on ``127.0.0.1``, for tests, demos and benchmarks.

    See the package docstring for every argument and method. ``latency`` (seconds) is
    waited before every answer and may be changed while running. Use as a context manager
    or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        snapshots: Iterable[Snapshot] | None = None,
        token: str = "sim-token",
        latency: float = 0.0,
        volumes: Iterable[str] | None = None,
        *,
        droplets: Iterable[str | int] | None = None,
        read_only_tokens: Iterable[str] = (),
        images: Iterable[str | int] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        rate_limit: RateLimit | None = _UNSET,
        mutation: Mutation | None = None,
        clock: Callable[[], float] = time.monotonic,
        sources: Sources | None = None,
        denied_scopes: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Prepare a simulator; nothing listens until :meth:`start`."""
        if rate_limits is not None and rate_limit is not _UNSET and rate_limit is not None:
            raise ValueError("give rate_limits (the documented model) or rate_limit (legacy), not both")
        if rate_limits is None and rate_limit is _UNSET:
            rate_limits = DEFAULT_RATE_LIMITS
        self.token = token
        self.latency = latency
        self.host = host
        self.read_only_tokens = frozenset(read_only_tokens)
        self.images = frozenset(str(i) for i in images)
        self._port = port
        self._clock = clock
        self.store = SnapshotStore(make_snapshots() if snapshots is None else snapshots, volumes or (), droplets or ())
        self.store.mutation = mutation
        # GET /v2/droplets and /v2/volumes (sources.py): every resource the snapshots name, unless told.
        self.sources = sources if sources is not None else Sources()
        if sources is not None:
            apply_sources(sources, self.store)
        self.denied_scopes = {token: frozenset(scopes) for token, scopes in (denied_scopes or {}).items()}
        #: POST creates, Droplet actions and tags (creation.py), with their knobs.
        self.creations = Creations(self)
        self._hooks = ListPageHooks()
        self.store.before_page = lambda path, page: self._hooks.run(self, path, page)
        self._lock = threading.Lock()
        self._limiter = make_limiter(rate_limits, None if rate_limit is _UNSET else rate_limit, clock)
        self._faults: list[Fault] = []
        self._records: list[RequestRecord] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve in a background thread; return self."""
        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._stopping.clear()
        self._server = _Server((self.host, self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"simulator-{self._port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: wake sleeping handlers, close open connections and the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        # Idle keep-alive connections would otherwise keep being served after stop().
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the OS picks it when ``port=0``)."""
        if self._server is None and not self._port:
            raise RuntimeError("simulator not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    # -- data and changes ------------------------------------------------------------------

    @property
    def snapshots(self) -> list[Snapshot]:
        """A copy of the current list in the API's order (oldest first)."""
        return self.store.snapshots

    @snapshots.setter
    def snapshots(self, snapshots: Iterable[Snapshot]) -> None:
        self.store.replace(snapshots)

    def create(self, at: Position = "end", **fields: Any) -> Snapshot:
        """Create a snapshot at the end (``"head"`` or an index: elsewhere); return it."""
        return self.store.create(at, **fields)

    def delete(self, id_or_index: Position) -> Snapshot:
        """Delete a snapshot by id (str) or list position (int); return it."""
        return self.store.delete(id_or_index)

    @property
    def api_deletes(self) -> list[str]:
        """The ids of the snapshots API DELETEs removed, in order (not ``delete()``'s; never reset)."""
        with self.store.lock:
            return list(self.store.api_deletes)

    def rotate(self) -> tuple[Snapshot, Snapshot]:
        """Delete the oldest snapshot and create one at the end; return ``(deleted, created)``."""
        return self.store.rotate()

    def delete_volume(self, volume_id: str) -> None:
        """Delete a volume: its endpoint answers 404 from now on, its snapshots stay listed."""
        self.store.delete_volume(volume_id)

    def destroy_droplet(self, droplet_id: str | int) -> None:
        """Destroy a Droplet: its endpoint answers 404 from now on, its snapshots stay listed."""
        self.store.destroy_droplet(droplet_id)

    # -- hooks -----------------------------------------------------------------------------

    def on_list_page(self, callback: PageHook) -> PageHook:
        """Call ``callback(sim, path, page_number)`` under the store's lock before each list page."""
        with self.store.lock:
            return self._hooks.add(callback)

    def after_list_pages(self, n: int, action: Callable[[Simulator], Any], *, every: int = 0,
                         times: int | None = 1, path: str | None = None) -> PageHook:
        """Run ``action(sim)`` once ``n`` list pages were served, before the next is computed."""
        return self.on_list_page(AfterListPages(n, action, every, times, path))

    def remove_hook(self, callback: PageHook) -> None:
        """Unregister a hook added by :meth:`on_list_page` or :meth:`after_list_pages`."""
        with self.store.lock:
            self._hooks.remove(callback)

    def clear_hooks(self) -> None:
        """Unregister every hook."""
        with self.store.lock:
            self._hooks.clear()

    @property
    def list_pages_served(self) -> int:
        """List pages computed so far (every list endpoint)."""
        return self.store.list_pages_served

    @property
    def mutation(self) -> Mutation | None:
        """The active legacy :class:`Mutation`; setting one restarts its counting."""
        return self.store.mutation

    @mutation.setter
    def mutation(self, mutation: Mutation | None) -> None:
        self.store.mutation = mutation

    @property
    def mutation_rounds(self) -> int:
        """How many mutation rounds ran since the mutation was set."""
        return self.store.mutation_rounds

    # -- rate limits -----------------------------------------------------------------------

    @property
    def rate_limits(self) -> RateLimits | None:
        """The documented-model limits in force (None when legacy or unlimited)."""
        return getattr(self._limiter, "limits", None)

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        with self._lock:
            self._limiter = make_limiter(limits, None, self._clock)

    @property
    def rate_limit(self) -> RateLimit | None:
        """The legacy :class:`RateLimit` (None: not in force); setting one opens a new window."""
        return getattr(self._limiter, "limit", None)

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        with self._lock:
            self._limiter = make_limiter(None, limit, self._clock)

    def spend(self, count: int, ago: float = 60.0, over: float = 0.0) -> None:
        """Count ``count`` requests of other tools on this token, ``ago`` simulated seconds ago."""
        with self._lock:
            self._limiter.spend(count, ago, over)

    def rate_status(self) -> RateStatus:
        """What the rate headers would say now (plus the hidden burst count), spending nothing."""
        with self._lock:
            return self._limiter.status()

    # -- faults and log --------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        """Inject ``fault``; the first matching fault, in insertion order, fires."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The injected faults (a copy of the list; the faults' counters are live)."""
        with self._lock:
            return list(self._faults)

    @property
    def requests(self) -> list[RequestRecord]:
        """Requests handled since the last :meth:`reset_log`, in completion order."""
        with self._lock:
            return list(self._records)

    @property
    def in_flight(self) -> int:
        """Requests being served right now (a request leaves just before its answer is sent)."""
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """Highest number of requests served at the same moment since :meth:`reset_log`."""
        return self._max_in_flight

    def reset_log(self) -> None:
        """Forget recorded requests and restart ``max_in_flight`` from the current load."""
        with self._lock:
            self._records.clear()
            self._max_in_flight = self._in_flight

    # -- request handling (called from handler threads) --------------------------------------

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            self._records.append(record)

    def _authorized(self, authorization: str | None) -> bool:
        return authorization is not None and (
            authorization == f"Bearer {self.token}"
            or (authorization.startswith("Bearer ") and (authorization[7:] in self.read_only_tokens
                                                         or authorization[7:] in self.denied_scopes)))

    def _sleep(self, seconds: float) -> None:
        # Event.wait instead of time.sleep: stop() wakes every sleeping handler at once.
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Drop
        if self._stopping.is_set():
            raise _Drop

    def _take_fault(self, method: str, path: str, query: dict[str, str]) -> Fault | None:
        page = page_of(query)
        with self._lock:
            for fault in self._faults:
                if fault.take(path, page, method):
                    return fault
        return None

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            return self._limiter.headers()

    def _fault_answer(self, fault: Fault, method: str, path: str, query: dict[str, str],
                      authorization: str | None, body: bytes = b"") -> Answer:
        """Build the answer of a fault that replaces the normal one (not drop or slow)."""
        if fault.kind == "status":
            status = fault.status or 500
            headers = self._rate_headers()
            if status == 429 and fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return error(status, headers=headers)
        if fault.kind == "html":
            status = fault.status or 502
            phrase = HTTPStatus(status).phrase
            page = (
                f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
                f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n"
            ).encode()
            return Answer(status, page, {"Content-Type": "text/html", **self._rate_headers()})
        if fault.kind == "not_json":
            return Answer(200, _MAINTENANCE, {"Content-Type": JSON_TYPE, **self._rate_headers()})
        # truncated / cut_json damage the real answer, so compute it first.
        return self._answer(method, path, query, authorization, body)

    def _answer(self, method: str, path: str, query: dict[str, str], authorization: str | None,
                body: bytes = b"") -> Answer:
        """Answer as the API would: rate limits, then the routes."""
        with self._lock:
            allowed, headers = self._limiter.take()
        if not allowed:
            return error(429, headers=headers)
        self.creations.settle()
        made = self.creations.route(method, path, authorization, body, headers)
        if made is not None:
            return made
        return route(self, method, path, query, authorization, headers)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into :meth:`Simulator._answer` calls and writes the answers."""

    protocol_version = "HTTP/1.1"
    server_version = "snapfleet-simulator/1.0"
    # Headers and body leave in one buffered write, and without Nagle: otherwise each
    # answer waits ~40 ms for a delayed ACK and paging benchmarks measure the kernel.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        """Return the ``Server`` header (without the Python version)."""
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.server.simulator._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: tests and benchmarks read the request log, not stderr."""

    def do_GET(self) -> None:  # the name http.server dispatches to
        self._serve()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        sim = self.server.simulator
        started = time.monotonic()
        method = self.command
        split = urlsplit(self.path)
        path = split.path
        query: dict[str, str] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(key, value)
        authorization = self.headers.get("Authorization")
        answer: Answer | None = None
        damage: str | None = None
        sim._enter()
        try:
            body = self._read_body()
            sim._sleep(sim.latency)
            fault = sim._take_fault(method, path, query)
            if fault is None or fault.kind in ("slow", "late", "lost"):
                if fault is not None and fault.kind == "slow":
                    sim._sleep(fault.delay)
                answer = sim._answer(method, path, query, authorization, body)
                if fault is not None and fault.kind == "late":
                    sim._sleep(fault.delay)
                elif fault is not None and fault.kind == "lost":
                    if fault.status is None:
                        answer = None
                        raise _Drop
                    answer = error(fault.status, headers=sim._rate_headers())
            elif fault.kind == "drop":
                raise _Drop
            else:
                answer = sim._fault_answer(fault, method, path, query, authorization, body)
                if fault.kind in ("truncated", "cut_json") and answer.status == 200:
                    damage = fault.kind
        except _Drop:
            self.close_connection = True
        finally:
            # Logged before the answer leaves: a client that got its answer can read the log.
            sim._leave(RequestRecord(method, path, query, answer.status if answer else 0, started,
                                     time.monotonic(), sim._authorized(authorization)))
        if answer is not None:
            self._write(answer, damage)

    def _read_body(self) -> bytes:
        # Keep-alive framing: an unread request body would be parsed as the next request.
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, answer: Answer, damage: str | None) -> None:
        body = answer.body
        declared = len(body)
        if damage == "truncated":
            body = body[: len(body) // 2]
        elif damage == "cut_json":
            body = body[: len(body) // 2]
            declared = len(body)
        self.send_response(answer.status)
        # 204 No Content: no body, so neither Content-Type nor Content-Length (RFC 9110 8.6).
        if answer.status == 204:
            headers = answer.headers
        else:
            headers = {"Content-Type": JSON_TYPE, **answer.headers, "Content-Length": str(declared)}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if damage == "truncated":
            # The client waits for bytes that never come until the connection closes.
            self.wfile.flush()
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """Threaded server sized for ~64 concurrent keep-alive clients."""

    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup that can stall for
        # seconds on machines without a resolver; loopback needs no name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; report real bugs."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)) or self.simulator._stopping.is_set():
            return
        super().handle_error(request, client_address)
