# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The documentation says what the code does (GUIDE practice 5).

- The two variants of the connection fragment list the same options, alike in
  everything but the ``env``/``vars`` sources that only plugins have.
- Every option of the shared argument specs is documented with its type,
  default, choices, aliases and elements; nothing is documented that the spec lacks.
- The module's and the lookup's rendered documentation (fragments merged, the
  way ansible-doc does it) list exactly the spec's options, plus the lookup's own.
"""

from __future__ import annotations

import re
import typing as t

import pytest
import yaml
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.snapfleet.digitalocean.plugins.doc_fragments import connection
from ansible_collections.snapfleet.digitalocean.plugins.doc_fragments import query as query_fragment
from ansible_collections.snapfleet.digitalocean.plugins.lookup import snapshots as lookup_plugin
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options as q
from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_info
from ansible_collections.snapfleet.digitalocean.plugins.plugin_utils import lookup_cache

# The keys that describe an option's value: they must agree everywhere.
VALUE_KEYS = ("type", "default", "choices", "aliases", "elements", "required")
LOOKUP_ONLY = {"_terms", "group_by", "cache", "cache_timeout", "cache_plugin", "cache_connection"}


def _options(doc: str) -> t.Dict[str, dict]:
    return yaml.safe_load(doc)["options"]


def _value(option: dict) -> dict:
    """What an option's documentation says about its value (absent keys are left out, required false too)."""
    found = {key: option[key] for key in VALUE_KEYS if key in option}
    if found.get("required") is False:
        del found["required"]
    return found


def _spec_value(spec: dict) -> dict:
    """The same view of an argument spec entry."""
    found = {key: spec[key] for key in VALUE_KEYS if key in spec and spec[key] is not None}
    found.setdefault("type", "str")
    if found.get("required") is False:
        del found["required"]
    return found


def _rendered(module: t.Any, is_module: bool) -> t.Dict[str, dict]:
    """The options as ansible-doc shows them: the plugin's own plus its fragments."""
    path = module.__file__
    if path.endswith((".pyc", ".pyo")):
        path = path[:-1]
    doc = get_docstring(path, fragment_loader, collection_name="snapfleet.digitalocean", is_module=is_module)[0]
    return doc["options"]


MODULE_CONNECTION = _options(connection.ModuleDocFragment.DOCUMENTATION)
PLUGINS_CONNECTION = _options(connection.ModuleDocFragment.PLUGINS)
QUERY = _options(query_fragment.ModuleDocFragment.DOCUMENTATION)


# -- the two variants --------------------------------------------------------------------------------

def test_both_connection_variants_list_the_same_options():
    assert list(MODULE_CONNECTION) == list(PLUGINS_CONNECTION)


@pytest.mark.parametrize("name", list(MODULE_CONNECTION))
def test_both_connection_variants_describe_the_same_value(name):
    assert _value(MODULE_CONNECTION[name]) == _value(PLUGINS_CONNECTION[name])
    assert set(MODULE_CONNECTION[name]) - {"description"} <= set(_value(MODULE_CONNECTION[name]))  # no env/vars
    assert set(PLUGINS_CONNECTION[name]) - set(VALUE_KEYS) - {"description"} <= {"env", "vars", "ini"}


def test_plugins_token_env_is_the_six_variables_weakest_first():
    # Ansible uses the last variable of the list that is set, so the strongest comes last.
    env = [entry["name"] for entry in PLUGINS_CONNECTION["token"]["env"]]
    assert env == list(reversed(q.TOKEN_ENV))
    assert env == ["OAUTH_TOKEN", "DO_OAUTH_TOKEN", "DO_API_KEY", "DO_API_TOKEN", "DIGITALOCEAN_TOKEN",
                   "DIGITALOCEAN_ACCESS_TOKEN"]


def test_both_token_descriptions_name_the_variables_in_priority_order():
    for variant in (MODULE_CONNECTION, PLUGINS_CONNECTION):
        text = " ".join(variant["token"]["description"])
        assert re.findall(r"E\(([A-Z_]+)\)", text) == list(q.TOKEN_ENV)


def test_plugins_api_url_env_is_the_modules_fallback_variable():
    assert [entry["name"] for entry in PLUGINS_CONNECTION["api_url"]["env"]] == [q.API_URL_ENV]
    assert "E(%s)" % q.API_URL_ENV in " ".join(MODULE_CONNECTION["api_url"]["description"])


OUR_ENV = set(q.TOKEN_ENV) | set(q.CONNECTION_ENV.values())


def _module_env(name: str) -> t.List[str]:
    fallback = q.module_argument_spec()[name].get("fallback")
    return list(fallback[1]) if fallback else []


@pytest.mark.parametrize("name", list(q.connection_argument_spec()))
def test_every_variable_the_lookup_reads_the_module_reads_too(name):
    lookup_env = [entry["name"] for entry in PLUGINS_CONNECTION[name].get("env", [])]
    assert sorted(lookup_env) == sorted(_module_env(name))
    # And the module variant names each of them for the reader (other variables, such as HTTPS_PROXY, may be
    # named too: they are read by the HTTP stack, not by an option).
    named = set(re.findall(r"E\(([A-Z_]+)\)", " ".join(MODULE_CONNECTION[name]["description"])))
    assert named & OUR_ENV == set(lookup_env)


def test_connection_variables_are_the_documented_ones():
    assert q.CONNECTION_ENV == {
        "api_url": "DIGITALOCEAN_API_URL", "timeout": "DIGITALOCEAN_TIMEOUT",
        "validate_certs": "DIGITALOCEAN_VALIDATE_CERTS", "ca_path": "DIGITALOCEAN_CA_PATH",
        "concurrency": "DIGITALOCEAN_CONCURRENCY", "rate_limit_per_minute": "DIGITALOCEAN_RATE_LIMIT_PER_MINUTE",
        "retries": "DIGITALOCEAN_RETRIES", "retry_max_wait": "DIGITALOCEAN_RETRY_MAX_WAIT",
        "total_max_wait": "DIGITALOCEAN_TOTAL_MAX_WAIT"}
    for name, variable in q.CONNECTION_ENV.items():
        assert _module_env(name) == [variable]


# -- the fragments against the argument specs ---------------------------------------------------------------

def test_connection_fragment_documents_exactly_the_connection_spec():
    assert list(MODULE_CONNECTION) == list(q.connection_argument_spec())


def test_query_fragment_documents_exactly_the_query_spec():
    assert list(QUERY) == list(q.query_argument_spec())


@pytest.mark.parametrize("name", list(q.argument_spec()))
def test_each_option_is_documented_as_specified(name):
    spec = q.argument_spec()[name]
    documented = {**MODULE_CONNECTION, **QUERY}[name]
    assert _value(documented) == _spec_value(spec)


def test_module_spec_differs_from_the_shared_spec_only_by_fallbacks():
    shared, module = q.argument_spec(), q.module_argument_spec()
    assert list(module) == list(shared)
    for name in shared:
        assert {k: v for k, v in module[name].items() if k != "fallback"} == shared[name]
    assert [name for name in module if "fallback" in module[name]] == list(q.connection_argument_spec())


# -- the rendered documentation of each plugin ----------------------------------------------------------------

def test_module_documentation_is_the_spec():
    rendered = _rendered(snapshot_info, is_module=True)
    assert sorted(rendered) == sorted(q.argument_spec())
    for name, spec in q.argument_spec().items():
        assert _value(rendered[name]) == _spec_value(spec), name


def test_lookup_documentation_is_the_spec_plus_its_own_options():
    rendered = _rendered(lookup_plugin, is_module=False)
    assert set(rendered) == set(q.argument_spec()) | LOOKUP_ONLY
    spec = q.argument_spec()
    for name in spec:
        assert _value(rendered[name]) == _spec_value(spec[name]), name
    # The lookup's own options, as its validator takes them (it drops defaults: set_options fills them).
    own = lookup_plugin._lookup_spec()  # pylint: disable=protected-access
    assert set(own) == set(q.argument_spec()) | set(q.lookup_only_argument_spec())
    assert set(own) == set(rendered) - {"_terms"}
    for name in LOOKUP_ONLY - {"_terms"}:
        assert {k: v for k, v in _value(rendered[name]).items() if k != "default"} == _spec_value(own[name]), name


def test_lookup_cache_defaults_are_the_codes():
    rendered = _rendered(lookup_plugin, is_module=False)
    assert rendered["cache_plugin"]["default"] == lookup_cache.DEFAULT_CACHE_PLUGIN
    assert rendered["cache_connection"]["default"] == lookup_cache.DEFAULT_CACHE_CONNECTION
    assert (rendered["cache"]["default"], rendered["cache_timeout"]["default"]) == (False, 300)


def test_lookup_token_sources_come_from_the_plugins_variant():
    rendered = _rendered(lookup_plugin, is_module=False)
    assert [e["name"] for e in rendered["token"]["env"]] == list(reversed(q.TOKEN_ENV))
    assert rendered["token"]["vars"] == [{"name": "digitalocean_token"}]
    assert "env" not in _rendered(snapshot_info, is_module=True)["token"]
