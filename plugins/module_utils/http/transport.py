# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP for the client: one ``requests`` session and the policy every request follows.

- Where a request goes: ``verify`` and ``proxies`` are decided here, from the options and
  the environment, and passed on every request (``session.trust_env`` is off, so requests
  merges nothing behind our back: see ``_verify`` and ``_proxies``).
- When it may start: ``Pacer`` (pacing.py, with the budgets) keeps it inside the hourly budget and the burst limit.
- How often it is tried and how long it may wait: urllib3 retries it (``_Retry``) and
  ``get_json`` reads a cut-off answer again; every wait draws on one ``RequestBudget``
  (``retry_max_wait``) nested in the task's ``TimeBudget`` (``total_max_wait``).

No Ansible imports: this runs the same in a module on a managed host and in a lookup.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import math
import os
import random
import re
import threading
import time
import traceback
import typing as t
import warnings

from ..errors import APIError, MissingDependencyError, OptionError, SnapfleetError, TransportError, redact
from .bodies import ContractError, decode_json, describe_non_json, error_fields
from .pacing import Pacer, RequestBudget, TimeBudget, api_now
from .urls import unverified

# The oldest versions the client works with: urllib3 1.26.0 brought Retry(allowed_methods=...)
# (1.25 raises TypeError); requests 2.25.0 is the oldest requests that accepts urllib3 1.26.
MIN_REQUESTS = (2, 25, 0)
MIN_URLLIB3 = (1, 26, 0)

try:
    import requests
    import urllib3
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, InsecureRequestWarning, MaxRetryError, SSLError
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
    _SEND_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException,
                    OSError, ValueError, OverflowError)


def version_tuple(text: str) -> t.Tuple[int, ...]:
    """``"1.26.18"`` -> ``(1, 26, 18)``; a suffix such as ``rc1`` or ``.post1`` is ignored."""
    numbers = []
    for part in text.split(".")[:3]:
        digits = re.match(r"\d+", part)
        if not digits:
            break
        numbers.append(int(digits.group()))
    return tuple(numbers)


def version_problem(requests_version: str, urllib3_version: str) -> t.Optional[str]:
    """Say what is too old among the installed requests and urllib3, or None when both will do."""
    old = []
    for name, have, need in (("requests", requests_version, MIN_REQUESTS), ("urllib3", urllib3_version, MIN_URLLIB3)):
        if version_tuple(have) < need:
            old.append("%s %s is installed, %s >= %s is needed" % (name, have, name, ".".join(map(str, need))))
    return "; ".join(old) or None


if HAS_REQUESTS:
    _TOO_OLD = version_problem(requests.__version__, urllib3.__version__)
    if _TOO_OLD:
        HAS_REQUESTS = False
        REQUESTS_IMPORT_ERROR = _TOO_OLD


def require_requests() -> None:
    """Raise MissingDependencyError when requests or urllib3 is missing or too old."""
    if not HAS_REQUESTS:
        text = (REQUESTS_IMPORT_ERROR or "").strip()
        if "Traceback" in text:
            text = "Import error: %s" % text.splitlines()[-1]
        raise MissingDependencyError(
            "The Python libraries requests >= %s and urllib3 >= %s are required by snapfleet.digitalocean "
            "(pip install 'requests>=%s' 'urllib3>=%s') on the host that runs this code. %s"
            % (".".join(map(str, MIN_REQUESTS)), ".".join(map(str, MIN_URLLIB3)),
               ".".join(map(str, MIN_REQUESTS)), ".".join(map(str, MIN_URLLIB3)), text)
        )


# The statuses worth asking again: rate limiting, the server's transient faults, and what a CDN in
# front of the API answers when the origin fails (520-524, as 502/503 are from a load balancer).
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504, 520, 521, 522, 523, 524))
# GET reads. DELETE is idempotent here: deleting a snapshot twice leaves it deleted, and a retry that
# finds it gone answers 404. So a DELETE whose answer was a 429, a 5xx or lost on the way is safe to send
# again; the error raised carries ``answers_lost``, the attempts that may have taken effect unanswered, so
# that the client can tell a 404 after its own lost delete from one for a snapshot already gone. Nothing
# else is ever sent.
RETRY_METHODS = frozenset(("GET", "DELETE"))


class _BearerAuth(_AuthBase):  # type: ignore[misc,valid-type]
    """Sets the Authorization header; its repr never shows the token.

    requests drops the header itself when a redirect leaves the host (and the
    client never follows redirects anyway).
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: t.Any) -> t.Any:
        request.headers["Authorization"] = "Bearer %s" % self._token
        return request

    def __repr__(self) -> str:
        return "<BearerAuth ********>"


class _Call:
    """One call of ``get_json``: its attempts, its wait budget, and whether an attempt awaits its answer.

    urllib3 retries inside ``session.request``; ``_Retry`` finds the call through a
    thread-local (urllib3 runs the retries in the calling thread) so that its waits and
    attempts are the call's.
    """

    def __init__(self, transport: "Transport", budget: RequestBudget) -> None:
        self.transport = transport
        self.budget = budget
        self.attempts = 0
        self.pending = False  # an attempt was started whose answer the pacer has not seen
        self.next_wait = 0.0
        self.refused: t.Optional[str] = None  # why a wanted retry was not made
        # Attempts that may have reached the API but whose answer was lost (no answer, or a 5xx):
        # a DELETE retried after one may have taken effect already (see ``answers_lost``).
        self.answers_lost = 0

    def start_attempt(self) -> None:
        """Wait for the pacer's go (drawing on the task's budget), then count one attempt."""
        self.transport.pacer.acquire(self.budget.task)
        self.pending = True
        self.attempts += 1
        self.transport.count_attempt()

    def answered(self, response: t.Any) -> None:
        """Tell the pacer what the pending attempt's answer said (None: no answer)."""
        if self.pending:
            self.pending = False
            headers = getattr(response, "headers", None)
            self.transport.pacer.answered(headers, getattr(response, "status", None))

    def owed_wait(self, server_wait: t.Optional[float]) -> t.Optional[float]:
        """The wait the next attempt is owed (``server_wait``, else backoff), or None when the budget cannot give it.

        A retry is never sent early to fit the budget: when its wait does not fit, or the task's
        ``total_max_wait`` is spent, the call ends, and ``refused`` says why in its error.
        """
        wait = self.backoff() if server_wait is None else server_wait
        left = self.budget.left()
        if self.budget.task.left() <= 0:
            self.refused = "no further attempt: %s is spent" % self.budget.task.limiting()
        elif wait > left:
            owed = ("the API asked to wait %.1f s" if server_wait is not None
                    else "the next attempt was owed a backoff of %.1f s") % wait
            self.refused = "no further attempt: %s, more than %s allows (%.1f s left)" % (
                owed, self.budget.limiting(), left)
        else:
            return wait
        return None

    def backoff(self) -> float:
        """Exponential backoff with full jitter; the first retry goes at once (as urllib3's)."""
        factor = self.transport.retry_backoff
        if self.attempts <= 1 or not factor:
            return 0.0
        return random.uniform(0, factor * (2 ** (self.attempts - 1)))


_CURRENT = threading.local()


class _Retry(Retry):  # type: ignore[misc,valid-type]
    """urllib3's Retry, drawing its attempts and waits from the current ``_Call``.

    - TLS and certificate failures fail at once: a certificate does not get better by asking again;
    - one bound of attempts for the call (``retries`` + 1), however urllib3's and the re-reads mix;
    - waits (backoff, ``Retry-After``, ``ratelimit-reset`` after a 429 without it) draw on the
      call's budget: when the wait owed does not fit, or the task's budget is spent, the last
      answer is handed back as it is (or the lost one reported), saying so, rather than asked again early;
    - every retry is an attempt the pacer lets start, like the first.
    """

    def increment(self, method: t.Optional[str] = None, url: t.Optional[str] = None, response: t.Any = None,
                  error: t.Optional[Exception] = None, _pool: t.Any = None, _stacktrace: t.Any = None) -> "_Retry":
        call: t.Optional[_Call] = getattr(_CURRENT, "call", None)
        if call is not None:
            call.answered(response)
        if error is not None and _is_tls_failure(error):
            raise MaxRetryError(_pool, url, error)
        if call is not None and (response is None and not isinstance(error, ConnectTimeoutError)
                                 or response is not None and response.status >= 500):
            call.answers_lost += 1  # a connection never made (ConnectTimeoutError, NewConnectionError) sent nothing
        retry = super().increment(method, url, response=response, error=error, _pool=_pool, _stacktrace=_stacktrace)
        if call is None:
            return retry
        if call.attempts > call.transport.retries:
            raise MaxRetryError(_pool, url, error or "too many attempts")
        wait = call.owed_wait(_server_wait(response) if response is not None else None)
        if wait is None:
            # urllib3 answers this by returning the response as it is (raise_on_status is off); a
            # lost answer is raised with its own cause, and ``refused`` joins the message.
            raise MaxRetryError(_pool, url, error or call.refused)
        call.next_wait = wait
        return retry

    def sleep(self, response: t.Any = None) -> None:
        call: t.Optional[_Call] = getattr(_CURRENT, "call", None)
        if call is None:  # pragma: no cover - the client always sets a call
            super().sleep(response)
            return
        wait, call.next_wait = call.next_wait, 0.0
        call.transport.wait(call.budget, wait)
        call.start_attempt()


def _is_tls_failure(error: BaseException) -> bool:
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, SSLError) or error.__class__.__name__ in ("SSLError", "SSLCertVerificationError"):
            return True
        error = getattr(error, "original_error", None) or error.__cause__ or error.__context__  # type: ignore[assignment]
        seen += 1
    return False


def _server_wait(response: t.Any, wall: t.Callable[[], float] = time.time) -> t.Optional[float]:
    """Seconds the answer asks for: Retry-After, or for a 429 without it, until ratelimit-reset.

    An instant (``ratelimit-reset``, a Retry-After date) is measured against the answer's ``Date``.
    """
    headers = response.headers
    value = headers.get("Retry-After")
    if value:
        if re.fullmatch(r"\s*\d+\s*", value):  # seconds, as RFC 9110 writes them
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None  # an unparsable header falls back to backoff
        if when is None or when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - api_now(headers, wall))
    if response.status == 429 and headers.get("ratelimit-reset"):
        try:
            wait = float(headers["ratelimit-reset"]) - api_now(headers, wall)
        except ValueError:
            return None
        return None if math.isnan(wait) else max(0.0, wait)  # NaN: no figure
    return None


def _verify(validate_certs: bool, ca_path: t.Optional[str]) -> t.Union[bool, str]:
    """What requests verifies the API's certificate with.

    Passed on every request: requests merges REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE over
    ``session.verify`` (so ``validate_certs: false`` was ignored where they are set). With
    verification on and no ``ca_path``, those variables are honoured as requests would.
    Raises OptionError, naming the option or the variable, when what it names cannot be read.
    """
    if not validate_certs:
        return False
    if ca_path:
        return _readable("ca_path", "ca_path (or DIGITALOCEAN_CA_PATH)", ca_path)
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(variable):
            return _readable(variable, "the environment variable %s" % variable, os.environ[variable])
    return True


def _readable(option: str, source: str, path: str) -> str:
    """``path`` when it is a readable file or directory of CA certificates; else an OptionError naming ``source``."""
    if not os.path.exists(path):
        problem = "does not exist"
    elif not os.access(path, os.R_OK):
        problem = "cannot be read"
    else:
        return path
    raise OptionError(option, "%s names %s, which %s: it must be a PEM file or a directory of CA certificates "
                              "to verify the API with" % (source, path, problem))


def _proxies(api_url: str) -> t.Dict[str, str]:
    """The proxies for ``api_url``: none for plain http, HTTPS_PROXY/ALL_PROXY for https unless NO_PROXY says no.

    Plain http is only ever a loopback simulator (the options refuse anything else): a
    proxy would see the token in clear, so HTTP_PROXY is never used.
    """
    if not api_url.lower().startswith("https://"):
        return {}
    found = requests.utils.get_environ_proxies(api_url)
    proxy = found.get("https") or found.get("all")
    return {"https": proxy} if proxy else {}


class Transport:
    """Sends the client's requests; see the module's docstring for what it decides."""

    def __init__(self, token: str, api_url: str, timeout: float, validate_certs: bool, ca_path: t.Optional[str],
                 retries: int, retry_max_wait: float, retry_backoff: float, rate_limit_per_minute: int,
                 burst_window: float, pool_size: int, user_agent: str,
                 clock: t.Callable[[], float] = time.monotonic, sleeper: t.Callable[[float], None] = time.sleep) -> None:
        require_requests()
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_max_wait = max(0.0, float(retry_max_wait))
        self.retry_backoff = retry_backoff
        self.clock = clock
        self.sleeper = sleeper
        self.verify = _verify(validate_certs, ca_path)
        self.proxies = _proxies(self.api_url)
        self.insecure = unverified(self.api_url, validate_certs)
        self.requests_sent = 0
        self._pool_size = pool_size
        self._user_agent = user_agent
        self._rate = (rate_limit_per_minute, burst_window)
        self._fresh_state()

    def _fresh_state(self) -> None:
        """This process's own session (its connection pool), pacer and lock."""
        self._pid = os.getpid()
        self.pacer = Pacer(self._rate[0], self._rate[1], clock=self.clock, sleeper=self.sleeper)
        self._count_lock = threading.Lock()
        retry = _Retry(
            total=self.retries, connect=self.retries, read=self.retries, status=self.retries,
            other=0,  # what is neither a connection nor a read error (such as TLS) is not retried
            redirect=False, allowed_methods=RETRY_METHODS, status_forcelist=RETRY_STATUSES,
            backoff_factor=self.retry_backoff, raise_on_status=False, respect_retry_after_header=True,
        )
        session = requests.Session()
        session.trust_env = False  # verify and proxies are passed explicitly; the token is the only auth
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, self._pool_size), max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.auth = _BearerAuth(self._token)
        session.headers["User-Agent"] = self._user_agent
        session.headers["Accept"] = "application/json"
        self.session = session

    def _own_process(self) -> None:
        """After a fork, start afresh: the parent's connections, pacer and locks are not this process's.

        Ansible forks its workers from a process that may hold this transport (a lookup in a
        templated ``hosts:``). A child using the inherited keep-alive socket would share it with
        its siblings and read their answers. The inherited session is dropped, never closed:
        closing could shut the connection the parent still uses.
        """
        if self._pid != os.getpid():
            self._fresh_state()

    def close(self) -> None:
        """Close the session's connections (those of this process only)."""
        if self._pid == os.getpid():
            self.session.close()

    def task(self, total_max_wait: float) -> TimeBudget:
        """A new task budget: ``total_max_wait`` seconds from now on the client's clock."""
        return TimeBudget(total_max_wait, self.clock)

    def count_attempt(self) -> None:
        """Count one attempt sent (``requests_sent``)."""
        with self._count_lock:
            self.requests_sent += 1

    def wait(self, budget: RequestBudget, seconds: float) -> None:
        """Wait ``seconds`` (already fitted to ``budget``) and charge them to it."""
        if seconds > 0:
            budget.spend(seconds)
            self.sleeper(seconds)

    @contextlib.contextmanager
    def quiet(self) -> t.Iterator[None]:
        """A context in which urllib3's InsecureRequestWarning is not printed (the plugin edge warns once).

        The client enters it once per operation, in the calling thread, around the whole
        operation: ``warnings.catch_warnings`` changes process-wide state, so entering it in
        each worker thread around its own request would race (and could leave the filter on).
        Being entered first in the calling thread, it is also where a forked child replaces what
        it inherited, before the operation starts any thread.
        """
        self._own_process()
        if not self.insecure:
            yield
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            yield

    def get_json(self, method: str, path: str, params: t.Optional[dict] = None,
                 task: t.Optional[TimeBudget] = None, body: t.Optional[dict] = None,
                 parse: t.Optional[t.Callable[[t.Any], t.Any]] = None) -> t.Tuple[t.Any, int, t.Mapping[str, str]]:
        """Send ``method path`` and return (decoded JSON body or None for no body, attempts, headers).

        ``parse``: checks the decoded body against the contract and returns what stands for it; a
        ValueError it raises becomes an APIError with the answer's real status and attempts.

        Status faults, dropped connections and timeouts are retried by urllib3. A 200 whose
        body is cut off or is not JSON is asked again here, within the same bounds, because
        urllib3 has already handed the answer over. Raises APIError (the API answered, but not
        with a success), TransportError (no usable answer) or RateLimitError (the pacer's wait
        would not fit in the task's budget). ``body`` is sent as JSON. A method outside
        RETRY_METHODS (POST) is sent once: neither urllib3 nor the re-read repeats it.
        """
        self._own_process()
        task = task or self.task(float("inf"))
        call = _Call(self, RequestBudget(self.retry_max_wait, task))
        shown = shown_path(path, params)
        url = self.api_url + path
        last_status, fault = 200, ""
        _CURRENT.call = call
        try:
            while True:
                call.start_attempt()
                response = self._send(call, method, url, params, shown, body)
                last_status = response.status_code
                try:
                    content = response.content
                except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                        requests.exceptions.ConnectionError) as exc:
                    fault = "the answer was cut off (%s)" % self.reason(exc)
                    if last_status != 200 and last_status not in RETRY_STATUSES:
                        break
                else:
                    if not 200 <= last_status < 300:
                        raise self.api_error(method, response, shown, call)
                    if not content.strip():
                        return self._parsed(parse, None, method, shown, response, call)
                    try:
                        decoded = decode_json(content)
                    except ContractError as exc:
                        # Complete JSON that breaks the contract (NaN, Infinity): asking again gives the same.
                        raise APIError(last_status, shown, call.attempts, method=method,
                                       detail="the answer does not match the API's contract: %s" % exc) from None
                    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
                        fault = describe_non_json(response)
                    else:
                        return self._parsed(parse, decoded, method, shown, response, call)
                if call.attempts > self.retries or method not in RETRY_METHODS:
                    break  # one bound of attempts for the call, however its faults mix; a POST is never repeated
                wait = call.owed_wait(None)
                if wait is None:
                    break
                self.wait(call.budget, wait)
        except SnapfleetError as exc:  # also the pacer's RateLimitError before a retry
            exc.answers_lost = call.answers_lost  # type: ignore[attr-defined]
            raise
        finally:
            _CURRENT.call = None
        error = APIError(last_status, shown, call.attempts, detail="; ".join(filter(None, (fault, call.refused))),
                         method=method)
        error.answers_lost = call.answers_lost  # type: ignore[attr-defined]
        raise error

    @staticmethod
    def _parsed(parse: t.Optional[t.Callable[[t.Any], t.Any]], decoded: t.Any, method: str, shown: str,
                response: t.Any, call: _Call) -> t.Tuple[t.Any, int, t.Mapping[str, str]]:
        if parse is None:
            return decoded, call.attempts, response.headers
        try:
            return parse(decoded), call.attempts, response.headers
        except ValueError as exc:
            raise APIError(response.status_code, shown, call.attempts, method=method,
                           detail="the answer does not match the API's contract: %s" % exc) from None

    def _send(self, call: _Call, method: str, url: str, params: t.Optional[dict], shown: str,
              body: t.Optional[dict] = None) -> t.Any:
        try:
            # stream=True: the body is read by the caller, so that a cut-off body keeps its status and attempts.
            # allow_redirects=False: the API never redirects; a 3xx is reported, never followed elsewhere.
            response = self.session.request(method, url, params=params, json=body, timeout=self.timeout, stream=True,
                                            allow_redirects=False, verify=self.verify, proxies=self.proxies)
        except _SEND_ERRORS as exc:
            # Besides requests' own, what its layers below can raise: a CA file gone (OSError), a value
            # a header or socket refuses (ValueError, OverflowError), urllib3's and http.client's faults.
            call.answered(None)
            reason = self.reason(exc) + ("; %s" % call.refused if call.refused else "")
            raise TransportError(shown, call.attempts, reason, method=method) from None
        call.answered(response.raw if response.raw is not None else response)
        return response

    def api_error(self, method: str, response: t.Any, path: str, call: _Call) -> APIError:
        """The APIError for a non-2xx answer, with what its body and headers say."""
        details = []
        try:
            body = decode_json(response.content) if response.content.strip() else None
        except (ValueError, RecursionError):
            body = None
            details.append(describe_non_json(response))
        api_id, api_message, request_id = error_fields(body)
        if body is not None and not isinstance(body, dict):
            details.append("the error answer is not the API's error object")
        request_id = request_id or response.headers.get("X-Request-Id")
        status = response.status_code
        if 300 <= status < 400:
            details.append("redirected to %s; the API does not redirect, check api_url" % (
                response.headers.get("Location", "nowhere")))
        if status == 429:
            details.append("the API's rate limit is exhausted (ratelimit-reset %s)" % (
                response.headers.get("ratelimit-reset", "unknown")))
        if call.refused:
            details.append(call.refused)
        error = APIError(status, path, call.attempts, api_id, api_message, request_id,
                         response.headers.get("Content-Type"), "; ".join(details) or None, method=method)
        return error.redact([self._token])

    def reason(self, exc: BaseException) -> str:
        """A one-line reason for a failed request; the token is never in it."""
        # requests' messages name the host and port and the underlying cause; the token is
        # never in them, but redact anyway as a last line of defence.
        text = str(exc) or exc.__class__.__name__
        text = re.sub(r"<urllib3\.[^>]*>", "connection", text)
        return redact("%s: %s" % (exc.__class__.__name__, text), [self._token])


def shown_path(path: str, params: t.Optional[dict]) -> str:
    """``path?k=v&...`` as error messages show a request."""
    if not params:
        return path
    return path + "?" + "&".join("%s=%s" % (k, v) for k, v in params.items() if v is not None)
