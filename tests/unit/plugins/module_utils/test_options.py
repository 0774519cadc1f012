# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""options.py: the one argument spec, its rules, the environment variables, check_connection(); routes.make_client()."""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import defaults
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options as o
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import routes
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins import helpers
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN

_params, _refused = helpers.validated_params, helpers.refused


# -- check_connection -------------------------------------------------------------------------------

def test_defaults_are_accepted():
    o.check_connection(_params())


def test_no_token_names_the_option_and_all_six_variables():
    params = _params()
    params["token"] = None
    with pytest.raises(OptionError) as caught:
        o.check_connection(params)
    assert caught.value.option == "token"
    assert str(caught.value) == (
        "No DigitalOcean API token: set the token option (aliases api_token, oauth_token) or one of the environment "
        "variables DIGITALOCEAN_ACCESS_TOKEN, DIGITALOCEAN_TOKEN, DO_API_TOKEN, DO_API_KEY, DO_OAUTH_TOKEN, OAUTH_TOKEN.")
    params["token"] = ""
    with pytest.raises(OptionError):
        o.check_connection(params)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://api.example.com", "api_url: 'ftp://api.example.com' is not an http:// or https:// URL"),
        ("api.digitalocean.com", "api_url: 'api.digitalocean.com' is not an http:// or https:// URL"),
        ("https://", "api_url: 'https://' is not an http:// or https:// URL"),
        ("http://api.example.com", "api_url: refusing to send the API token over plain http to api.example.com; use "
         "https:// (plain http is allowed only to a loopback address, such as a local simulator)"),
        ("http://10.0.0.1:8080", None),
        ("http://localhost.example.com", None),
        ("http://127.0.0.1@example.com", None),
        ("https://api.example.com/?x=1", "api_url: 'https://api.example.com/?x=1' must not carry a query string or "
         "fragment"),
        ("https://api.example.com/#top", None),
    ],
)
def test_bad_api_url_is_refused(url, message):
    error = _refused(o.check_connection, api_url=url)
    assert error.option == "api_url"
    if message is not None:
        assert str(error) == message


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:abc"])
def test_malformed_api_url_is_an_option_error(url):
    error = _refused(o.check_connection, api_url=url)
    assert error.option == "api_url" and url in str(error)


@pytest.mark.parametrize(
    "url",
    ["https://api.digitalocean.com", "https://api.digitalocean.com/", "http://127.0.0.1:8080", "http://127.0.0.2",
     "http://[::1]:8080", "http://localhost", "http://LOCALHOST:1234", "HTTPS://api.digitalocean.com"],
)
def test_good_api_url_is_accepted(url):
    o.check_connection(_params(api_url=url))


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("timeout", 0, "timeout: must be more than 0 seconds, got 0.0"),
        ("timeout", -1, "timeout: must be more than 0 seconds, got -1.0"),
        ("concurrency", 0, "concurrency: must be 1 or more, got 0"),
        ("retries", -1, "retries: must be 0 or more, got -1"),
        ("retry_max_wait", -0.5, "retry_max_wait: must be 0 or more, got -0.5"),
        ("rate_limit_per_minute", 0, "rate_limit_per_minute: must be 1 or more, got 0"),
        ("total_max_wait", -1, "total_max_wait: must be 0 or more, got -1.0"),
        ("total_max_wait", float("nan"), "total_max_wait: must be 0 or more, got nan"),
        ("timeout", float("nan"), "timeout: must be more than 0 seconds, got nan"),
    ],
)
def test_bad_connection_numbers_are_refused(option, value, message):
    error = _refused(o.check_connection, **{option: value})
    assert (error.option, str(error)) == (option, message)


# -- the module's spec: env fallbacks ----------------------------------------------------------------------

ALL_ENV = o.TOKEN_ENV + tuple(o.CONNECTION_ENV.values())


@pytest.fixture(name="clean_env")
def fixture_clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No token or URL variable set."""
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _module_params(given: t.Optional[dict] = None) -> dict:
    result = ArgumentSpecValidator(o.module_argument_spec(), **o.spec_rules()).validate(
        dict(given or {}))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_token_env_order_is_the_documented_one(clean_env):
    assert o.TOKEN_ENV == ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN", "DO_API_KEY",
                           "DO_OAUTH_TOKEN", "OAUTH_TOKEN")
    assert _module_params()["token"] is None
    # Set from the weakest to the strongest: each newly set variable wins over all set before it.
    for name in reversed(o.TOKEN_ENV):
        clean_env.setenv(name, "value-of-" + name)
        assert _module_params()["token"] == "value-of-" + name
    # And each one alone is read.
    for name in o.TOKEN_ENV:
        for other in o.TOKEN_ENV:
            clean_env.delenv(other, raising=False)
        clean_env.setenv(name, "only-" + name)
        assert _module_params()["token"] == "only-" + name


def test_explicit_token_and_aliases_beat_the_environment(clean_env):
    clean_env.setenv("DIGITALOCEAN_ACCESS_TOKEN", "from-env")
    assert _module_params({"token": "given"})["token"] == "given"
    assert _module_params({"api_token": "alias-1"})["token"] == "alias-1"
    assert _module_params({"oauth_token": "alias-2"})["token"] == "alias-2"


def test_api_url_falls_back_to_its_variable(clean_env):
    assert _module_params()["api_url"] == defaults.API_URL
    clean_env.setenv(o.API_URL_ENV, "http://127.0.0.1:9999")
    assert _module_params()["api_url"] == "http://127.0.0.1:9999"
    assert _module_params({"api_url": "https://x.example"})["api_url"] == "https://x.example"


@pytest.mark.parametrize(
    "option, text, value",
    [("timeout", "2.5", 2.5), ("validate_certs", "no", False), ("concurrency", "3", 3), ("retries", "0", 0),
     ("retry_max_wait", "7", 7.0), ("ca_path", "/etc/pki/ca.pem", "/etc/pki/ca.pem"),
     ("rate_limit_per_minute", "120", 120), ("total_max_wait", "90", 90.0)],
)
def test_connection_options_fall_back_to_their_variables(clean_env, option, text, value):
    clean_env.setenv(o.CONNECTION_ENV[option], text)
    assert _module_params()[option] == value
    default = o.argument_spec()[option].get("default", "/given/ca.pem")
    assert _module_params({option: default})[option] == default


def test_specs_are_fresh_dicts():
    first = o.argument_spec()
    first["token"]["aliases"].append("mutated")
    first["per_page"]["default"] = 1
    assert o.argument_spec()["token"]["aliases"] == ["api_token", "oauth_token"]
    assert o.argument_spec()["per_page"]["default"] == 200
    assert "fallback" not in o.argument_spec()["token"]
    assert o.argument_spec()["token"]["no_log"] is True


def test_make_client_hands_every_connection_option_to_the_client(monkeypatch):
    seen: t.List[dict] = []

    class Recording:
        def __init__(self, **kwargs: t.Any) -> None:
            seen.append(kwargs)

    monkeypatch.setattr(routes, "Client", Recording)
    routes.make_client(_params(api_url="https://x.example/", timeout=2.5, validate_certs=False, ca_path="/etc/ca.pem",
                               concurrency=3, rate_limit_per_minute=100, retries=1, retry_max_wait=4.0,
                               total_max_wait=30.0))
    assert seen == [dict(token=TOKEN, api_url="https://x.example/", timeout=2.5, validate_certs=False,
                         ca_path="/etc/ca.pem", concurrency=3, rate_limit_per_minute=100, retries=1,
                         retry_max_wait=4.0, total_max_wait=30.0)]
    seen.clear()
    routes.make_client(_params())
    assert seen == [dict(token=TOKEN, api_url="https://api.digitalocean.com", timeout=30.0, validate_certs=True,
                         ca_path=None, concurrency=50, rate_limit_per_minute=250, retries=5,
                         retry_max_wait=60.0, total_max_wait=600.0)]


def test_the_client_accepts_what_make_client_gives(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("a CA bundle\n", encoding="ascii")
    with routes.make_client(_params(api_url="http://127.0.0.1:1", ca_path=str(ca_file), rate_limit_per_minute=7,
                                    total_max_wait=1.5)) as client:
        assert client.insecure is False


def test_defaults_are_the_clients():
    spec = o.argument_spec()
    assert spec["concurrency"]["default"] == defaults.CONCURRENCY == 50
    assert spec["rate_limit_per_minute"]["default"] == defaults.RATE_LIMIT_PER_MINUTE == 250
    assert spec["total_max_wait"]["default"] == defaults.TOTAL_MAX_WAIT == 600.0
    assert spec["per_page"]["default"] == defaults.PER_PAGE == 200
    assert "default" not in spec["ca_path"]


def test_importing_the_options_imports_no_http_library():
    code = ("import sys\n"
            "import ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.options\n"
            "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))\n")
    # The child imports the collection from where this process does (ansible-test sets no PYTHONPATH).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize(
    "params, expected",
    [({"validate_certs": False, "api_url": "https://api.digitalocean.com"}, True),
     ({"validate_certs": False, "api_url": "HTTPS://api.digitalocean.com"}, True),
     ({"validate_certs": True, "api_url": "https://api.digitalocean.com"}, False),
     # Plain http to a loopback simulator has no certificate to verify: nothing to warn about.
     ({"validate_certs": False, "api_url": "http://127.0.0.1:8080"}, False)],
)
def test_insecure_is_https_without_verification(params, expected):
    assert o.insecure(params) is expected


@pytest.mark.parametrize("option", ["timeout", "retry_max_wait", "total_max_wait"])
@pytest.mark.parametrize("value", [1e300, float("inf"), 365 * 86400 + 1])
def test_waits_beyond_a_year_are_refused_before_they_overflow_a_socket_or_sleep(option, value):
    error = _refused(o.check_connection, **{option: value})
    assert (error.option, str(error)) == (option, "%s: must be a number of seconds up to 31536000 (a year), got %s"
                                          % (option, float(value)))


def test_a_year_is_accepted():
    o.check_connection(_params(timeout=365 * 86400, retry_max_wait=365 * 86400, total_max_wait=365 * 86400))


@pytest.mark.parametrize("padded", [TOKEN + "\n", TOKEN + "\r\n", "  %s\t" % TOKEN, "\n%s\n" % TOKEN])
def test_a_token_is_stripped_of_surrounding_whitespace(padded):
    params = _params(token=padded)
    o.check_connection(params)
    assert o.client_arguments(params)["token"] == TOKEN
    # The options keep the value as given: Ansible masks that one (no_log) wherever it shows them.
    assert params["token"] == padded


@pytest.mark.parametrize("token, what", [
    ("dop_v1_abc\ndef0123", "a line break (character 11 of 18)"),
    ("dop_v1_abc\r\ndef012", "a line break (character 11 of 18)"),
    ("dop_v1_abc\tdef0123", "a tab (character 11 of 18)"),
    ("dop_v1_abc def0123", "a space (character 11 of 18)"),
    ("dop_v1_abc\x00def0123", "a control character (character 11 of 18)"),
    ("dop_v1_abc\x7fdef0123", "a control character (character 11 of 18)"),
    ("dop_v1_abcédef0123", "a non-ASCII character (character 11 of 18)"),
])
def test_a_token_a_header_cannot_carry_is_refused_without_showing_it(token, what):
    error = _refused(o.check_connection, token=token)
    assert error.option == "token"
    assert str(error).startswith("token: holds %s, which an HTTP header cannot carry" % what)
    for part in ("dop_v1_abc", "def012"):
        assert part not in str(error)
