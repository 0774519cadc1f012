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
    Each also says what the shared client needs (its requirements).
    """

    DOCUMENTATION = r"""
requirements:
  - python >= 3.9 (on the managed node)
  - requests >= 2.25
  - urllib3 >= 1.26.0
options:
  token:
    description:
      - DigitalOcean API token, sent only in the C(Authorization) header.
      - Surrounding whitespace (the line break a YAML C(|) block or a paste leaves) is removed. A token that still
        holds a line break, tab, control or non-ASCII character is refused before any request, and never shown.
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
        crosses a network unencrypted, and plain C(http://) never goes through a proxy, whatever E(HTTP_PROXY) says.
      - C(https://) goes through the proxy that E(HTTPS_PROXY) (or E(ALL_PROXY)) names, except for the hosts
        E(NO_PROXY) lists, as corporate networks need.
    type: str
    default: https://api.digitalocean.com
  timeout:
    description:
      - Seconds to wait for each request to connect and for each answer, before it is retried. At most 31536000
        (a year), as for O(retry_max_wait) and O(total_max_wait).
      - If not set, the environment variable E(DIGITALOCEAN_TIMEOUT) is used.
    type: float
    default: 30
  validate_certs:
    description:
      - Verify the API's TLS certificate. Leave it on outside a test lab.
      - When V(false), each task gives one warning that the certificate is not verified.
      - If not set, the environment variable E(DIGITALOCEAN_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates, or a directory of them prepared with C(openssl rehash), to verify the
        API's certificate with instead of the system's (as the C(ca_path) option of the C(ansible.builtin.uri) module does),
        for an API reached through a TLS-inspecting proxy or signed by a private certificate authority.
      - Ignored when O(validate_certs=false). A path that does not exist or cannot be read is an option error,
        as is one named by E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) when they are used.
      - This option and O(validate_certs=false) win over E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE); with neither,
        those variables are honoured as C(requests) does (and the system's CA certificates are used without them).
      - If not set, the environment variable E(DIGITALOCEAN_CA_PATH) is used.
    type: path
  concurrency:
    description:
      - How many pages of a listing may be requested at the same time, once the first page has told the total.
      - V(1) reads one page at a time.
      - Whatever this says, no more requests are started than the API's rate limits allow
        (its hourly budget and O(rate_limit_per_minute)).
      - The default, a fifth of the API's burst limit, reads 50 pages (10,000 snapshots) in 2 round trips
        (page 1, then the other 49 at once).
      - If not set, the environment variable E(DIGITALOCEAN_CONCURRENCY) is used.
    type: int
    default: 50
  rate_limit_per_minute:
    description:
      - The most requests the client sends in any minute. DigitalOcean documents 250 a minute (a burst limit that
        no header reports; past it the API answers HTTP 429), besides the hourly budget its C(ratelimit-*)
        headers report, which is always respected.
      - Lower it when other tools share the token; raise it only for an account with a higher limit.
      - Must be 1 or more.
      - If not set, the environment variable E(DIGITALOCEAN_RATE_LIMIT_PER_MINUTE) is used.
    type: int
    default: 250
  retries:
    description:
      - How many times a request is retried after HTTP 429, 500, 502, 503, 504 or 520 to 524, a connection error, a
        dropped connection, a read timeout or an answer that was cut off. V(0) sends each request once.
      - TLS and certificate failures are not retried; a certificate does not get better by asking again.
      - Waits grow exponentially with jitter, and follow the API's C(Retry-After) and C(ratelimit-reset) headers.
      - Other errors (such as 401, 403 and 404) are never retried.
      - If not set, the environment variable E(DIGITALOCEAN_RETRIES) is used.
    type: int
    default: 5
  retry_max_wait:
    description:
      - The most seconds one request may spend waiting between its retries, all waits added up. A retry is never
        sent earlier than the backoff or C(Retry-After) it is owed; when that wait does not fit, the request fails
        saying so.
      - If not set, the environment variable E(DIGITALOCEAN_RETRY_MAX_WAIT) is used.
    type: float
    default: 60
  total_max_wait:
    description:
      - The most seconds one task (one module run, one lookup call) may spend waiting in all, for the rate limits,
        between retries, after C(Retry-After), and to read a listing again. Past it the task fails saying so.
      - O(retry_max_wait) bounds the waits of one request; this bounds them all. Must be 0 or more.
      - If not set, the environment variable E(DIGITALOCEAN_TOTAL_MAX_WAIT) is used.
    type: float
    default: 600
"""

    PLUGINS = r"""
requirements:
  - requests >= 2.25
  - urllib3 >= 1.26.0
options:
  token:
    description:
      - DigitalOcean API token, sent only in the C(Authorization) header.
      - Surrounding whitespace (the line break a YAML C(|) block or a paste leaves) is removed. A token that still
        holds a line break, tab, control or non-ASCII character is refused before any request, and never shown.
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
        crosses a network unencrypted, and plain C(http://) never goes through a proxy, whatever E(HTTP_PROXY) says.
      - C(https://) goes through the proxy that E(HTTPS_PROXY) (or E(ALL_PROXY)) names, except for the hosts
        E(NO_PROXY) lists, as corporate networks need.
    type: str
    default: https://api.digitalocean.com
    env:
      - name: DIGITALOCEAN_API_URL
    vars:
      - name: digitalocean_api_url
  timeout:
    description:
      - Seconds to wait for each request to connect and for each answer, before it is retried. At most 31536000
        (a year), as for O(retry_max_wait) and O(total_max_wait).
    type: float
    default: 30
    env:
      - name: DIGITALOCEAN_TIMEOUT
    vars:
      - name: digitalocean_timeout
  validate_certs:
    description:
      - Verify the API's TLS certificate. Leave it on outside a test lab.
      - When V(false), each task gives one warning that the certificate is not verified.
    type: bool
    default: true
    env:
      - name: DIGITALOCEAN_VALIDATE_CERTS
    vars:
      - name: digitalocean_validate_certs
  ca_path:
    description:
      - A PEM file of CA certificates, or a directory of them prepared with C(openssl rehash), to verify the
        API's certificate with instead of the system's (as the C(ca_path) option of the C(ansible.builtin.uri) module does),
        for an API reached through a TLS-inspecting proxy or signed by a private certificate authority.
      - Ignored when O(validate_certs=false). A path that does not exist or cannot be read is an option error,
        as is one named by E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) when they are used.
      - This option and O(validate_certs=false) win over E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE); with neither,
        those variables are honoured as C(requests) does (and the system's CA certificates are used without them).
    type: path
    env:
      - name: DIGITALOCEAN_CA_PATH
    vars:
      - name: digitalocean_ca_path
  concurrency:
    description:
      - How many pages of a listing may be requested at the same time, once the first page has told the total.
      - V(1) reads one page at a time.
      - Whatever this says, no more requests are started than the API's rate limits allow
        (its hourly budget and O(rate_limit_per_minute)).
      - The default, a fifth of the API's burst limit, reads 50 pages (10,000 snapshots) in 2 round trips
        (page 1, then the other 49 at once).
    type: int
    default: 50
    env:
      - name: DIGITALOCEAN_CONCURRENCY
    vars:
      - name: digitalocean_concurrency
  rate_limit_per_minute:
    description:
      - The most requests the client sends in any minute. DigitalOcean documents 250 a minute (a burst limit that
        no header reports; past it the API answers HTTP 429), besides the hourly budget its C(ratelimit-*)
        headers report, which is always respected.
      - Lower it when other tools share the token; raise it only for an account with a higher limit.
      - Must be 1 or more.
    type: int
    default: 250
    env:
      - name: DIGITALOCEAN_RATE_LIMIT_PER_MINUTE
    vars:
      - name: digitalocean_rate_limit_per_minute
  retries:
    description:
      - How many times a request is retried after HTTP 429, 500, 502, 503, 504 or 520 to 524, a connection error, a
        dropped connection, a read timeout or an answer that was cut off. V(0) sends each request once.
      - TLS and certificate failures are not retried; a certificate does not get better by asking again.
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
      - The most seconds one request may spend waiting between its retries, all waits added up. A retry is never
        sent earlier than the backoff or C(Retry-After) it is owed; when that wait does not fit, the request fails
        saying so.
    type: float
    default: 60
    env:
      - name: DIGITALOCEAN_RETRY_MAX_WAIT
    vars:
      - name: digitalocean_retry_max_wait
  total_max_wait:
    description:
      - The most seconds one task (one module run, one lookup call) may spend waiting in all, for the rate limits,
        between retries, after C(Retry-After), and to read a listing again. Past it the task fails saying so.
      - O(retry_max_wait) bounds the waits of one request; this bounds them all. Must be 0 or more.
    type: float
    default: 600
    env:
      - name: DIGITALOCEAN_TOTAL_MAX_WAIT
    vars:
      - name: digitalocean_total_max_wait
"""
