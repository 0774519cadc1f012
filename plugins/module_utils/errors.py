# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's error types.

Core code (client, options, query, filters) raises these; only the edges (the
module's ``main()`` and the lookup's ``run()``) translate them into
``fail_json`` or ``AnsibleLookupError``. The API and transport messages are
built here; an OptionError carries the message its raiser wrote. Both plugins
raise from the same core code and validate with the same argument spec, so the
module and the lookup say exactly the same thing.
"""

from __future__ import annotations

import json
import typing as t


class SnapfleetError(Exception):
    """Base class of every error this collection raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def to_result(self) -> dict:
        """Extra keys a module adds to its failed result (besides ``msg``)."""
        return {}

    def redact(self, secrets: t.Iterable[t.Optional[str]]) -> "SnapfleetError":
        """Replace every secret in the message and in every other text field of this error; returns it."""
        secrets = list(secrets)
        for name, value in vars(self).items():
            setattr(self, name, _redacted(value, secrets))
        self.args = _redacted(self.args, secrets)  # what repr() shows
        return self


class OptionError(SnapfleetError):
    """An option has a value the collection refuses, found before any request."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


class MissingDependencyError(SnapfleetError):
    """A Python library the client needs is not installed."""


class APIError(SnapfleetError):
    """The API answered, but not with what was asked for (after any retries)."""

    def __init__(
        self,
        status: int,
        path: str,
        attempts: int,
        api_id: t.Optional[str] = None,
        api_message: t.Optional[str] = None,
        request_id: t.Optional[str] = None,
        content_type: t.Optional[str] = None,
        detail: t.Optional[str] = None,
        method: str = "GET",
    ) -> None:
        self.method = method
        self.status = status
        self.path = path
        self.attempts = attempts
        self.api_id = api_id
        self.api_message = api_message
        self.request_id = request_id
        self.content_type = content_type
        self.detail = detail
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = ["DigitalOcean API error: %s %s answered HTTP %s" % (self.method, self.path, self.status)]
        if self.api_id or self.api_message:
            parts.append("%s: %s" % (self.api_id or "error", self.api_message or "(no message)"))
        if self.detail:
            parts.append(self.detail)
        if self.request_id:
            parts.append("request_id %s" % self.request_id)
        parts.append("after %d attempt%s" % (self.attempts, "" if self.attempts == 1 else "s"))
        return "; ".join(parts)

    def to_result(self) -> dict:
        return {
            "status": self.status,
            "error": {
                "id": self.api_id,
                "message": self.api_message,
                "request_id": self.request_id,
                "path": self.path,
                "attempts": self.attempts,
            },
        }


class TransportError(SnapfleetError):
    """No usable answer reached us: connection refused or dropped, timeout, TLS failure."""

    def __init__(self, path: str, attempts: int, reason: str, method: str = "GET") -> None:
        self.method = method
        self.path = path
        self.attempts = attempts
        self.reason = reason
        super().__init__(
            "Could not reach the DigitalOcean API: %s %s failed after %d attempt%s: %s"
            % (method, path, attempts, "" if attempts == 1 else "s", reason)
        )

    def to_result(self) -> dict:
        return {"error": {"path": self.path, "attempts": self.attempts, "reason": self.reason}}


class RateLimitError(SnapfleetError):
    """Waiting for the API's rate limits would take longer than the time budget allows; nothing was sent."""

    def __init__(self, message: str, wait: t.Optional[float]) -> None:
        super().__init__(message)
        self.wait = wait

    def to_result(self) -> dict:
        return {"error": {"wait": self.wait}}


class IncompleteListingError(SnapfleetError):
    """The listing kept changing while it was read and could not be made whole."""

    def __init__(self, path: str, reads: int, detail: str) -> None:
        self.path = path
        self.reads = reads
        super().__init__(
            "The snapshot listing of %s changed while it was being read and could not be read "
            "consistently in %d reads (%s); no partial list is returned, try again later."
            % (path, reads, detail)
        )

    def to_result(self) -> dict:
        return {"error": {"path": self.path, "reads": self.reads}}


class SafetyBoundError(SnapfleetError):
    """A retention plan would delete more than ``max_delete`` allows; nothing was deleted."""

    def __init__(self, message: str, would_delete: t.Sequence[str]) -> None:
        super().__init__(message)
        self.would_delete = list(would_delete)

    def to_result(self) -> dict:
        return {"would_delete": self.would_delete}


def secret_forms(secret: t.Optional[str]) -> t.List[str]:
    """The ways a secret can appear in a message: as it is, stripped, and escaped as repr() and JSON show it.

    A token with a line break shows as ``dop_v1_abc\\n`` in a repr (``Invalid header value
    b'Bearer dop_v1_abc\\n'``): a plain search for the token would not find it there. Longest first,
    so that a form is replaced whole before a shorter one inside it.
    """
    if not secret:
        return []
    forms = {secret, secret.strip(), repr(secret)[1:-1], json.dumps(secret)[1:-1],
             repr(secret.encode("utf-8"))[2:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return sorted((form for form in forms if len(form) >= 4), key=len, reverse=True)


def redact(text: str, secrets: t.Iterable[t.Optional[str]]) -> str:
    """Return ``text`` with every non-empty secret, in each of its ``secret_forms``, replaced."""
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, "********")
    return text


def _redacted(value: t.Any, secrets: t.List[t.Optional[str]]) -> t.Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, (list, tuple)):
        return type(value)(_redacted(one, secrets) for one in value)
    if isinstance(value, dict):
        return {key: _redacted(one, secrets) for key, one in value.items()}
    if isinstance(value, SnapfleetError):
        return value.redact(secrets)
    return value


def unexpected(plugin: str, exc: BaseException, secrets: t.Iterable[t.Optional[str]]) -> str:
    """The message of a plugin's last-resort handler: what went wrong, with every secret redacted."""
    text = redact("%s: %s" % (exc.__class__.__name__, exc), list(secrets))
    return ("%s failed unexpectedly (%s). This is a bug in the collection; please report it with the task's "
            "options (never the token)." % (plugin, text))
