# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options, written once.

    DOCUMENTATION is the module variant: the environment is read by the
    argument spec's fallbacks, so it is named in prose. PLUGINS is the variant
    for lookups, with real env and vars entries read by set_options. A unit
    test keeps the two listing the same options, defaults and variables.
    """

    DOCUMENTATION = r"""
options:
  token:
    description:
      - DigitalOcean API token, sent only in the C(Authorization) header.
      - If not set, the first of these environment variables that is set is used, in this order
        E(DIGITALOCEAN_ACCESS_TOKEN), E(DIGITALOCEAN_TOKEN), E(DO_API_TOKEN), E(DO_API_KEY),
        E(DO_OAUTH_TOKEN), E(OAUTH_TOKEN).
      - A read-only token is enough.
    type: str
    aliases: [api_token, oauth_token]
  api_url:
    description:
      - Base URL of the DigitalOcean API.
      - If not set, the environment variable E(DIGITALOCEAN_API_URL) is used.
      - Plain C(http://) is accepted only for a loopback address (a local simulator), so the token never
        crosses a network unencrypted.
    type: str
    default: https://api.digitalocean.com
  timeout:
    description:
      - Seconds to wait for each request to connect and for each answer, before it is retried.
      - If not set, the environment variable E(DIGITALOCEAN_TIMEOUT) is used.
    type: float
    default: 30
  validate_certs:
    description:
      - Verify the API's TLS certificate. Leave it on outside a test lab.
      - If not set, the environment variable E(DIGITALOCEAN_VALIDATE_CERTS) is used.
    type: bool
    default: true
  concurrency:
    description:
      - How many pages of a listing may be requested at the same time, once the first page has told the total.
      - V(1) reads one page at a time.
      - Whatever this says, no more requests are started than the API's rate budget
        (its C(ratelimit-remaining) header) allows.
      - If not set, the environment variable E(DIGITALOCEAN_CONCURRENCY) is used.
    type: int
    default: 64
  retries:
    description:
      - How many times a request is retried after HTTP 429, 500, 502, 503 or 504, a connection error, a dropped
        connection, a read timeout or an answer that was cut off. V(0) sends each request once.
      - Waits grow exponentially with jitter, and follow the API's C(Retry-After) and C(ratelimit-reset) headers.
      - Other errors (such as 401, 403 and 404) are never retried.
      - If not set, the environment variable E(DIGITALOCEAN_RETRIES) is used.
    type: int
    default: 5
  retry_max_wait:
    description:
      - The most seconds one request may spend waiting between its retries, all waits added up.
      - If not set, the environment variable E(DIGITALOCEAN_RETRY_MAX_WAIT) is used.
    type: float
    default: 60
"""

    PLUGINS = r"""
options:
  token:
    description:
      - DigitalOcean API token, sent only in the C(Authorization) header.
      - When several of the environment variables are set, E(DIGITALOCEAN_ACCESS_TOKEN) wins, then
        E(DIGITALOCEAN_TOKEN), E(DO_API_TOKEN), E(DO_API_KEY), E(DO_OAUTH_TOKEN), E(OAUTH_TOKEN).
      - A read-only token is enough.
    type: str
    aliases: [api_token, oauth_token]
    env:
      # Ansible takes the last one that is set: listed here from the weakest to the strongest.
      - name: OAUTH_TOKEN
      - name: DO_OAUTH_TOKEN
      - name: DO_API_KEY
      - name: DO_API_TOKEN
      - name: DIGITALOCEAN_TOKEN
      - name: DIGITALOCEAN_ACCESS_TOKEN
    vars:
      - name: digitalocean_token
  api_url:
    description:
      - Base URL of the DigitalOcean API.
      - Plain C(http://) is accepted only for a loopback address (a local simulator), so the token never
        crosses a network unencrypted.
    type: str
    default: https://api.digitalocean.com
    env:
      - name: DIGITALOCEAN_API_URL
    vars:
      - name: digitalocean_api_url
  timeout:
    description:
      - Seconds to wait for each request to connect and for each answer, before it is retried.
    type: float
    default: 30
    env:
      - name: DIGITALOCEAN_TIMEOUT
    vars:
      - name: digitalocean_timeout
  validate_certs:
    description:
      - Verify the API's TLS certificate. Leave it on outside a test lab.
    type: bool
    default: true
    env:
      - name: DIGITALOCEAN_VALIDATE_CERTS
    vars:
      - name: digitalocean_validate_certs
  concurrency:
    description:
      - How many pages of a listing may be requested at the same time, once the first page has told the total.
      - V(1) reads one page at a time.
      - Whatever this says, no more requests are started than the API's rate budget
        (its C(ratelimit-remaining) header) allows.
    type: int
    default: 64
    env:
      - name: DIGITALOCEAN_CONCURRENCY
    vars:
      - name: digitalocean_concurrency
  retries:
    description:
      - How many times a request is retried after HTTP 429, 500, 502, 503 or 504, a connection error, a dropped
        connection, a read timeout or an answer that was cut off. V(0) sends each request once.
      - Waits grow exponentially with jitter, and follow the API's C(Retry-After) and C(ratelimit-reset) headers.
      - Other errors (such as 401, 403 and 404) are never retried.
    type: int
    default: 5
    env:
      - name: DIGITALOCEAN_RETRIES
    vars:
      - name: digitalocean_retries
  retry_max_wait:
    description:
      - The most seconds one request may spend waiting between its retries, all waits added up.
    type: float
    default: 60
    env:
      - name: DIGITALOCEAN_RETRY_MAX_WAIT
    vars:
      - name: digitalocean_retry_max_wait
"""
