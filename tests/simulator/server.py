"""The HTTP side of the simulator: a threaded HTTP/1.1 server on loopback.

Request pipeline, in order: latency, fault injection, rate limit, authentication,
routing and parameter validation, then the answer (plus the page's mutation).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from .data import Snapshot, make_snapshots
from .models import Fault, Mutation, RateLimit, RequestRecord, error_for
from .store import SnapshotStore

JSON_TYPE = "application/json; charset=utf-8"
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20
RESOURCE_TYPES = ("droplet", "volume")
#: The default budget: generous enough never to bite a test that does not ask for it.
DEFAULT_RATE_LIMIT = RateLimit(limit=5000, window=60.0)

_INT = re.compile(r"^[+-]?\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VOLUME_SNAPSHOTS = re.compile(r"^/v2/volumes/([^/]+)/snapshots$")
_MAINTENANCE = b"<html><body><h1>Down for maintenance</h1></body></html>\n"


class Answer(NamedTuple):
    """A complete HTTP answer before it is written (and possibly damaged by a fault)."""

    status: int
    body: bytes
    headers: dict[str, str]


class _Drop(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Close the connection without answering (a fault, or the server is stopping)."""


class _RateBudget:
    """Fixed-window request budget; the caller holds the simulator's lock."""

    def __init__(self, limit: RateLimit | None) -> None:
        self.limit = limit
        self.opened = 0.0
        self.used = 0

    def _roll(self, now: float) -> None:
        if self.limit is not None and (self.used == 0 or now >= self.opened + self.limit.window):
            self.opened = now
            self.used = 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        """Spend one request if the window has room; return (allowed, headers)."""
        if self.limit is None:
            return True, self.headers(now)
        self._roll(now)
        allowed = self.used < self.limit.limit
        if allowed:
            self.used += 1
        headers = self.headers(now)
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.opened + self.limit.window - now)))
        return allowed, headers

    def headers(self, now: float) -> dict[str, str]:
        """Return the truthful ``ratelimit-*`` headers for this moment, spending nothing."""
        if self.limit is None:
            # Unlimited: report the real API's hourly budget as untouched.
            return {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "5000",
                "ratelimit-reset": str(int(now) + 3600),
            }
        if self.used and now >= self.opened + self.limit.window:
            self.opened, self.used = now, 0
        opened = self.opened if self.used else now
        return {
            "ratelimit-limit": str(self.limit.limit),
            "ratelimit-remaining": str(max(0, self.limit.limit - self.used)),
            "ratelimit-reset": str(math.ceil(opened + self.limit.window)),
        }


def _error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Answer:
    error_id, default_message = error_for(status)
    request_id = str(uuid.uuid4())
    body = {"id": error_id, "message": message or default_message, "request_id": request_id}
    return Answer(status, _dumps(body), {"X-Request-Id": request_id, **(headers or {})})


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _INT.match(raw.strip()):
        raise ValueError(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        raise ValueError(f"{name} must be at least {low}{upper}, got {value}")
    return value


def _page_of(query: dict[str, str]) -> int | None:
    raw = query.get("page", "1").strip()
    return int(raw) if _INT.match(raw) else None


class Simulator:
    """DigitalOcean's snapshot API on ``127.0.0.1``, for tests, demos and benchmarks.

    ``latency`` (seconds) is waited before every answer and may be changed while running;
    ``volumes`` are extra volume UUIDs that exist without snapshots. Use as a context
    manager or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        snapshots: Iterable[Snapshot] | None = None,
        token: str = "sim-token",
        latency: float = 0.0,
        volumes: Iterable[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        mutation: Mutation | None = None,
    ) -> None:
        """Prepare a simulator; nothing listens until :meth:`start`."""
        self.token = token
        self.latency = latency
        self.host = host
        self._port = port
        self._store = SnapshotStore(make_snapshots() if snapshots is None else snapshots, volumes or ())
        self._store.mutation = mutation
        self._lock = threading.Lock()
        self._budget = _RateBudget(rate_limit)
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

    # -- data ------------------------------------------------------------------------------

    @property
    def snapshots(self) -> list[Snapshot]:
        """A copy of the current list in the API's order (mutations change it)."""
        return self._store.snapshots

    @snapshots.setter
    def snapshots(self, snapshots: Iterable[Snapshot]) -> None:
        self._store.replace(snapshots)

    @property
    def mutation(self) -> Mutation | None:
        """The active :class:`Mutation`; setting one restarts its counting."""
        return self._store.mutation

    @mutation.setter
    def mutation(self, mutation: Mutation | None) -> None:
        self._store.mutation = mutation

    @property
    def mutation_rounds(self) -> int:
        """How many mutation rounds ran since the mutation was set."""
        return self._store.mutation_rounds

    @property
    def rate_limit(self) -> RateLimit | None:
        """The active :class:`RateLimit` (None: unlimited); setting one opens a new window."""
        return self._budget.limit

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        with self._lock:
            self._budget = _RateBudget(limit)

    def delete_volume(self, volume_id: str) -> None:
        """Delete a volume: its endpoint answers 404 from now on, its snapshots stay listed."""
        self._store.delete_volume(volume_id)

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

    def _sleep(self, seconds: float) -> None:
        # Event.wait instead of time.sleep: stop() wakes every sleeping handler at once.
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Drop
        if self._stopping.is_set():
            raise _Drop

    def _take_fault(self, path: str, query: dict[str, str]) -> Fault | None:
        page = _page_of(query)
        with self._lock:
            for fault in self._faults:
                if fault.take(path, page):
                    return fault
        return None

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            return self._budget.headers(time.time())

    def _fault_answer(self, fault: Fault, method: str, path: str, query: dict[str, str],
                      authorization: str | None) -> Answer:
        """Build the answer of a fault that replaces the normal one (not drop or slow)."""
        if fault.kind == "status":
            status = fault.status or 500
            headers = self._rate_headers()
            if status == 429 and fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return _error(status, headers=headers)
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
        return self._answer(method, path, query, authorization)

    def _answer(self, method: str, path: str, query: dict[str, str], authorization: str | None) -> Answer:
        """Answer as the API would: rate limit, auth, routing, validation, data."""
        with self._lock:
            allowed, headers = self._budget.take(time.time())
        if not allowed:
            return _error(429, headers=headers)
        if authorization != f"Bearer {self.token}":
            return _error(401, headers=headers)
        if method != "GET":
            return _error(405, f"The {method} method is not allowed for {path}.",
                          {**headers, "Allow": "GET"})
        try:
            if path == "/v2/snapshots":
                return self._list(path, query, headers, resource_type=query.get("resource_type"))
            match = _VOLUME_SNAPSHOTS.match(path)
            if match:
                return self._list(path, query, headers, volume_id=match.group(1))
            if path.startswith("/v2/snapshots/") and path.count("/") == 3 and path[14:]:
                snapshot = self._store.get(path[14:])
                if snapshot is not None:
                    return Answer(200, _dumps({"snapshot": snapshot}), headers)
        except ValueError as exc:
            return _error(422, str(exc), headers)
        return _error(404, headers=headers)

    def _list(self, path: str, query: dict[str, str], headers: dict[str, str], *,
              resource_type: str | None = None, volume_id: str | None = None) -> Answer:
        page = _int_param(query, "page", 1, 1, None)
        per_page = _int_param(query, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        if resource_type is not None and resource_type not in RESOURCE_TYPES:
            raise ValueError(f"resource_type must be one of {', '.join(RESOURCE_TYPES)}, got {resource_type!r}")
        if volume_id is not None and not _UUID.match(volume_id):
            raise ValueError(f"volume_id must be a UUID, got {volume_id!r}")
        result = self._store.page(page, per_page, resource_type=resource_type, volume_id=volume_id)
        if result is None:
            return _error(404, headers=headers)
        items, total = result
        body = {"snapshots": items, "links": self._links(path, query, page, per_page, total),
                "meta": {"total": total}}
        return Answer(200, _dumps(body), headers)

    def _links(self, path: str, query: dict[str, str], page: int, per_page: int, total: int) -> dict[str, Any]:
        last = max(1, math.ceil(total / per_page))
        # Keep the caller's parameters (besides page) in the caller's order, page first.
        rest = [(k, v) for k, v in query.items() if k != "page"]

        def url(number: int) -> str:
            return f"{self.url}{path}?{urlencode([('page', str(number)), *rest])}"

        pages: dict[str, str] = {}
        if page > 1:
            pages["first"] = url(1)
            pages["prev"] = url(min(page - 1, last))
        if page < last:
            pages["next"] = url(page + 1)
            pages["last"] = url(last)
        return {"pages": pages} if pages else {}


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
            self._discard_body()
            sim._sleep(sim.latency)
            fault = sim._take_fault(path, query)
            if fault is None or fault.kind == "slow":
                if fault is not None:
                    sim._sleep(fault.delay)
                answer = sim._answer(method, path, query, authorization)
            elif fault.kind == "drop":
                raise _Drop
            else:
                answer = sim._fault_answer(fault, method, path, query, authorization)
                if fault.kind in ("truncated", "cut_json") and answer.status == 200:
                    damage = fault.kind
        except _Drop:
            self.close_connection = True
        finally:
            # Logged before the answer leaves: a client that got its answer can read the log.
            sim._leave(RequestRecord(method, path, query, answer.status if answer else 0, started,
                                     time.monotonic(), authorization == f"Bearer {sim.token}"))
        if answer is not None:
            self._write(answer, damage)

    def _discard_body(self) -> None:
        # Keep-alive framing: an unread request body would be parsed as the next request.
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)

    def _write(self, answer: Answer, damage: str | None) -> None:
        body = answer.body
        declared = len(body)
        if damage == "truncated":
            body = body[: len(body) // 2]
        elif damage == "cut_json":
            body = body[: len(body) // 2]
            declared = len(body)
        self.send_response(answer.status)
        headers = {"Content-Type": JSON_TYPE, **answer.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(declared))
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
