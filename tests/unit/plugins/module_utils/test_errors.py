# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Redaction: every form a secret takes in a message, in every field of an error."""

from __future__ import annotations

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import (
    APIError,
    TransportError,
    redact,
    unexpected,
)

SECRET = "dop_v1_0123456789abcdef\n"


@pytest.mark.parametrize("shown", [
    "Invalid header value b'Bearer dop_v1_0123456789abcdef\\n'",  # requests' InvalidHeader: a bytes repr
    "Invalid header value 'Bearer dop_v1_0123456789abcdef\\n'",  # a str repr
    '{"authorization": "Bearer dop_v1_0123456789abcdef\\n"}',  # JSON
    "Bearer dop_v1_0123456789abcdef",  # stripped
    "Bearer dop_v1_0123456789abcdef\n",  # as it is
])
def test_every_form_of_a_secret_is_redacted(shown):
    text = redact(shown, [SECRET])
    assert "0123456789abcdef" not in text
    assert "********" in text


def test_a_non_ascii_secret_is_redacted_in_its_escaped_forms():
    secret = "dop_v1_abcdé0123"
    for shown in (repr(secret), repr(secret.encode("utf-8")), '"dop_v1_abcd\\u00e90123"'):
        assert "abcd" not in redact(shown, [secret]), shown


def test_short_or_empty_secrets_redact_nothing():
    assert redact("a b c", [None, "", "b"]) == "a b c"


def test_every_field_of_an_error_is_redacted():
    token = "dop_v1_fieldsecret"
    error = APIError(401, "/v2/snapshots?x=%s" % token, 1, api_id="unauthorized", api_message="bad %s" % token,
                     request_id="r-%s" % token, detail="said %r" % token)
    error.redact([token])
    assert token not in repr(vars(error)) and token not in repr(error) and token not in str(error)
    assert error.api_message == "bad ********" and error.to_result()["error"]["request_id"] == "r-********"

    lost = TransportError("/v2/snapshots", 2, "InvalidHeader: %r" % ("Bearer %s\n" % token))
    lost.redact([token])
    assert token not in repr(vars(lost)) and token not in str(lost) and token not in repr(lost)


def test_the_last_resort_message_names_the_plugin_and_the_error_but_no_secret():
    message = unexpected("snapfleet.digitalocean.snapshot_info", ValueError("Bearer %r" % SECRET), [SECRET])
    assert message.startswith("snapfleet.digitalocean.snapshot_info failed unexpectedly (ValueError: Bearer '********')")
    assert "0123456789abcdef" not in message
