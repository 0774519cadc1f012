# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DigitalOcean API client shared by the module and the lookup.

It owns everything about HTTP: the ``requests`` session, authentication,
retries, the rate budget, concurrent paging and the checks that a listing is
whole. It has no Ansible imports, so it runs the same inside a module on a
managed host and inside a lookup on the controller.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
import traceback
import typing as t
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from .errors import APIError, IncompleteListingError, MissingDependencyError, TransportError, redact

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry
except ImportError:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: t.Optional[str] = traceback.format_exc()

    class Retry:  # type: ignore[no-redef]
        """Stand-in so that this file imports without urllib3."""

    class _AuthBase:
        """Stand-in so that this file imports without requests."""
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
    _AuthBase = requests.auth.AuthBase  # type: ignore[misc,assignment]


COLLECTION_NAME = "snapfleet.digitalocean"
COLLECTION_VERSION = "1.0.0"
USER_AGENT = "%s/%s (+https://github.com/snapfleet/snapfleet.digitalocean)" % (COLLECTION_NAME, COLLECTION_VERSION)

DEFAULT_API_URL = "https://api.digitalocean.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_PER_PAGE = 200
MAX_PER_PAGE = 200
DEFAULT_CONCURRENCY = 64
DEFAULT_RETRIES = 5
DEFAULT_RETRY_MAX_WAIT = 60.0
# How many times a listing is read again from the start when pages disagree
# (snapshots created or deleted while it was read) before giving up.
DEFAULT_LISTING_READS = 4

# The statuses worth asking again: rate limiting and the server's transient faults.
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))


def require_requests() -> None:
    """Raise MissingDependencyError when ``requests`` cannot be imported."""
    if not HAS_REQUESTS:
        raise MissingDependencyError(
            "The Python library requests is required by %s (pip install requests) on the host "
            "that runs this code. Import error: %s"
            % (COLLECTION_NAME, (REQUESTS_IMPORT_ERROR or "").strip().splitlines()[-1:])
        )


class Listing:
    """What one query read from the API: the snapshots in the API's order, ``meta`` and ``links``."""

    __slots__ = ("snapshots", "total", "links")

    def __init__(self, snapshots: t.List[dict], total: int, links: dict) -> None:
        self.snapshots = snapshots
        self.total = total
        self.links = links

    def to_dict(self) -> dict:
        return {"snapshots": self.snapshots, "total": self.total, "links": self.links}

    @classmethod
    def from_dict(cls, data: dict) -> "Listing":
        return cls(list(data["snapshots"]), int(data["total"]), dict(data.get("links") or {}))


class _BearerAuth(_AuthBase):  # type: ignore[misc,valid-type]
    """Sets the Authorization header; its repr never shows the token.

    Being the session's ``auth`` also stops requests from reading ~/.netrc, and
    requests drops the header itself when a redirect leaves the host.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: t.Any) -> t.Any:
        request.headers["Authorization"] = "Bearer %s" % self._token
        return request

    def __repr__(self) -> str:
        return "<BearerAuth ********>"


class _BoundedRetry(Retry):  # type: ignore[misc,valid-type]
    """urllib3's Retry, plus what it lacks for this API.

    - a 429 without ``Retry-After`` waits until ``ratelimit-reset``;
    - the waits of one request add up to at most ``max_wait`` seconds: our own
      backoff is shortened to fit, and when the server asks for a longer pause
      than is left, the answer is handed back as it is (and reported) rather
      than asked again too early;
    - exponential backoff with full jitter, the same on urllib3 1.26 and 2.x.
    """

    def __init__(self, *args: t.Any, max_wait: float = DEFAULT_RETRY_MAX_WAIT, waited: float = 0.0,
                 sleeper: t.Callable[[float], None] = time.sleep, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait
        self.waited = waited
        self.sleeper = sleeper
        self.pending_wait = 0.0

    def new(self, **kw: t.Any) -> "_BoundedRetry":
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        retry.waited = self.waited
        retry.sleeper = self.sleeper
        return retry

    def increment(self, method: t.Optional[str] = None, url: t.Optional[str] = None, response: t.Any = None,
                  error: t.Optional[Exception] = None, _pool: t.Any = None, _stacktrace: t.Any = None) -> "_BoundedRetry":
        retry = super().increment(method, url, response=response, error=error, _pool=_pool, _stacktrace=_stacktrace)
        left = max(0.0, retry.max_wait - retry.waited)
        wait = retry._server_wait(response) if response is not None else None
        if wait is not None and wait > left:
            # urllib3 answers this by returning the response as it is (raise_on_status is off).
            raise MaxRetryError(_pool, url, "the API asked to wait %.0f s, more than retry_max_wait allows" % wait)
        retry.pending_wait = min(retry._backoff() if wait is None else wait, left)
        return retry

    def _server_wait(self, response: t.Any) -> t.Optional[float]:
        headers = response.headers
        if headers.get("Retry-After"):
            try:
                return float(self.parse_retry_after(headers["Retry-After"]))
            except Exception:  # an unparsable header falls back to backoff
                return None
        if response.status == 429 and headers.get("ratelimit-reset"):
            try:
                return max(0.0, float(headers["ratelimit-reset"]) - time.time())
            except ValueError:
                return None
        return None

    def _backoff(self) -> float:
        errors = len(self.history)
        if errors <= 1 or not self.backoff_factor:
            return 0.0
        return random.uniform(0, self.backoff_factor * (2 ** (errors - 1)))

    def sleep(self, response: t.Any = None) -> None:
        wait, self.pending_wait = self.pending_wait, 0.0
        self.waited += wait
        if wait:
            self.sleeper(wait)


class RateBudget:
    """Keeps concurrent requests inside the API's rate budget.

    The API reports ``ratelimit-remaining`` and ``ratelimit-reset`` on every
    answer. A request may start only while the last reported remaining budget,
    less the requests already in flight, stays above zero; otherwise it waits
    for the reset (at most ``max_wait`` seconds), so that a wide concurrent
    listing never spends a budget that is not there.
    """

    def __init__(self, max_wait: float = DEFAULT_RETRY_MAX_WAIT, sleeper: t.Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._remaining: t.Optional[int] = None  # None: no figure, no limit known
        self._reset: t.Optional[float] = None
        self._limit: t.Optional[int] = None
        self._in_flight = 0
        self.max_wait = max_wait
        self._sleeper = sleeper

    def acquire(self) -> None:
        """Wait until one more request fits in the budget (at most ``max_wait`` seconds), then count it."""
        deadline = time.time() + self.max_wait
        while True:
            with self._lock:
                now = time.time()
                if self._remaining is not None and self._reset is not None and now >= self._reset:
                    # The window has turned over: a fresh window holds the whole limit.
                    self._remaining, self._reset = self._limit, None
                if self._remaining is None or self._remaining - self._in_flight > 0 or now >= deadline:
                    # Past the deadline the request goes anyway: the server's 429 and the retries take over.
                    self._in_flight += 1
                    return
                pause = min(max((self._reset or now + 1.0) - now, 0.01), 1.0, max(deadline - now, 0.01))
            self._sleeper(pause)

    def release(self, headers: t.Optional[t.Mapping[str, str]]) -> None:
        """Count a request as answered and learn the budget from its ``ratelimit-*`` headers."""
        with self._lock:
            self._in_flight -= 1
            if not headers:
                return
            try:
                remaining = int(headers["ratelimit-remaining"])
                reset = float(headers["ratelimit-reset"])
            except (KeyError, TypeError, ValueError):
                return
            if not math.isfinite(reset) or remaining < 0:
                return
            try:
                self._limit = int(headers["ratelimit-limit"])
            except (KeyError, TypeError, ValueError):
                pass
            if self._reset is None or reset > self._reset or self._remaining is None:
                self._remaining, self._reset = remaining, reset
            elif reset == self._reset:
                # Answers arrive out of order; the smallest figure of a window is the truest.
                self._remaining = min(self._remaining, remaining)

    @property
    def remaining(self) -> t.Optional[int]:
        return self._remaining


class _Page:
    __slots__ = ("snapshots", "total", "links", "attempts")

    def __init__(self, snapshots: t.List[dict], total: int, links: dict, attempts: int) -> None:
        self.snapshots = snapshots
        self.total = total
        self.links = links
        self.attempts = attempts


class _BodyFault(Exception):
    """An answer whose body was cut off: its status and the attempts it took are kept."""

    def __init__(self, status: int, attempts: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.attempts = attempts
        self.reason = reason


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _describe_non_json(response: t.Any) -> str:
    """Say what came back instead of the API's JSON, for an error message."""
    content_type = response.headers.get("Content-Type") or "no content type"
    text = response.text or ""
    title = _TITLE.search(text)
    if "html" in content_type.lower() or text.lstrip().startswith("<"):
        what = "an HTML page (%s)" % content_type
        if title:
            what += " titled %r" % " ".join(title.group(1).split())[:120]
        return "the answer was %s, not the API's JSON; a proxy or load balancer may be in the way" % what
    return "the answer was cut off or is not valid JSON (%s, %d bytes)" % (content_type, len(response.content or b""))


def parse_list_body(body: t.Any) -> t.Tuple[t.List[dict], int, dict]:
    """Check a list answer against the contract and return (snapshots, meta.total, links).

    Raises ``ValueError`` with what is wrong; the caller turns it into an APIError.
    """
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    snapshots = body.get("snapshots")
    if not isinstance(snapshots, list):
        raise ValueError("the answer has no 'snapshots' list")
    meta = body.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError("the answer has no valid 'meta.total'")
    links = body.get("links")
    if links is None:
        links = {}
    if not isinstance(links, dict):
        raise ValueError("the answer's 'links' is not an object")
    return [normalize_snapshot(item) for item in snapshots], total, links


def parse_snapshot_body(body: t.Any) -> dict:
    """Check a GET-by-id answer (``{"snapshot": {...}}``) and return the snapshot."""
    if not isinstance(body, dict) or not isinstance(body.get("snapshot"), dict):
        raise ValueError("the answer has no 'snapshot' object")
    return normalize_snapshot(body["snapshot"])


def normalize_snapshot(item: t.Any) -> dict:
    """Return the API's snapshot object, with ``tags`` always a list (the API may say null)."""
    if not isinstance(item, dict):
        raise ValueError("a snapshot is not a JSON object")
    if not isinstance(item.get("id"), (str, int)) or isinstance(item.get("id"), bool):
        raise ValueError("a snapshot has no valid 'id'")
    if item.get("tags") is None:
        item["tags"] = []
    elif not isinstance(item["tags"], list):
        raise ValueError("snapshot %s has 'tags' that are not a list" % item["id"])
    if item.get("regions") is not None and not isinstance(item["regions"], list):
        raise ValueError("snapshot %s has 'regions' that are not a list" % item["id"])
    item["id"] = str(item["id"])
    return item


class Client:
    """A DigitalOcean API client for the snapshot endpoints.

    Building it sends nothing; every method sends only GET requests.
    """

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = DEFAULT_TIMEOUT,
        validate_certs: bool = True,
        concurrency: int = DEFAULT_CONCURRENCY,
        retries: int = DEFAULT_RETRIES,
        retry_max_wait: float = DEFAULT_RETRY_MAX_WAIT,
        retry_backoff: float = 0.5,
        listing_reads: int = DEFAULT_LISTING_READS,
        sleeper: t.Callable[[float], None] = time.sleep,
    ) -> None:
        require_requests()
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.concurrency = max(1, int(concurrency))
        self.retries = max(0, int(retries))
        self.listing_reads = max(1, int(listing_reads))
        self.budget = RateBudget(max_wait=retry_max_wait, sleeper=sleeper)
        self.requests_sent = 0
        self._count_lock = threading.Lock()

        retry = _BoundedRetry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            redirect=False,
            allowed_methods=frozenset(("GET",)),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=retry_backoff,
            raise_on_status=False,
            respect_retry_after_header=True,
            max_wait=retry_max_wait,
            sleeper=sleeper,
        )
        self._body_retry = retry  # the same bounds apply to re-reading a cut-off body
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(self.concurrency, 1), max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.auth = _BearerAuth(token)
        session.verify = bool(validate_certs)
        session.headers["User-Agent"] = USER_AGENT
        session.headers["Accept"] = "application/json"
        self.session = session

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self.close()

    # -- one request -----------------------------------------------------------------

    def _send(self, path: str, params: t.Optional[dict]) -> t.Tuple[t.Any, int]:
        """GET ``path`` once (urllib3 retries inside); return (response, attempts)."""
        self.budget.acquire()
        response = None
        attempts = 1
        try:
            # stream=True: the body is read below, so that a cut-off body keeps its status and attempts.
            # allow_redirects=False: the API never redirects; a 3xx is reported, not followed elsewhere.
            response = self.session.get(self.api_url + path, params=params, timeout=self.timeout,
                                        stream=True, allow_redirects=False)
            attempts += len(getattr(getattr(response.raw, "retries", None), "history", ()) or ())
            try:
                response.content  # noqa: B018 - reads the body
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                    requests.exceptions.ConnectionError) as exc:
                raise _BodyFault(response.status_code, attempts, self._reason(exc)) from None
        except requests.exceptions.RequestException as exc:
            attempts = self.retries + 1 if _exhausted(exc) else 1
            exc.snapfleet_attempts = attempts  # type: ignore[attr-defined]
            raise
        finally:
            self.budget.release(response.headers if response is not None else None)
            with self._count_lock:
                self.requests_sent += attempts
        return response, attempts

    def get_json(self, path: str, params: t.Optional[dict] = None) -> t.Tuple[t.Any, int]:
        """GET ``path`` and return (decoded JSON body, attempts), or raise the collection's error.

        Status faults, dropped connections and timeouts are retried by urllib3.
        A 200 whose body is cut off or is not JSON is asked again here, within
        the same bound, because urllib3 has already handed the answer over.
        """
        attempts = 0
        last_fault = ""
        last_status = 200
        shown_path = self._shown_path(path, params)
        for body_try in range(self.retries + 1):
            try:
                response, used = self._send(path, params)
            except _BodyFault as fault:
                attempts += fault.attempts
                last_status, last_fault = fault.status, "the answer was cut off (%s)" % fault.reason
                if attempts > self.retries or (fault.status != 200 and fault.status not in RETRY_STATUSES):
                    break
                self._pause(body_try)
                continue
            except requests.exceptions.RequestException as exc:
                used = getattr(exc, "snapfleet_attempts", 1)
                raise TransportError(shown_path, attempts + used, self._reason(exc)) from None
            attempts += used
            if response.status_code != 200:
                raise self._api_error(response, shown_path, attempts)
            try:
                return json.loads(response.content), attempts
            except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
                last_status, last_fault = 200, _describe_non_json(response)
                if attempts > self.retries:
                    # One budget of attempts for the request, however its faults mix.
                    break
                self._pause(body_try)
        raise APIError(last_status, shown_path, attempts, detail=last_fault)

    def _pause(self, body_try: int) -> None:
        retry = self._body_retry
        wait = random.uniform(0, retry.backoff_factor * (2 ** body_try)) if body_try and retry.backoff_factor else 0.0
        if wait:
            retry.sleeper(min(wait, retry.max_wait))

    def _api_error(self, response: t.Any, path: str, attempts: int) -> APIError:
        api_id = api_message = request_id = None
        detail = None
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            body = None
            detail = _describe_non_json(response)
        if isinstance(body, dict):
            api_id = _text(body.get("id"))
            api_message = _text(body.get("message"))
            request_id = _text(body.get("request_id"))
        elif body is not None:
            detail = "the error answer is not the API's error object"
        request_id = request_id or response.headers.get("X-Request-Id") or response.headers.get("x-request-id")
        if 300 <= response.status_code < 400:
            detail = (detail + "; " if detail else "") + "redirected to %s; the API does not redirect, check api_url" % (
                response.headers.get("Location", "nowhere"))
        if response.status_code == 429:
            detail = (detail + "; " if detail else "") + "the API's rate limit is exhausted (ratelimit-reset %s)" % (
                response.headers.get("ratelimit-reset", "unknown"))
        error = APIError(response.status_code, path, attempts, api_id, api_message, request_id,
                         response.headers.get("Content-Type"), detail)
        error.message = redact(error.message, [self._token])
        return error

    def _reason(self, exc: BaseException) -> str:
        # requests' messages name the host and port and the underlying cause; the token is
        # never in them, but redact anyway as a last line of defence.
        text = str(exc) or exc.__class__.__name__
        text = re.sub(r"<urllib3\.[^>]*>", "connection", text)
        return redact("%s: %s" % (exc.__class__.__name__, text), [self._token])

    @staticmethod
    def _shown_path(path: str, params: t.Optional[dict]) -> str:
        if not params:
            return path
        return path + "?" + "&".join("%s=%s" % (k, v) for k, v in params.items() if v is not None)

    # -- the three operations -----------------------------------------------------------

    def get_snapshot(self, snapshot_id: str) -> dict:
        """``GET /v2/snapshots/{snapshot_id}``: one snapshot."""
        path = "/v2/snapshots/%s" % quote(str(snapshot_id), safe="")
        body, attempts = self.get_json(path)
        try:
            return parse_snapshot_body(body)
        except ValueError as exc:
            raise APIError(200, path, attempts, detail="the answer does not match the API's contract: %s" % exc) from None

    def list(self, path: str, params: t.Optional[dict] = None, per_page: int = DEFAULT_PER_PAGE,
             page: t.Optional[int] = None) -> Listing:
        """List ``path`` (``/v2/snapshots`` or ``/v2/volumes/{id}/snapshots``).

        With ``page`` it reads that page alone and returns its ``links``.
        Otherwise it reads page 1, learns ``meta.total``, then requests every
        other page at once (up to ``concurrency`` at a time): exactly
        ``ceil(total / per_page)`` requests when nothing changes meanwhile.
        """
        params = dict(params or {})
        if page is not None:
            one = self._get_page(path, params, page, per_page)
            return Listing(one.snapshots, one.total, one.links)

        problem = ""
        for _read in range(self.listing_reads):
            first = self._get_page(path, params, 1, per_page)
            if len(first.snapshots) != min(per_page, first.total):
                # Page 1 contradicts its own total: no point asking for the others yet.
                problem = "page 1 had %d snapshots for a total of %d" % (len(first.snapshots), first.total)
                continue
            numbers = range(2, max(1, math.ceil(first.total / per_page)) + 1)
            snapshots, problem = _assemble([first] + self._get_pages(path, params, numbers, per_page), per_page)
            if not problem:
                return Listing(snapshots, first.total, {})
        raise IncompleteListingError(self._shown_path(path, params), self.listing_reads, problem)

    def _get_pages(self, path: str, params: dict, numbers: t.Iterable[int], per_page: int) -> t.List[_Page]:
        numbers = list(numbers)
        if not numbers:
            return []
        if self.concurrency == 1 or len(numbers) == 1:
            return [self._get_page(path, params, n, per_page) for n in numbers]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(numbers)),
                                thread_name_prefix="snapfleet-page") as pool:
            # map() keeps the pages in the API's order whatever the order of arrival,
            # and re-raises the first failure: no page is ever dropped silently.
            return list(pool.map(lambda n: self._get_page(path, params, n, per_page), numbers))

    def _get_page(self, path: str, params: dict, page: int, per_page: int) -> _Page:
        query = dict(params)
        query["page"] = page
        query["per_page"] = per_page
        body, attempts = self.get_json(path, query)
        try:
            snapshots, total, links = parse_list_body(body)
        except ValueError as exc:
            raise APIError(200, self._shown_path(path, query), attempts,
                           detail="the answer does not match the API's contract: %s" % exc) from None
        return _Page(snapshots, total, links, attempts)


def _assemble(pages: t.List[_Page], per_page: int) -> t.Tuple[t.List[dict], str]:
    """Join pages read at slightly different moments; say what is wrong if they disagree.

    Page-number paging over a list that changes shifts items between pages:
    a snapshot created meanwhile pushes one item onto the next page (read
    twice), one deleted pulls one back (never read). Each shows as a total that
    changed, a page of the wrong length or a duplicate id.
    """
    total = pages[0].total
    totals = sorted({p.total for p in pages})
    if len(totals) > 1:
        return [], "meta.total changed from %d to %s while pages were read" % (total, ", ".join(map(str, totals)))
    expected_last = total - per_page * (len(pages) - 1)
    for number, page in enumerate(pages, start=1):
        want = per_page if number < len(pages) else expected_last
        if len(page.snapshots) != max(want, 0):
            return [], "page %d had %d snapshots, expected %d" % (number, len(page.snapshots), max(want, 0))
    seen: t.Set[str] = set()
    result: t.List[dict] = []
    for page in pages:
        for item in page.snapshots:
            if item["id"] in seen:
                return [], "snapshot %s was listed twice" % item["id"]
            seen.add(item["id"])
            result.append(item)
    return result, ""


def _exhausted(exc: BaseException) -> bool:
    """Did urllib3 give up after using every retry (rather than fail at once)?"""
    reason = exc.args[0] if exc.args else None
    return reason.__class__.__name__ == "MaxRetryError"


def _text(value: t.Any) -> t.Optional[str]:
    return None if value is None else str(value)
