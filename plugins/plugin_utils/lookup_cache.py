# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keep lookups from multiplying traffic.

Ansible evaluates a lookup again each time a template uses it, on every host.
Two layers keep that to one listing:

- a memo in the process, for a few seconds: the same query asked several
  times while one template or one task is rendered is listed once (each task
  of each host runs in its own worker process, so the memo dies with it);
- an Ansible cache plugin (``cache_plugin``/``cache_connection``, as inventory
  plugins have), when ``cache`` is on: one listing shared by every host, fork
  and task for ``cache_timeout`` seconds. A lock file per entry makes forks
  that ask at the same moment wait for the first one instead of all listing.

An entry's key hashes the query, the API URL and a hash of the token; the
entry holds the listing only, never the token, and its files are readable by
their owner alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import time
import typing as t

from ansible.errors import AnsibleError
from ansible.plugins.loader import cache_loader

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.client import Listing

MEMO_SECONDS = 10.0
_MEMO: t.Dict[str, t.Tuple[float, Listing]] = {}

DEFAULT_CACHE_PLUGIN = "ansible.builtin.jsonfile"
DEFAULT_CACHE_CONNECTION = "~/.cache/ansible/snapfleet.digitalocean"
_PREFIX = "snapfleet_snapshots_"


def cache_key(query_key: dict, api_url: str, token: str) -> str:
    """A stable key for one listing. The token enters only through its SHA-256."""
    material = {
        "query": query_key,
        "api_url": api_url.rstrip("/"),
        "token": hashlib.sha256(token.encode("utf-8")).hexdigest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def memoized(key: str, fetch: t.Callable[[], Listing]) -> Listing:
    """Return the listing for ``key`` read in this process in the last few seconds, or fetch it."""
    now = time.monotonic()
    hit = _MEMO.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    listing = fetch()
    _MEMO[key] = (time.monotonic() + MEMO_SECONDS, listing)
    return listing


def _private_dir(path: str) -> str:
    """Create ``path`` readable by its owner alone; an existing directory keeps its mode (it may be shared)."""
    path = os.path.expanduser(os.path.expandvars(path))
    try:
        os.makedirs(path, mode=0o700)
    except FileExistsError:
        return path
    os.chmod(path, 0o700)  # makedirs' mode is filtered by the umask
    return path


@contextlib.contextmanager
def _locked(lock_dir: str, key: str) -> t.Iterator[None]:
    """Hold an exclusive lock for ``key`` across processes (forks) of this controller."""
    fd = os.open(os.path.join(lock_dir, key + ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class ListingCache:
    """A listing cache on top of any Ansible cache plugin."""

    def __init__(self, plugin: t.Optional[str], connection: t.Optional[str], timeout: int) -> None:
        self.timeout = timeout
        try:
            self.connection = _private_dir(connection or DEFAULT_CACHE_CONNECTION)
            self.lock_dir = _private_dir(os.path.join(self.connection, ".locks"))
        except OSError as exc:
            raise AnsibleError("cache_connection: %r cannot be used as the lookup's cache directory: %s"
                               % (connection or DEFAULT_CACHE_CONNECTION, exc.strerror or exc)) from None
        plugin = plugin or DEFAULT_CACHE_PLUGIN
        self.plugin = cache_loader.get(plugin, _uri=self.connection, _timeout=timeout, _prefix=_PREFIX)
        if self.plugin is None:
            raise AnsibleError("cache_plugin: the cache plugin %r was not found" % plugin)

    def get_or_fetch(self, key: str, fetch: t.Callable[[], Listing]) -> Listing:
        with _locked(self.lock_dir, key):
            entry = self._read(key)
            if entry is not None:
                return Listing.from_dict(entry["listing"])
            listing = fetch()
            self.plugin.set(key, {"expires_at": time.time() + self.timeout, "listing": listing.to_dict()})
            self._restrict(key)
            return listing

    def _read(self, key: str) -> t.Optional[dict]:
        try:
            entry = self.plugin.get(key)
        except (KeyError, AnsibleError):
            # Missing, expired, or corrupt (the plugin has removed it): list again.
            return None
        # Our own expiry, so that plugins whose timeout means something else (0 = forever) agree.
        if not isinstance(entry, dict) or float(entry.get("expires_at") or 0) <= time.time():
            return None
        return entry

    def _restrict(self, key: str) -> None:
        # File-based plugins write 0640 files; ours hold an account's inventory: owner only.
        # ansible-core may add its own marker to the prefix, so match on the key.
        for path in glob.glob(os.path.join(glob.escape(self.connection), "*" + key)):
            os.chmod(path, 0o600)
