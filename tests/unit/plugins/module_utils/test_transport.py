# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport as a controller's environment has it: certificates, CA bundle variables, proxies, versions.

Real servers on loopback: an https server with a trustme CA, a CONNECT proxy that records
every byte it is sent, and the simulator (plain http). The environment is set per test
(monkeypatch), so these pass whatever REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE and
*_PROXY the caller has set.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import typing as t
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError, TransportError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.http import transport
from ansible_collections.snapfleet.digitalocean.tests.simulator import make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                   "no_proxy")
BODY = json.dumps({"snapshots": [], "links": {}, "meta": {"total": 0}}).encode()


@pytest.fixture(name="clean_env", autouse=True)
def fixture_clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy or CA variable from the caller's environment; each test sets its own."""
    for name in PROXY_VARIABLES + ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- servers --------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: t.Any) -> None:
        pass


class TLSServer:
    """An https API stand-in on 127.0.0.1 whose certificate (for localhost and 127.0.0.1) a trustme CA signed."""

    def __init__(self, ca: t.Any) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.seen = []  # type: ignore[attr-defined]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def seen(self) -> t.List[dict]:
        """The headers of every request that got through."""
        return self.server.seen  # type: ignore[attr-defined,no-any-return]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Proxy:
    """A CONNECT proxy on 127.0.0.1 that records every byte a client sends it (tunnels included).

    A plain-http proxy request (an absolute URL) is recorded and answered 502: a client
    that sends one has already shown the proxy its token.
    """

    def __init__(self) -> None:
        self.received = bytearray()
        self.requests: t.List[str] = []
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def _record(self, data: bytes) -> None:
        with self._lock:
            self.received += data

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
                self._record(chunk)
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            with self._lock:
                self.requests.append(line)
            method, target = line.split(" ")[:2]
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)), timeout=5)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            threading.Thread(target=self._pipe, args=(upstream, conn, False), daemon=True).start()
            self._pipe(conn, upstream, True)
        except OSError:
            pass
        finally:
            conn.close()

    def _pipe(self, source: socket.socket, target: socket.socket, record: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if record:
                    self._record(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture(name="ca", scope="module")
def fixture_ca() -> t.Any:
    return trustme.CA()


@pytest.fixture(name="other_ca_file", scope="module")
def fixture_other_ca_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A CA bundle that did not sign the server's certificate, as a corporate image's REQUESTS_CA_BUNDLE."""
    path = tmp_path_factory.mktemp("other-ca") / "bundle.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(name="ca_file", scope="module")
def fixture_ca_file(ca: t.Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(name="tls")
def fixture_tls(ca: t.Any) -> t.Iterator[TLSServer]:
    server = TLSServer(ca)
    yield server
    server.close()


@pytest.fixture(name="proxy")
def fixture_proxy() -> t.Iterator[Proxy]:
    proxy = Proxy()
    yield proxy
    proxy.close()


def _list(url: str, **kwargs: t.Any) -> Client:
    kwargs.setdefault("retry_backoff", 0)
    client = Client(TOKEN, api_url=url, **kwargs)
    with client:
        assert client.list("/v2/snapshots").total == 0
    return client


# -- certificates ---------------------------------------------------------------------------------

def test_validate_certs_false_works_whatever_the_ca_bundle_variables_say(tls, other_ca_file, clean_env):
    clean_env.setenv("REQUESTS_CA_BUNDLE", other_ca_file)
    clean_env.setenv("CURL_CA_BUNDLE", other_ca_file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = _list("https://127.0.0.1:%d" % tls.port, validate_certs=False)
    assert client.insecure is True
    assert len(tls.seen) == 1 and client.requests_sent == 1
    # The plugin edge warns once per task; urllib3's own warning never reaches stderr.
    assert [w for w in caught if "InsecureRequestWarning" in w.category.__name__] == []


def test_insecure_warning_filter_does_not_outlive_the_operation(tls):
    _list("https://127.0.0.1:%d" % tls.port, validate_certs=False)
    assert not any(f[2] is not None and f[2].__name__ == "InsecureRequestWarning" and f[0] == "ignore"
                   for f in warnings.filters)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_ca_path_verifies_with_a_private_ca_over_the_bundle_variables(tls, ca_file, other_ca_file, clean_env, host):
    clean_env.setenv("REQUESTS_CA_BUNDLE", other_ca_file)
    clean_env.setenv("CURL_CA_BUNDLE", other_ca_file)
    client = _list("https://%s:%d" % (host, tls.port), ca_path=ca_file)
    assert client.insecure is False
    assert tls.seen[0]["Authorization"] == "Bearer " + TOKEN


def test_the_ca_bundle_variables_are_honoured_when_verifying_without_ca_path(tls, ca_file, clean_env):
    clean_env.setenv("REQUESTS_CA_BUNDLE", ca_file)
    _list("https://127.0.0.1:%d" % tls.port)
    assert len(tls.seen) == 1


def test_an_unknown_certificate_fails_at_once_without_retries(tls, other_ca_file, clean_env):
    clean_env.setenv("REQUESTS_CA_BUNDLE", other_ca_file)
    with Client(TOKEN, api_url="https://127.0.0.1:%d" % tls.port, retries=5, retry_backoff=0) as client:
        with pytest.raises(TransportError) as caught:
            client.list("/v2/snapshots")
    assert caught.value.attempts == 1 and client.requests_sent == 1
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.reason or "certificate" in caught.value.reason.lower()
    assert tls.seen == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_variable_naming_a_missing_file_is_an_option_error_naming_it(tls, clean_env, tmp_path, variable):
    missing = str(tmp_path / "gone.pem")
    clean_env.setenv(variable, missing)
    with pytest.raises(OptionError) as caught:
        Client(TOKEN, api_url="https://127.0.0.1:%d" % tls.port)
    assert caught.value.option == variable
    assert str(caught.value) == ("the environment variable %s names %s, which does not exist: it must be a PEM file "
                                 "or a directory of CA certificates to verify the API with" % (variable, missing))
    assert tls.seen == []


def test_a_ca_path_naming_a_missing_file_is_an_option_error(tls, ca_file, clean_env, tmp_path):
    clean_env.setenv("REQUESTS_CA_BUNDLE", ca_file)  # a good bundle does not hide the bad option
    missing = str(tmp_path / "gone.pem")
    with pytest.raises(OptionError) as caught:
        Client(TOKEN, api_url="https://127.0.0.1:%d" % tls.port, ca_path=missing)
    assert caught.value.option == "ca_path"
    assert str(caught.value).startswith("ca_path (or DIGITALOCEAN_CA_PATH) names %s, which does not exist" % missing)


def test_ca_path_is_ignored_when_validate_certs_is_false(tls, other_ca_file):
    _list("https://127.0.0.1:%d" % tls.port, validate_certs=False, ca_path=other_ca_file)
    assert len(tls.seen) == 1


# -- proxies --------------------------------------------------------------------------------------

def test_plain_http_never_goes_through_a_proxy(make_sim, proxy, clean_env):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY"):
        clean_env.setenv(name, proxy.url)
    sim = make_sim(snapshots=make_snapshots(count=3, seed=1))
    with Client(TOKEN, api_url=sim.url) as client:
        assert len(client.list("/v2/snapshots").snapshots) == 3
    assert proxy.requests == [] and TOKEN.encode() not in bytes(proxy.received)
    assert len(sim.requests) == 1


def test_https_goes_through_https_proxy_by_connect(tls, ca_file, proxy, clean_env):
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    _list("https://localhost:%d" % tls.port, ca_path=ca_file)
    assert [line.rsplit(" ", 1)[0] for line in proxy.requests] == ["CONNECT localhost:%d" % tls.port]
    assert len(tls.seen) == 1
    # The proxy saw the tunnel's bytes, never the token: it travels inside TLS.
    assert TOKEN.encode() not in bytes(proxy.received)


@pytest.mark.parametrize("no_proxy", ["localhost", "localhost,example.com", ".localhost", "*"])
def test_no_proxy_bypasses_the_proxy(tls, ca_file, proxy, clean_env, no_proxy):
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    clean_env.setenv("NO_PROXY", no_proxy)
    _list("https://localhost:%d" % tls.port, ca_path=ca_file)
    assert proxy.requests == [] and len(tls.seen) == 1


def test_all_proxy_serves_https_when_https_proxy_is_unset(tls, ca_file, proxy, clean_env):
    clean_env.setenv("ALL_PROXY", proxy.url)
    _list("https://localhost:%d" % tls.port, ca_path=ca_file)
    assert [line.rsplit(" ", 1)[0] for line in proxy.requests] == ["CONNECT localhost:%d" % tls.port]


# -- versions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("requests_version, urllib3_version, problem", [
    ("2.25.0", "1.26.0", None),
    ("2.34.2", "2.8.0", None),
    ("2.25.1", "1.25.11", "urllib3 1.25.11 is installed, urllib3 >= 1.26.0 is needed"),
    ("2.24.0", "1.26.5", "requests 2.24.0 is installed, requests >= 2.25.0 is needed"),
    ("2.31.0", "1.26.0rc1", None),
])
def test_version_problem(requests_version, urllib3_version, problem):
    assert transport.version_problem(requests_version, urllib3_version) == problem


def test_an_old_urllib3_is_a_clear_missing_dependency_at_import():
    """urllib3 1.25 made Client() raise TypeError (Retry(allowed_methods=...)); now it is named at import."""
    code = (
        "import urllib3; urllib3.__version__ = '1.25.11'\n"
        "from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import client\n"
        "assert client.HAS_REQUESTS is False\n"
        "try:\n    client.Client('t')\nexcept Exception as exc:\n    print(type(exc).__name__ + ': ' + str(exc))\n"
    )
    # The child imports the collection the way this process does (ansible-test units runs on a copy).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MissingDependencyError: The Python libraries requests >= 2.25.0 and urllib3 >= "
                                  "1.26.0 are required")
    assert "urllib3 1.25.11 is installed, urllib3 >= 1.26.0 is needed" in done.stdout


# -- forks ----------------------------------------------------------------------------------------

class _PortHandler(_Handler):
    """Answers as _Handler does and records the client port each request came from."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.ports.append(self.client_address[1])  # type: ignore[attr-defined]
        super().do_GET()


def test_a_forked_child_never_uses_the_connection_it_inherited():
    """Ansible forks workers from a process that may hold a client: the child gets its own connection."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PortHandler)
    server.seen, server.ports = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        client = Client(TOKEN, api_url="http://127.0.0.1:%d" % server.server_address[1], retry_backoff=0)
        assert client.list("/v2/snapshots").total == 0
        parent = server.ports[-1]  # the parent's keep-alive connection, still open
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit status
            status = 1
            try:
                status = 0 if client.list("/v2/snapshots").total == 0 else 2
            finally:
                os._exit(status)
        _pid, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert len(server.ports) == 2 and server.ports[-1] != parent
        # The parent's connection is untouched by the child: it is still the one the parent uses.
        assert client.list("/v2/snapshots").total == 0
        assert server.ports[-1] == parent
        client.close()
    finally:
        server.shutdown()
        server.server_close()


# -- what the layers below requests raise ---------------------------------------------------------

@pytest.mark.parametrize("error", [OSError("Could not find a suitable TLS CA certificate bundle, invalid path"),
                                   ValueError("Invalid header value"), OverflowError("timeout doesn't fit into C timeval")])
def test_what_escapes_requests_is_a_transport_error(make_sim, monkeypatch, error):
    """Before: these ended the task with a traceback ("Module failed")."""
    sim = make_sim(snapshots=make_snapshots(count=1, seed=3))
    client = Client(TOKEN, api_url=sim.url, retry_backoff=0)

    def failing(*_args: t.Any, **_kwargs: t.Any) -> t.Any:
        raise error

    monkeypatch.setattr(client.transport.session, "request", failing)
    with client, pytest.raises(TransportError) as caught:
        client.list("/v2/snapshots")
    assert str(caught.value) == ("Could not reach the DigitalOcean API: GET /v2/snapshots?page=1&per_page=200 failed "
                                 "after 1 attempt: %s: %s" % (type(error).__name__, error))
