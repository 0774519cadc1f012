# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers shared by the plugin unit tests (conftest.py turns some of them into fixtures).

Everything talks to real servers on 127.0.0.1: the project's simulator, or
``RawServer`` below when a test needs an answer no well-behaved server gives.
Only ``ansible.module_utils`` may be imported here: under ``ansible-test units``
the module_utils tests run with an ``ansible`` package that has nothing else.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import threading
import time
import typing as t
from pathlib import Path

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options

TOKEN = "unit-test-token-0123456789"
SPEC_NAME = "snapshots.openapi.yaml"


def collection_root() -> t.Optional[Path]:
    """The directory holding galaxy.yml above this file (the work tree, or ansible-test's copy of it)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "galaxy.yml").is_file():
            return parent
    return None


def api_spec_path() -> t.Optional[Path]:
    """The OpenAPI contract the project carries (tests/contract/api), or SNAPFLEET_API_SPEC."""
    override = os.environ.get("SNAPFLEET_API_SPEC")
    if override:
        return Path(override) if Path(override).is_file() else None
    root = collection_root()
    if root is None:
        return None
    spec = root / "tests" / "contract" / "api" / SPEC_NAME
    return spec if spec.is_file() else None


class Recorder:
    """A ``sleeper`` for Client that records every wait it is asked for (see also module_utils/clocks.py).

    ``real`` seconds at most are really slept per call (0: none), so a test can
    check that a 100 s Retry-After was honoured without waiting 100 s.
    """

    def __init__(self, real: float = 0.0) -> None:
        self.real = real
        self.waits: t.List[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
        if self.real:
            time.sleep(min(seconds, self.real))

    @property
    def total(self) -> float:
        """The sum of the waits asked for."""
        return sum(self.waits)


class RawServer:
    """A loopback TCP server that answers every request with the bytes in ``payload``, then closes.

    For answers the simulator cannot give: arbitrary status lines, headers and
    bodies, garbage instead of HTTP. ``payload`` may be changed between requests;
    ``requests`` counts the requests read, ``heads`` keeps each one's request line and headers.
    """

    def __init__(self) -> None:
        self.payload = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
        self.requests = 0
        self.heads: t.List[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="raw-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return "http://127.0.0.1:%d" % self._sock.getsockname()[1]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            with self._lock:
                self.requests += 1
                self.heads.append(head.split(b"\r\n\r\n", 1)[0])
                payload = self.payload
            conn.sendall(payload)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        """Stop accepting and close the listening socket."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


def http_answer(status: int, body: bytes, headers: t.Optional[t.Dict[str, str]] = None,
                reason: str = "X", content_length: bool = True) -> bytes:
    """Build the raw bytes of one HTTP/1.1 answer (``Connection: close``)."""
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    merged = {"Connection": "close"}
    merged.update(headers or {})
    if content_length and not any(k.lower() in ("content-length", "transfer-encoding") for k in merged):
        merged["Content-Length"] = str(len(body))
    lines += ["%s: %s" % item for item in merged.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


try:
    from ansible.module_utils.testing import patch_module_args  # noqa: F401 pylint: disable=unused-import
except ImportError:  # ansible-core < 2.19: hand the arguments over the way its AnsibleModule reads them
    import contextlib as _contextlib
    import json as _json

    @_contextlib.contextmanager
    def patch_module_args(args: dict) -> t.Iterator[None]:  # type: ignore[no-redef]
        """Run AnsibleModule with ``args`` as its arguments (ansible-core 2.16 to 2.18)."""
        from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

        saved = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
        basic._ANSIBLE_ARGS = _json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()  # pylint: disable=protected-access
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved  # pylint: disable=protected-access


# -- options and module runs ------------------------------------------------------------------------------------

def validated_params(**given: t.Any) -> dict:
    """Options as AnsibleModule would hand them over: validated, with every default filled in (and a token)."""
    given.setdefault("token", TOKEN)
    result = ArgumentSpecValidator(options.argument_spec(), **options.spec_rules()).validate(given)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def refused(function: t.Callable[[dict], t.Any], **given: t.Any) -> OptionError:
    """The OptionError ``function`` raises for the validated options ``given`` (the test fails if none is raised)."""
    with pytest.raises(OptionError) as caught:
        function(validated_params(**given))
    return caught.value


def clear_connection_env(monkeypatch: t.Any) -> None:
    """Remove the machine's token and DIGITALOCEAN_* variables for one test, so that none leaks in."""
    for name in list(os.environ):
        if name in options.TOKEN_ENV or name.startswith("DIGITALOCEAN_"):
            monkeypatch.delenv(name)


def run_module(main: t.Callable[[], None], args: dict) -> t.Tuple[dict, str]:
    """Run a module's ``main()`` with ``args``; return its result and the raw JSON it printed."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main()
    return json.loads(out.getvalue()), out.getvalue()
