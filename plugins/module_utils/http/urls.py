# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an API URL and ``validate_certs`` mean for the connection: the one owner of the insecure rule (no HTTP import)."""

from __future__ import annotations

import typing as t


def unverified(api_url: t.Any, validate_certs: t.Any) -> bool:
    """True when the API's certificate will not be verified: https with ``validate_certs`` false.

    Plain http (allowed only to a loopback address) has no certificate to verify.
    """
    return not validate_certs and str(api_url or "").lower().startswith("https:")
