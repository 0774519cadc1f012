# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keep lookups from multiplying traffic, without ever answering from a stale memory.

Ansible evaluates a lookup again each time a template uses it, on every host,
and each call reads the API again (so ``until: query(...) | length > 0`` sees a
snapshot created meanwhile). Two things keep that cheap:

- clients kept for the process, keyed by a digest of their whole configuration
  (the token only through its SHA-256), as kubernetes.core keeps its API
  clients: a retried task reuses the TLS connection, never a result;
- an Ansible cache plugin (``cache_plugin``/``cache_connection``, as inventory
  plugins have), only when ``cache`` is on: one listing shared by every host,
  fork and task for ``cache_timeout`` seconds. A lock per entry, in the run's
  local temporary directory (never in ``cache_connection``, which for Redis or
  memcached is no directory), makes forks that ask at the same moment wait
  for the first one instead of all listing; the wait has a bound.

An entry's key hashes the query, the API URL and a hash of the token; the
entry holds the listing only, never the token. A file-based cache plugin's
entries are written through a temporary file created 0600 and renamed into
place (ansible-core's own ``set`` renames and then makes the file 0644), so
they are never readable by others, not even for a moment.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import inspect
import json
import os
import tempfile
import time
import typing as t
from collections import OrderedDict

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.cache import BaseFileCacheModule
from ansible.plugins.loader import cache_loader

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Listing

DEFAULT_CACHE_PLUGIN = "ansible.builtin.jsonfile"
DEFAULT_CACHE_CONNECTION = "~/.cache/ansible/snapfleet.digitalocean"
_PREFIX = "snapfleet_snapshots_"
_TMP_PREFIX = ".snapfleet_tmp_"
# Entry format: a dict with these keys; anything else (an older release's entry, a corrupt
# file, another tool's value) is read as "not cached".
_FORMAT = 2
# Files of a file-based cache older than this (or than cache_timeout, if longer) are removed
# when an entry is written: entries of queries nobody asks again must not pile up.
SWEEP_AGE = 86400.0
# How often the lock is tried again while another fork lists.
_LOCK_POLL = 0.05


def reset() -> None:
    """Close the kept clients (for tests)."""
    while _CLIENTS:
        _key, client = _CLIENTS.popitem(last=False)
        _close(client)


# -- clients kept for the process -----------------------------------------------------------------------------

_CLIENTS: "OrderedDict[str, t.Any]" = OrderedDict()
_MAX_CLIENTS = 4
_CLIENTS_PID = [os.getpid()]  # the process the kept clients were built in


def _forget_other_process() -> None:
    """In a forked child, drop the parent's clients without closing them (their sockets are the parent's too)."""
    if _CLIENTS_PID[0] != os.getpid():
        _CLIENTS.clear()
        _CLIENTS_PID[0] = os.getpid()


def client_key(arguments: t.Mapping[str, t.Any]) -> str:
    """A digest of a client's whole configuration; the token enters only through its SHA-256."""
    material = dict(arguments)
    material["token"] = hashlib.sha256(str(material.get("token") or "").encode("utf-8")).hexdigest()
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def shared_client(arguments: t.Mapping[str, t.Any], build: t.Callable[[], t.Any]) -> t.Any:
    """The client built for the same configuration earlier in this process, or a new one (kept, a few at most).

    Never one built in another process: Ansible forks its workers from a process that may
    have kept clients (a lookup in a templated ``hosts:``); a worker gets its own.
    """
    _forget_other_process()
    key = client_key(arguments)
    client = _CLIENTS.get(key)
    if client is None:
        client = build()
        _CLIENTS[key] = client
        while len(_CLIENTS) > _MAX_CLIENTS:
            _old, evicted = _CLIENTS.popitem(last=False)
            _close(evicted)
    else:
        _CLIENTS.move_to_end(key)
    return client


def _close(client: t.Any) -> None:
    with contextlib.suppress(Exception):
        client.close()


# -- the cache plugin ----------------------------------------------------------------------------------------

def cache_key(query_key: dict, api_url: str, token: str) -> str:
    """A stable key for one listing. The token enters only through its SHA-256."""
    material = {
        "query": query_key,
        "api_url": api_url.rstrip("/"),
        "token": hashlib.sha256(token.encode("utf-8")).hexdigest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def _private_dir(path: str) -> str:
    """Create ``path`` readable by its owner alone; an existing directory keeps its mode (it may be shared)."""
    try:
        os.makedirs(path, mode=0o700)
    except FileExistsError:
        return path
    os.chmod(path, 0o700)  # makedirs' mode is filtered by the umask
    return path


def lock_root() -> str:
    """Where the locks live: the run's private local temporary directory, shared by its forks.

    Ansible creates it 0700 in the controller process before forking and removes it when the run
    ends, so lock files never pile up. Two runs at the same moment do not wait for each other
    (each may list once).
    """
    return os.path.join(C.DEFAULT_LOCAL_TMP, "snapfleet_digitalocean_locks")


def _private_set(plugin: t.Any, key: str, value: t.Any) -> None:
    """BaseFileCacheModule.set(), but the file is 0600 from its creation to its rename into place."""
    target = plugin._get_cache_file_name(key)  # pylint: disable=protected-access
    handle, temporary = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=os.path.dirname(target))  # created 0600
    os.close(handle)
    try:
        plugin._dump(value, temporary)  # pylint: disable=protected-access
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    with contextlib.suppress(AttributeError, TypeError):
        plugin._cache[key] = value  # pylint: disable=protected-access  # as the plugin's own set() does


class LockTimeout(Exception):
    """Another process held the entry's lock for longer than the bound."""


@contextlib.contextmanager
def _locked(path: str, bound: float, clock: t.Callable[[], float] = time.monotonic,
            sleeper: t.Callable[[float], None] = time.sleep) -> t.Iterator[None]:
    """Hold an exclusive lock on ``path`` across processes; raise LockTimeout after ``bound`` seconds."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        deadline = clock() + bound
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if clock() >= deadline:
                raise LockTimeout(path)
            sleeper(_LOCK_POLL)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class ListingCache:
    """A listing cache on top of any Ansible cache plugin."""

    def __init__(self, plugin: t.Optional[str], connection: t.Optional[str], timeout: int,
                 lock_wait: float = 600.0) -> None:
        self.timeout = timeout
        self.lock_wait = lock_wait
        name = plugin or DEFAULT_CACHE_PLUGIN
        connection = connection or DEFAULT_CACHE_CONNECTION
        plugin_class = cache_loader.get(name, class_only=True)
        if plugin_class is None:
            raise AnsibleError("cache_plugin: the cache plugin %r was not found" % name)
        # getmro, not issubclass: ansible-core 2.19 hands back a proxy of the class that issubclass refuses.
        self.file_based = BaseFileCacheModule in inspect.getmro(plugin_class)
        if self.file_based:
            # Only here is the connection a directory: create it private before the plugin would (0755).
            connection = os.path.expanduser(os.path.expandvars(connection))
            try:
                _private_dir(connection)
            except OSError as exc:
                raise AnsibleError("cache_connection: %r cannot be used as the lookup's cache directory: %s"
                                   % (connection, exc.strerror or exc)) from None
        self.connection = connection
        self.plugin = cache_loader.get(name, _uri=connection, _timeout=timeout, _prefix=_PREFIX)
        if self.plugin is None:
            raise AnsibleError("cache_plugin: the cache plugin %r could not be loaded" % name)
        self._lock_dir = lock_root()

    def get_or_fetch(self, key: str, fetch: t.Callable[[], Listing]) -> Listing:
        """The cached listing for ``key``, or ``fetch()`` stored for the others.

        Forks wait for the one that lists; if it takes longer than ``lock_wait``,
        this one lists too rather than wait further (its answer is stored the same).
        """
        lock = os.path.join(_private_dir(self._lock_dir), self._lock_name(key))
        try:
            with _locked(lock, self.lock_wait):
                return self._read_or_fetch(key, fetch)
        except LockTimeout:
            return self._read_or_fetch(key, fetch)

    def _lock_name(self, key: str) -> str:
        where = json.dumps([self.plugin_name(), self.connection, key])
        return hashlib.sha256(where.encode("utf-8")).hexdigest()[:32] + ".lock"

    def plugin_name(self) -> str:
        return str(getattr(self.plugin, "_load_name", "") or type(self.plugin).__module__)

    def _read_or_fetch(self, key: str, fetch: t.Callable[[], Listing]) -> Listing:
        listing = self._read(key)
        if listing is not None:
            return listing
        listing = fetch()
        self._write(key, {"format": _FORMAT, "expires_at": time.time() + self.timeout, "listing": listing.to_dict()})
        return listing

    def _read(self, key: str) -> t.Optional[Listing]:
        """The entry's listing, or None when it is missing, expired, corrupt or of another format."""
        try:
            entry = self.plugin.get(key)
        except Exception:  # pylint: disable=broad-except
            # Missing (KeyError), expired, corrupt (the plugin has removed it), or unreadable: list again.
            return None
        # Our own expiry, so that plugins whose timeout means something else (0 = forever) agree.
        try:
            if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
                return None
            if not float(entry["expires_at"]) > time.time():
                return None
            return Listing.from_dict(entry["listing"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def _write(self, key: str, entry: dict) -> None:
        if not self.file_based:
            self.plugin.set(key, entry)
            return
        # ansible-core's own BaseFileCacheModule.set() renames its temporary file into place and then makes
        # it 0644. The plugin as loaded may be a proxy that changes the key and encodes the value
        # (ansible-core 2.19 and later) before it calls the real plugin's set(): replace that set(), on
        # this instance only, with one that writes through a temporary file created 0600.
        real = getattr(self.plugin, "__wrapped__", self.plugin)
        real.set = functools.partial(_private_set, real)
        self.plugin.set(key, entry)
        self._sweep(exclude=os.path.basename(real._get_cache_file_name(key)))  # pylint: disable=protected-access

    def _sweep(self, exclude: str) -> None:
        """Remove our entries (and temporary files) nobody has refreshed for a long time."""
        oldest = time.time() - max(SWEEP_AGE, float(self.timeout))
        with contextlib.suppress(OSError):
            for name in os.listdir(self.connection):
                if name == exclude or not name.startswith((_PREFIX, _TMP_PREFIX)):
                    continue
                path = os.path.join(self.connection, name)
                with contextlib.suppress(OSError):
                    if os.stat(path).st_mtime < oldest:
                        os.unlink(path)
