# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: snapshots
short_description: List DigitalOcean Droplet and volume snapshots in templates and vars
version_added: 1.0.0
description:
  - Returns the snapshots of a DigitalOcean account, of one resource type, of one volume, or the snapshots
    whose ids are given as terms, for use in templates, vars and loops.
  - Takes the same options, and gives the same results and errors, as the
    M(snapfleet.digitalocean.snapshot_info) module.
  - Each call reads the API again, so a task that polls with C(until), C(retries) and C(delay) sees a snapshot
    created while it waits. To read one listing for several uses in a template, set it to a variable once
    (C(set_fact)), or turn on O(cache).
  - Connections are kept for the worker process and reused by the next call with the same connection options;
    results are not.
  - With O(cache), one listing is shared by every host, fork and task for O(cache_timeout) seconds, retries of
    an C(until) loop included.
author:
  - snapfleet developers (@snapfleet)
extends_documentation_fragment:
  - snapfleet.digitalocean.connection.plugins
  - snapfleet.digitalocean.query
options:
  _terms:
    description:
      - Snapshot ids. When given, those snapshots are returned, in the order of the terms, and O(snapshot_id),
        O(volume_id) and O(page) must not be set.
      - Lists are flattened, as lookups do, so a list variable (or nested lists) can be given; spaces around
        an id are removed. The ids are fetched concurrently.
      - The filters apply to them; O(resource_type) keeps only the snapshots of that type.
    type: list
    elements: str
    required: false
  group_by:
    description:
      - Return one dictionary of group name to the list of snapshots in that group, the way an inventory
        groups hosts, instead of a list.
      - V(region) and V(tag) put a snapshot in a group for each of its regions or tags; a snapshot without any
        is in no group.
      - With C(lookup()) the dictionary comes back as it is; with C(query()) inside a one-element list.
    type: str
    choices: [region, resource_type, resource_id, tag]
  cache:
    description:
      - Keep the listing in an Ansible cache plugin for O(cache_timeout) seconds, shared by every host, fork
        and task that asks the same query (the filters may differ) with the same API URL and token.
      - Forks that ask at the same moment wait for the first one rather than all listing the account; a fork
        waits at most O(total_max_wait) seconds, then lists the account itself.
      - The cache never holds the token; a file-based cache's entries are created readable by their owner alone
        (never, even for a moment, by others). Entries nobody has read for a day (or O(cache_timeout), if
        longer) are removed.
      - An entry that cannot be read (corrupt, or written by another version) is listed again.
    type: bool
    default: false
    env:
      - name: SNAPFLEET_DIGITALOCEAN_CACHE
    ini:
      - section: snapfleet_digitalocean
        key: cache
  cache_timeout:
    description:
      - Seconds a cached listing stays valid.
    type: int
    default: 300
    env:
      - name: SNAPFLEET_DIGITALOCEAN_CACHE_TIMEOUT
    ini:
      - section: snapfleet_digitalocean
        key: cache_timeout
  cache_plugin:
    description:
      - The Ansible cache plugin that stores listings, as for inventory plugins.
      - It must be shared across processes (a file, Redis or memcached backend), not V(ansible.builtin.memory).
      - The locks that make forks wait live in the run's local temporary directory (removed when the run ends),
        never in O(cache_connection); only a file-based cache plugin touches the file system there.
    type: str
    default: ansible.builtin.jsonfile
    env:
      - name: SNAPFLEET_DIGITALOCEAN_CACHE_PLUGIN
    ini:
      - section: snapfleet_digitalocean
        key: cache_plugin
  cache_connection:
    description:
      - The cache plugin's connection, for V(ansible.builtin.jsonfile) a directory, for a Redis or memcached
        plugin its address.
      - A directory is created readable by its owner alone; an existing one keeps its mode.
    type: str
    default: ~/.cache/ansible/snapfleet.digitalocean
    env:
      - name: SNAPFLEET_DIGITALOCEAN_CACHE_CONNECTION
    ini:
      - section: snapfleet_digitalocean
        key: cache_connection
seealso:
  - module: snapfleet.digitalocean.snapshot_info
"""

EXAMPLES = r"""
- name: A line per Droplet snapshot
  ansible.builtin.debug:
    msg: "{{ item.name }} {{ item.created_at }} {{ item.size_gigabytes }} GB"
  loop: "{{ query('snapfleet.digitalocean.snapshots', resource_type='droplet') }}"

- name: The newest snapshot of a volume
  ansible.builtin.set_fact:
    newest: >-
      {{ query('snapfleet.digitalocean.snapshots', resource_id='7724db7c-e098-11e5-b522-000f53304e51',
               sort_by='created_at', sort_order='desc', limit=1) | first }}

- name: Snapshots by id
  ansible.builtin.debug:
    msg: "{{ query('snapfleet.digitalocean.snapshots', '6372321', 'fbe805e8-866b-11e6-96bf-000f53315a41') }}"

- name: Snapshots by id from a list variable, only the volume snapshots among them
  ansible.builtin.debug:
    msg: "{{ query('snapfleet.digitalocean.snapshots', my_snapshot_ids, resource_type='volume') }}"

- name: Wait until the snapshot just taken shows up (each retry reads the API again)
  ansible.builtin.debug:
    msg: "web-01-nightly is listed"
  until: query('snapfleet.digitalocean.snapshots', name='web-01-nightly') | length > 0
  retries: 30
  delay: 10

- name: Snapshots grouped by region, the listing shared by every host for 10 minutes
  ansible.builtin.set_fact:
    by_region: "{{ lookup('snapfleet.digitalocean.snapshots', group_by='region', cache=true, cache_timeout=600) }}"

- name: Names of the volume snapshots older than 30 days in fra1
  ansible.builtin.debug:
    msg: "{{ query('snapfleet.digitalocean.snapshots', resource_type='volume', region='fra1',
                   created_before='30d', fields=['name']) | map(attribute='name') }}"
"""

RETURN = r"""
_list:
  description:
    - The snapshots, as the API describes them, in the API's order unless O(sort_by) is set;
      only the keys in O(fields) when it is set. See M(snapfleet.digitalocean.snapshot_info) for the keys.
    - With O(group_by), one dictionary of group name to a list of snapshots.
  type: list
  elements: dict
"""

import os
import typing as t
from collections.abc import Mapping, Sequence, Set

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import require_requests
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError, SnapfleetError, unexpected
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options as o
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import query as q
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import routes
from ansible_collections.snapfleet.digitalocean.plugins.plugin_utils.lookup_cache import (
    ListingCache,
    cache_key,
    shared_client,
)
from ansible_collections.snapfleet.digitalocean.plugins.plugin_utils.values import plain

display = Display()


def _lookup_spec() -> dict:
    """The module's spec, plus the lookup's own options, without defaults: only what the caller gave is checked."""
    spec = o.argument_spec()
    spec.update(o.lookup_only_argument_spec())
    for option in spec.values():
        option.pop("default", None)
    return spec


def _flat_ids(terms: t.Iterable[t.Any]) -> t.List[t.Any]:
    """The terms flattened the way lookups flatten them (a list variable, nested lists), in order."""
    flat: t.List[t.Any] = []
    for term in terms:
        if isinstance(term, Mapping):
            raise OptionError("_terms", "snapshot ids given as terms must be strings or numbers, got a dictionary")
        if isinstance(term, (Sequence, Set)) and not isinstance(term, (str, bytes)):
            flat.extend(_flat_ids(term))
        else:
            flat.append(term)
    return flat


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self._secrets = [kwargs.get(name) for name in ("token", "api_token", "oauth_token")]
        self._secrets += [os.environ.get(name) for name in o.TOKEN_ENV]
        try:
            return self._run(terms, variables, **kwargs)
        except AnsibleError:
            raise
        except Exception as exc:  # pylint: disable=broad-except  # the last resort: a message, never a traceback
            raise AnsibleLookupError(unexpected("snapfleet.digitalocean.snapshots lookup", exc, self._secrets)) from None

    def _run(self, terms, variables, **kwargs):
        spec = _lookup_spec()
        try:
            raw = self._raw_options(spec, kwargs, variables)
        except SnapfleetError as exc:
            raise AnsibleLookupError(exc.redact(self._secrets).message) from None
        # The same validator as the module's AnsibleModule, on the same spec, over the values of every
        # source (option, variable, environment): the same messages, whichever source was wrong.
        checked = ArgumentSpecValidator(spec, **o.spec_rules()).validate(plain(raw))
        if checked.error_messages:
            error = checked.errors[0]
            if isinstance(error, UnsupportedError):
                # AnsibleModule says which plugin did not know the option; say it the same way.
                raise AnsibleLookupError("Unsupported parameters for (snapfleet.digitalocean.snapshots) lookup: %s" % error.msg)
            raise AnsibleLookupError(checked.errors.msg)
        given = {name: value for name, value in checked.validated_parameters.items()
                 if name in spec and value is not None}
        # Every source is in ``given`` already; set_options adds the ini entries and the defaults.
        self.set_options(var_options={}, direct=given)
        params = {name: self.get_option(name) for name in spec}
        self._secrets.append(params.get("token"))  # from whichever source, before check_connection strips it
        try:
            ids = _flat_ids(terms or [])
            require_requests()
            o.check_connection(params)
            if params["cache"] and params["cache_timeout"] < 1:
                raise OptionError("cache_timeout", "cache_timeout: must be 1 second or more, got %s"
                                  % params["cache_timeout"])
            if ids and (params["snapshot_id"] or params["volume_id"] or params["page"]):
                raise OptionError("_terms", "snapshot ids given as terms cannot be combined with "
                                  "snapshot_id, volume_id or page")
            query = q.build_query(params, snapshot_ids=ids)
            if o.insecure(params):
                display.warning(o.INSECURE_WARNING % params["api_url"])
            listing = self._listing(query, params)
        except SnapfleetError as exc:
            raise AnsibleLookupError(exc.redact(self._secrets).message) from None
        result = query.finish(listing, group_by=params["group_by"])
        return [result] if params["group_by"] else result

    def _raw_options(self, spec: dict, given: dict, variables: t.Optional[t.Mapping[str, t.Any]]) -> dict:
        """The options as given, plus, for those not given, the raw value of their variable or environment variable.

        Ansible's precedence: an option beats a variable, a variable beats the environment, and within
        each the last entry of the documentation that is set wins. The values stay as written, so the
        argument spec, not Ansible's configuration, converts and refuses them.
        """
        raw = dict(given)
        named = set(given)
        for option in spec.values():
            named.update(name for name in (option.get("aliases") or ()) if name in given)
        definitions = self._config_definitions()
        values = self._our_vars(variables)
        for name in spec:
            if name in named or (set(spec[name].get("aliases") or ()) & named):
                continue
            definition = definitions.get(name) or {}
            found = [values[entry["name"]] for entry in definition.get("vars") or () if entry["name"] in values]
            if not found:
                found = [os.environ[entry["name"]] for entry in definition.get("env") or () if entry["name"] in os.environ]
            if found:
                raw[name] = found[-1]
        return raw

    def _our_vars(self, variables: t.Optional[t.Mapping[str, t.Any]]) -> dict:
        """The values of the variables our options read (digitalocean_token...), templated.

        Ansible hands lookups the variables as they are written, so a
        ``digitalocean_api_url: "{{ sim_url }}"`` must be templated here.
        """
        names = {entry["name"] for definition in self._config_definitions().values()
                 for entry in definition.get("vars") or ()}
        values = {name: variables[name] for name in names if name in (variables or {})}
        if self._templar is not None:
            values = {name: self._templar.template(value) for name, value in values.items()}
        return values

    def _config_definitions(self) -> dict:
        return C.config.get_configuration_definitions("lookup", self._load_name) or {}

    def _listing(self, query: q.Query, params: dict):
        """One listing: read now, or with ``cache`` once per cache_timeout for everyone."""

        def fetch():
            arguments = o.client_arguments(params)
            client = shared_client(arguments, lambda: routes.make_client(params))
            return routes.fetch(client, query)

        if params["cache"]:
            key = cache_key(query.key(), params["api_url"], params["token"])
            cache = ListingCache(params["cache_plugin"], params["cache_connection"], params["cache_timeout"],
                                 lock_wait=float(params["total_max_wait"]))
            return cache.get_or_fetch(key, fetch)
        return fetch()
