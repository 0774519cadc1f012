# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a query is: the options both plugins take, how they are checked, and how they are answered.

``argument_spec()`` is the one argument spec: the module hands it to
AnsibleModule, the lookup to ArgumentSpecValidator, so both refuse bad input
with the same words. ``plan(params)`` checks what a spec cannot express and
turns the options into a ``Query``: which endpoint to read, with which
server-side parameters, and which ``Filters`` to apply afterwards.
``fetch()`` and ``Query.finish()`` are the one path every listing takes.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
from urllib.parse import urlsplit

from . import client as api
from .errors import APIError, OptionError
from .filters import GROUP_KEYS, SNAPSHOT_FIELDS, SORT_KEYS, SORT_ORDERS, Filters, compile_regex, group, parse_instant

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
    "concurrency": "DIGITALOCEAN_CONCURRENCY",
    "retries": "DIGITALOCEAN_RETRIES",
    "retry_max_wait": "DIGITALOCEAN_RETRY_MAX_WAIT",
}
API_URL_ENV = CONNECTION_ENV["api_url"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

MUTUALLY_EXCLUSIVE = [["volume_id", "snapshot_id"]]


def connection_argument_spec() -> dict:
    """The connection options, shared by every plugin. A fresh dict on each call."""
    return dict(
        token=dict(type="str", no_log=True, aliases=["api_token", "oauth_token"]),
        api_url=dict(type="str", default=api.DEFAULT_API_URL),
        timeout=dict(type="float", default=api.DEFAULT_TIMEOUT),
        validate_certs=dict(type="bool", default=True),
        concurrency=dict(type="int", default=api.DEFAULT_CONCURRENCY),
        retries=dict(type="int", default=api.DEFAULT_RETRIES),
        retry_max_wait=dict(type="float", default=api.DEFAULT_RETRY_MAX_WAIT),
    )


def query_argument_spec() -> dict:
    """What to list and how to filter it. A fresh dict on each call."""
    return dict(
        resource_type=dict(type="str", choices=["droplet", "volume"]),
        volume_id=dict(type="str"),
        snapshot_id=dict(type="str"),
        page=dict(type="int"),
        per_page=dict(type="int", default=api.DEFAULT_PER_PAGE),
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
        fields=dict(type="list", elements="str"),
    )


def argument_spec() -> dict:
    """Everything ``snapshot_info`` takes; the lookup adds its own options on top."""
    spec = connection_argument_spec()
    spec.update(query_argument_spec())
    return spec


def module_argument_spec() -> dict:
    """The module's spec: connection options fall back to the environment (the token's variables in order)."""
    from ansible.module_utils.basic import env_fallback  # pylint: disable=import-outside-toplevel

    spec = argument_spec()
    spec["token"]["fallback"] = (env_fallback, list(TOKEN_ENV))
    for option, variable in CONNECTION_ENV.items():
        spec[option]["fallback"] = (env_fallback, [variable])
    return spec


class Query:
    """One question to the API: where to read, what to send, what to keep."""

    def __init__(self, path: str, params: dict, per_page: int, page: t.Optional[int], filters: Filters,
                 snapshot_id: t.Optional[str] = None, fallback_path: t.Optional[str] = None) -> None:
        self.path = path
        self.params = params
        self.per_page = per_page
        self.page = page
        self.filters = filters
        self.snapshot_id = snapshot_id
        # When a volume may be gone while its snapshots live on, list the account instead.
        self.fallback_path = fallback_path

    def key(self) -> dict:
        """What decides the API's answer (not the filters): used to share one listing."""
        return {"path": self.path, "params": self.params, "per_page": self.per_page, "page": self.page,
                "snapshot_id": self.snapshot_id, "fallback_path": self.fallback_path}

    def finish(self, listing: api.Listing, group_by: t.Optional[str] = None) -> t.Any:
        """Apply the filters to a listing; group the snapshots when asked."""
        kept = self.filters.select(listing.snapshots)
        if group_by:
            return {name: self.filters.project(members) for name, members in group(kept, group_by).items()}
        return self.filters.project(kept)


def fetch(client: api.Client, query: Query) -> api.Listing:
    """Read what ``query`` needs from the API: the one path every plugin goes through."""
    if query.snapshot_id is not None:
        snapshot = client.get_snapshot(query.snapshot_id)
        return api.Listing([snapshot], 1, {})
    try:
        return client.list(query.path, query.params, per_page=query.per_page, page=query.page)
    except APIError as exc:
        if exc.status != 404 or not query.fallback_path:
            raise
    # Volume snapshots outlive their volume: a deleted volume's endpoint answers 404
    # while its snapshots are still listed, and resource_id filters them.
    return client.list(query.fallback_path, {"resource_type": "volume"}, per_page=query.per_page, page=query.page)


def make_client(params: dict) -> api.Client:
    """Build the client from checked connection options. Sends nothing."""
    return api.Client(
        token=params["token"],
        api_url=params["api_url"],
        timeout=params["timeout"],
        validate_certs=params["validate_certs"],
        concurrency=params["concurrency"],
        retries=params["retries"],
        retry_max_wait=params["retry_max_wait"],
    )


def check_connection(params: dict) -> None:
    """Refuse connection options that cannot work, before any request."""
    if not params.get("token"):
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
    _positive("timeout", params.get("timeout"))
    if params.get("concurrency") is not None and params["concurrency"] < 1:
        raise OptionError("concurrency", "concurrency: must be 1 or more, got %s" % params["concurrency"])
    if params.get("retries") is not None and params["retries"] < 0:
        raise OptionError("retries", "retries: must be 0 or more, got %s" % params["retries"])
    if params.get("retry_max_wait") is not None and params["retry_max_wait"] < 0:
        raise OptionError("retry_max_wait", "retry_max_wait: must be 0 or more, got %s" % params["retry_max_wait"])


def plan(params: dict) -> Query:
    """Check the query options and decide how to answer them. Raises OptionError; sends nothing."""
    resource_type = params.get("resource_type")
    volume_id = params.get("volume_id")
    snapshot_id = params.get("snapshot_id")
    resource_id = params.get("resource_id")
    per_page = api.DEFAULT_PER_PAGE if params.get("per_page") is None else params["per_page"]

    if resource_type not in (None, "droplet", "volume"):
        raise OptionError("resource_type", "resource_type: must be one of droplet, volume, got %r" % resource_type)
    if volume_id is not None and snapshot_id is not None:
        raise OptionError("volume_id", "volume_id and snapshot_id are mutually exclusive: give one of them")
    if volume_id is not None:
        if not _UUID.match(volume_id):
            raise OptionError("volume_id", "volume_id: %r is not a volume UUID "
                              "(like 7724db7c-e098-11e5-b522-000f53304e51)" % volume_id)
        if resource_type == "droplet":
            raise OptionError("volume_id", "volume_id lists a volume's snapshots and cannot be combined with "
                              "resource_type: droplet")
    if snapshot_id is not None and not str(snapshot_id).strip():
        raise OptionError("snapshot_id", "snapshot_id: must not be empty")
    if not 1 <= per_page <= api.MAX_PER_PAGE:
        raise OptionError("per_page", "per_page: must be between 1 and %d, got %s" % (api.MAX_PER_PAGE, per_page))
    page = params.get("page")
    if page is not None and page < 1:
        raise OptionError("page", "page: must be 1 or more, got %s" % page)

    filters = _filters(params)

    path, server = "/v2/snapshots", {}
    fallback = None
    if resource_type:
        server["resource_type"] = resource_type
    if volume_id is not None:
        path, server = "/v2/volumes/%s/snapshots" % volume_id.lower(), {}
        if resource_id is not None and resource_id.lower() != volume_id.lower():
            raise OptionError("resource_id", "resource_id %r and volume_id %r name different volumes"
                              % (resource_id, volume_id))
    elif resource_id is not None and snapshot_id is None:
        if _UUID.match(resource_id):
            if resource_type == "droplet":
                raise OptionError("resource_id", "resource_id %r is a volume UUID, but resource_type is droplet"
                                  % resource_id)
            # Read only that volume's snapshots; fall back to the account's volume snapshots if the volume is gone.
            path, server, fallback = "/v2/volumes/%s/snapshots" % resource_id.lower(), {}, "/v2/snapshots"
        elif resource_id.isdigit():
            if resource_type == "volume":
                raise OptionError("resource_id", "resource_id %r is a Droplet id, but resource_type is volume"
                                  % resource_id)
            server["resource_type"] = "droplet"
    return Query(path, server, per_page, page, filters, snapshot_id=snapshot_id, fallback_path=fallback)


def _filters(params: dict) -> Filters:
    sort_by = params.get("sort_by")
    if sort_by is not None and sort_by not in SORT_KEYS:
        raise OptionError("sort_by", "sort_by: must be one of %s, got %r" % (", ".join(SORT_KEYS), sort_by))
    sort_order = params.get("sort_order") or "asc"
    if sort_order not in SORT_ORDERS:
        raise OptionError("sort_order", "sort_order: must be one of asc, desc, got %r" % sort_order)
    limit = params.get("limit")
    if limit is not None and limit < 1:
        raise OptionError("limit", "limit: must be 1 or more, got %s" % limit)
    fields = list(params.get("fields") or [])
    unknown = [f for f in fields if f not in SNAPSHOT_FIELDS]
    if unknown:
        raise OptionError("fields", "fields: %s %s not a snapshot key; choose from %s"
                          % (", ".join(map(repr, unknown)), "is" if len(unknown) == 1 else "are",
                             ", ".join(SNAPSHOT_FIELDS)))
    after = params.get("created_after")
    before = params.get("created_before")
    name_regex = params.get("name_regex")
    resource_id = params.get("resource_id")
    return Filters(
        regions=_strings(params.get("region")),
        names=_strings(params.get("name")),
        name_regex=compile_regex("name_regex", name_regex) if name_regex is not None else None,
        tags=_strings(params.get("tags")),
        resource_id=str(resource_id).lower() if resource_id is not None and _UUID.match(str(resource_id))
        else (str(resource_id) if resource_id is not None else None),
        created_after=parse_instant("created_after", after) if after not in (None, "") else None,
        created_before=parse_instant("created_before", before) if before not in (None, "") else None,
        sort_by=sort_by,
        sort_order=sort_order,
        limit=limit,
        fields=fields,
    )


def check_group_by(value: t.Optional[str]) -> None:
    if value is not None and value not in GROUP_KEYS:
        raise OptionError("group_by", "group_by: must be one of %s, got %r" % (", ".join(GROUP_KEYS), value))


def _strings(value: t.Any) -> t.List[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        value = [value]
    return [str(v) for v in value]


def _positive(option: str, value: t.Any) -> None:
    if value is not None and not value > 0:
        raise OptionError(option, "%s: must be more than 0 seconds, got %s" % (option, value))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
