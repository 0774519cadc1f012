# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The options both plugins take: the one argument spec, the environment variables, the connection checks.

``argument_spec()`` is the one spec: the module hands it to AnsibleModule, the
lookup to ArgumentSpecValidator, with the same ``spec_rules()``, so both
refuse bad input with the same words. The spec owns every rule it can express
(types, choices, mutually exclusive options); ``check_connection()`` checks
what it cannot about the connection, ``query.build_query()`` about the query, and
``Filters.from_params()`` about the filters. Every default is here (the values in
``api/defaults.py``); importing this module imports no HTTP library.
"""

from __future__ import annotations

import ipaddress
import typing as t
from urllib.parse import urlsplit

from ..api import defaults
from ..api.paging import CONSISTENCIES, STANDARD
from ..errors import OptionError
from ..http.urls import unverified
from .coverage import DEFAULT_PRICE_PER_GIB_MONTH
from .filters import GROUP_KEYS, SNAPSHOT_FIELDS, SORT_KEYS, SORT_ORDERS

TOKEN_ENV = (
    "DIGITALOCEAN_ACCESS_TOKEN",
    "DIGITALOCEAN_TOKEN",
    "DO_API_TOKEN",
    "DO_API_KEY",
    "DO_OAUTH_TOKEN",
    "OAUTH_TOKEN",
)
# The environment variables of the other connection options: the module reads them with
# env_fallback, the lookup through the env entries of the PLUGINS doc fragment (a test
# keeps the two the same).
CONNECTION_ENV = {
    "api_url": "DIGITALOCEAN_API_URL",
    "timeout": "DIGITALOCEAN_TIMEOUT",
    "validate_certs": "DIGITALOCEAN_VALIDATE_CERTS",
    "ca_path": "DIGITALOCEAN_CA_PATH",
    "concurrency": "DIGITALOCEAN_CONCURRENCY",
    "rate_limit_per_minute": "DIGITALOCEAN_RATE_LIMIT_PER_MINUTE",
    "retries": "DIGITALOCEAN_RETRIES",
    "retry_max_wait": "DIGITALOCEAN_RETRY_MAX_WAIT",
    "total_max_wait": "DIGITALOCEAN_TOTAL_MAX_WAIT",
}
API_URL_ENV = CONNECTION_ENV["api_url"]

# The longest timeout or wait an option may set: far beyond any use, and well within what a socket
# timeout and time.sleep() accept (1e300 seconds overflows both).
MAX_SECONDS = 365 * 86400


# The one warning a task gives when it does not verify the API's certificate (urllib3's own is silenced).
INSECURE_WARNING = ("validate_certs is false: the TLS certificate of %s is not verified; "
                    "set validate_certs: true, with ca_path for a private certificate authority")

# Rules across options that the spec states (and AnsibleModule / ArgumentSpecValidator enforce).
MUTUALLY_EXCLUSIVE = [["volume_id", "snapshot_id"], ["snapshot_id", "page"]]


def connection_argument_spec() -> dict:
    """The connection options, shared by every plugin. A fresh dict on each call."""
    return dict(
        token=dict(type="str", no_log=True, aliases=["api_token", "oauth_token"]),
        api_url=dict(type="str", default=defaults.API_URL),
        timeout=dict(type="float", default=defaults.TIMEOUT),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        concurrency=dict(type="int", default=defaults.CONCURRENCY),
        rate_limit_per_minute=dict(type="int", default=defaults.RATE_LIMIT_PER_MINUTE),
        retries=dict(type="int", default=defaults.RETRIES),
        retry_max_wait=dict(type="float", default=defaults.RETRY_MAX_WAIT),
        total_max_wait=dict(type="float", default=defaults.TOTAL_MAX_WAIT),
    )


def query_argument_spec() -> dict:
    """What to list and how to filter it. A fresh dict on each call."""
    return dict(
        resource_type=dict(type="str", choices=["droplet", "volume"]),
        volume_id=dict(type="str"),
        snapshot_id=dict(type="str"),
        page=dict(type="int"),
        per_page=dict(type="int", default=defaults.PER_PAGE),
        consistency=dict(type="str", choices=list(CONSISTENCIES), default=STANDARD),
        region=dict(type="list", elements="str"),
        name=dict(type="list", elements="str"),
        name_regex=dict(type="str"),
        tags=dict(type="list", elements="str"),
        resource_id=dict(type="str"),
        created_after=dict(type="str"),
        created_before=dict(type="str"),
        sort_by=dict(type="str", choices=list(SORT_KEYS)),
        sort_order=dict(type="str", choices=list(SORT_ORDERS), default="asc"),
        limit=dict(type="int"),
        fields=dict(type="list", elements="str", choices=list(SNAPSHOT_FIELDS)),
        orphaned=dict(type="bool"),
    )


def cost_argument_spec() -> dict:
    """The price snapshot costs are computed at (snapshot_coverage_info, snapshot_retention). A fresh dict."""
    return dict(price_per_gib_month=dict(type="float", default=DEFAULT_PRICE_PER_GIB_MONTH))


def coverage_argument_spec() -> dict:
    """What ``snapshot_coverage_info`` takes besides the connection options. A fresh dict on each call."""
    spec = dict(
        resource_type=dict(type="str", choices=["droplet", "volume"]),
        tags=dict(type="list", elements="str", default=[]),
        max_age=dict(type="str"),
    )
    spec.update(cost_argument_spec())
    return spec


def check_price(params: t.Mapping[str, t.Any]) -> None:
    """Refuse a price that is negative or not a finite number, before any request."""
    price = params.get("price_per_gib_month")
    if price is not None and not 0 <= price < float("inf"):
        raise OptionError("price_per_gib_month", "price_per_gib_month: must be a finite number of 0 or more "
                          "(US dollars per GiB and month), got %s" % price)


def argument_spec() -> dict:
    """Everything ``snapshot_info`` takes; the lookup adds its own options on top."""
    spec = connection_argument_spec()
    spec.update(query_argument_spec())
    return spec


def lookup_only_argument_spec() -> dict:
    """The lookup's own options (its DOCUMENTATION gives their defaults and sources)."""
    return dict(
        group_by=dict(type="str", choices=list(GROUP_KEYS)),
        cache=dict(type="bool"),
        cache_timeout=dict(type="int"),
        cache_plugin=dict(type="str"),
        cache_connection=dict(type="str"),
    )


def spec_rules() -> dict:
    """The keyword arguments, besides the spec, that AnsibleModule and ArgumentSpecValidator both take."""
    return dict(mutually_exclusive=[list(pair) for pair in MUTUALLY_EXCLUSIVE])


def module_argument_spec() -> dict:
    """The module's spec: connection options fall back to the environment (the token's variables in order)."""
    from ansible.module_utils.basic import env_fallback  # pylint: disable=import-outside-toplevel

    spec = argument_spec()
    spec["token"]["fallback"] = (env_fallback, list(TOKEN_ENV))
    for option, variable in CONNECTION_ENV.items():
        spec[option]["fallback"] = (env_fallback, [variable])
    return spec


def check_connection(params: dict) -> None:
    """Refuse connection options that cannot work, before any request (what the spec cannot say)."""
    token = _stripped(params.get("token"))
    if token:
        _check_token(token)
    if not token:
        raise OptionError(
            "token",
            "No DigitalOcean API token: set the token option (aliases api_token, oauth_token) or one of the "
            "environment variables %s." % ", ".join(TOKEN_ENV),
        )
    url = str(params.get("api_url") or "")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError as exc:
        raise OptionError("api_url", "api_url: %r is not a valid URL: %s" % (url, exc)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("api_url", "api_url: %r is not an http:// or https:// URL" % url)
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise OptionError(
            "api_url",
            "api_url: refusing to send the API token over plain http to %s; use https:// "
            "(plain http is allowed only to a loopback address, such as a local simulator)" % parts.hostname,
        )
    if parts.query or parts.fragment:
        raise OptionError("api_url", "api_url: %r must not carry a query string or fragment" % url)
    _at_least("timeout", params.get("timeout"), 0, "more than 0 seconds", strictly=True)
    _at_least("concurrency", params.get("concurrency"), 1, "1 or more")
    _at_least("rate_limit_per_minute", params.get("rate_limit_per_minute"), 1, "1 or more")
    _at_least("retries", params.get("retries"), 0, "0 or more")
    _at_least("retry_max_wait", params.get("retry_max_wait"), 0, "0 or more")
    _at_least("total_max_wait", params.get("total_max_wait"), 0, "0 or more")
    for option in ("timeout", "retry_max_wait", "total_max_wait"):
        _at_most(option, params.get(option), MAX_SECONDS, "a number of seconds up to %d (a year)" % MAX_SECONDS)


def insecure(params: t.Mapping[str, t.Any]) -> bool:
    """The API's certificate will not be verified: https with validate_certs false (the plugin edge warns once)."""
    return unverified(params.get("api_url"), params.get("validate_certs", True))


def client_arguments(params: dict) -> dict:
    """The Client's keyword arguments for checked options (also what a connection is keyed by)."""
    defaults = connection_argument_spec()
    given = {name: params.get(name) for name in defaults}
    for name, option in defaults.items():
        if given[name] is None and "default" in option:
            given[name] = option["default"]
    given["ca_path"] = given["ca_path"] or None
    given["token"] = _stripped(given["token"])
    return given


def _stripped(token: t.Any) -> t.Any:
    """The token without surrounding whitespace: a YAML "|" block, a vault or a paste often ends in a line break.

    Never written back to the options: Ansible masks the value as given (``no_log``) wherever it
    shows the options, and would not know the stripped one.
    """
    return token.strip() if isinstance(token, str) else token


def _check_token(token: str) -> None:
    """Refuse a token an HTTP header cannot carry; the message says where, never what the token is."""
    for position, char in enumerate(token, 1):
        if not "!" <= char <= "~":  # visible ASCII: a token has no space, control or non-ASCII character
            if char in "\r\n":
                what = "a line break"
            elif char == "\t":
                what = "a tab"
            elif char == " ":
                what = "a space"
            elif ord(char) < 128:
                what = "a control character"
            else:
                what = "a non-ASCII character"
            raise OptionError(
                "token",
                "token: holds %s (character %d of %d), which an HTTP header cannot carry; a DigitalOcean token "
                "is one word of ASCII letters, digits and punctuation: check how it was pasted or written "
                "(surrounding whitespace is removed, a line break inside it is not)." % (what, position, len(token)))


def _at_most(option: str, value: t.Any, ceiling: float, words: str) -> None:
    if value is None:
        return
    # NaN compares false with everything: "not value <= ceiling" refuses it, and infinity, too.
    if not value <= ceiling:
        raise OptionError(option, "%s: must be %s, got %s" % (option, words, value))


def _at_least(option: str, value: t.Any, floor: float, words: str, strictly: bool = False) -> None:
    if value is None:
        return
    # NaN compares false with everything: "not value >= floor" refuses it too.
    if (not value > floor) if strictly else (not value >= floor):
        raise OptionError(option, "%s: must be %s, got %s" % (option, words, value))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
