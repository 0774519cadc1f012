# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A DigitalOcean snapshot API simulator: a real HTTP server on 127.0.0.1.

Used by the unit and integration tests, ``make demo`` and the benchmarks::

    from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

    with Simulator(snapshots=make_snapshots(count=500, seed=1), token="sim-token") as sim:
        ...  # point the client at sim.url

Standard library only. Run ``python -m ansible_collections.snapfleet.digitalocean.tests.simulator
--help`` to serve it from a separate process.

The API (what other tests code against)
---------------------------------------
Constructor::

    Simulator(snapshots=None, token="sim-token", latency=0.0, volumes=None, *,
              droplets=None,          # Droplet ids (int or str) that exist without snapshots
              read_only_tokens=(),    # tokens good for GET; DELETE answers 403 (no snapshot:delete scope)
              images=(),              # ids that exist but are not snapshots: DELETE answers 400
              host="127.0.0.1", port=0,
              rate_limits=None,       # RateLimits(...): the documented model (see below)
              rate_limit=<unset>,     # legacy RateLimit(limit, window) fixed window; None: no limits
              mutation=None,          # legacy Mutation (random changes after list pages)
              clock=time.monotonic)   # the rate limiter's clock; a test may pass a fake one

Order: every list is in the store's order, which is creation order, oldest first (the API's
likeliest order: ascending ids). ``make_snapshots`` makes oldest-first data whose Droplet
snapshot ids grow with ``created_at``; ``create`` appends at the end unless told otherwise.

Rate limits (``RateLimits``; one budget for the whole simulator, as for one token)::

    RateLimits(hourly=5000, burst=250, time_scale=1.0)   # burst=None: no burst limit
    RateLimits.documented(time_scale=60.0)                # 5000/hour + 250/minute; a minute lasts 1 s
    DEFAULT_RATE_LIMITS = RateLimits(hourly=5000, burst=None, time_scale=60.0)  # used when neither
        # rate_limits nor rate_limit is given: generous, never slows a test that did not ask

- Each counted request has its own timer: it counts for one "hour" (3600 / time_scale real
  seconds) after it was made. Every answer carries ``ratelimit-limit`` (hourly),
  ``ratelimit-remaining`` (hourly budget left after this request) and ``ratelimit-reset``
  (integer epoch seconds, real time, rounded up: when the OLDEST counted request expires).
  Every request that reaches the API counts (401, 404 and 422 answers too); an injected fault
  that replaces the answer does not, but reports the headers truthfully.
- Past the burst limit (more than ``burst`` counted requests in the last "minute") or with no
  hourly budget left, the answer is 429 ``{"id": "too_many_requests", "message": ..., "request_id"}``
  with ``Retry-After`` (integer real seconds, rounded up, at least 1, so with a time scale it
  may round a short wait up to 1 s) until enough requests expire. A 429 from the limits is not counted. No header reports the burst limit.
- ``sim.rate_limits`` (get/set; setting forgets all timers), ``sim.rate_limit`` (legacy, get/set).
- ``sim.spend(n, ago=60.0, over=0.0)``: count ``n`` requests made by other tools on the same
  token, made ``ago`` simulated seconds ago (60: outside the burst window, inside the hour);
  with ``over``, spread evenly from ``ago + over`` to ``ago`` seconds ago.
- ``sim.rate_status() -> RateStatus(limit, remaining, reset, burst_used)`` without spending.

Changes on demand (deterministic; each takes the store's lock, so they are safe from hooks)::

    sim.create(at="end", **fields) -> dict   # at: "end" | "head" | int index (list.insert rules);
        # fields override the generated ones (resource_type, resource_id, tags, name, ...).
        # Droplet snapshots get a numeric id above every id ever used, volume snapshots a new
        # UUID; created_at is now (or 1 s after the newest snapshot, when that is later).
    sim.delete(id_or_index) -> dict          # str: snapshot id (KeyError); int: list position (IndexError)
    sim.rotate() -> (deleted, created)       # delete the oldest (first), create one at the end
    sim.destroy_droplet(droplet_id)          # its endpoint answers 404; its snapshots stay listed
    sim.delete_volume(volume_id)             # the same for a volume

Hooks::

    sim.on_list_page(callback) -> callback   # callback(sim, path, page_number), called under the
        # store's (re-entrant) lock before a list page is computed, for every list request that
        # got past rate limits, auth and parameter checks (all three list endpoints; also
        # before a 404 for an unknown volume or Droplet)
    sim.remove_hook(callback); sim.clear_hooks()
    sim.after_list_pages(n, action, *, every=0, times=1, path=None) -> callback
        # action(sim) runs once n list pages were served, before the next one is computed
        # (n=0: before the first); every=k: again every k pages after that, `times` times in
        # all (None: forever); path: only count pages of that path ("...*" for a prefix)
    sim.list_pages_served -> int             # list pages computed so far

Endpoints: GET /v2/snapshots (page, per_page 1..200, resource_type), GET /v2/snapshots/{id},
DELETE /v2/snapshots/{id} (204 empty; 403 read-only token; 400 id that is not a snapshot id
(neither an integer nor a UUID, or one of ``images``); 404 unknown), GET
/v2/volumes/{uuid}/snapshots, GET /v2/droplets/{id}/snapshots (the Droplet-scoped model:
integer id, name, created_at, regions, min_disk_size, size_gigabytes, type "snapshot"; 404 for a
Droplet that does not exist, 422 for an id that is not an integer >= 1; ``droplet_view(snapshot)``
converts). Bad parameters answer 422, other methods 405 (with Allow), unknown paths 404. A
read-only token authenticates (``RequestRecord.authorized`` is true) and reads everything.

Creating (creation.py, ``sim.creations``): POST /v2/volumes/{uuid}/snapshots (201 with the snapshot;
at most 25 per volume, then 422; a second one within 10 minutes, shortened by
``sim.creations.time_scale``, answers the API's 429 "failed to create snapshot: this operation is
rate-limited - one request per 10m0s"), POST /v2/droplets/{id}/actions (201 with an action that stays
``in-progress`` for ``sim.creations.action_seconds``, then completes, or errors for the next
``sim.creations.errored``; its snapshot appears in the listings ``appear_seconds`` after), GET
/v2/actions/{id}, POST /v2/tags and POST /v2/tags/{tag}/resources (the tag then shows on the
snapshot). A read-only token lacks every write scope, a ``denied_scopes`` token those it names:
403 before anything is done. ``sim.creations.settle()`` completes due actions at once (every request
does), ``forget_volume_limit()`` lifts the 10 minutes, ``before_next_create(callback)`` lets another
actor act as the next create arrives, and ``posts`` lists every create that took effect.

Sources (sources.py)::

    Simulator(..., sources=make_sources(snapshots, seed=1, orphan_share=0.2, gpu_share=0.25,
                                        idle_droplets=3, idle_volumes=2),
              denied_scopes={"token": ["droplet:read", "block_storage:read"]})

GET /v2/droplets (page, per_page, type: ``gpus`` lists only the GPU Droplets, none or ``droplets``
only the others; name; tag_name, not with name or type) and GET /v2/volumes (page, per_page, name,
region) answer the contract's models of the Droplets and volumes that exist, in ascending id order,
and run the list-page hooks. Without ``sources`` every resource the snapshots name exists. With it,
the resources of ``sources.orphaned`` are gone (their snapshots are orphans; their snapshot
endpoints answer 404) and the idle ones exist without snapshots. A token of ``denied_scopes``
authenticates but lacks those scopes: the listing that needs one answers 403.

Faults, log and the rest (unchanged): ``sim.add_fault(Fault(kind, path=None, page=None,
times=1, after=0, status=None, delay=0.0, retry_after=None, method=None))`` (method: match only
that HTTP method; kinds ``late`` and ``lost`` let the request take effect, then answer late,
with ``status``, or not at all: see Fault), ``sim.api_deletes`` (the ids API DELETEs removed, in
order, across log resets: the record outcomes are checked against), ``sim.clear_faults()``,
``sim.faults``, ``sim.requests`` (RequestRecord(method,
path, query, status, started, finished, authorized)), ``sim.reset_log()``, ``sim.in_flight``,
``sim.max_in_flight``, ``sim.snapshots`` (get/set), ``sim.latency``, ``sim.url``, ``sim.port``,
``sim.token``, ``sim.mutation`` / ``sim.mutation_rounds`` (legacy; Mutation(at="end") is the default).
"""

from .data import REGIONS, SnapshotFactory, droplet_view, make_snapshots
from .hooks import AfterListPages
from .models import FAULT_KINDS, Fault, Mutation, RateLimit, RequestRecord
from .ratelimits import DEFAULT_RATE_LIMITS, RateLimits, RateStatus
from .server import DEFAULT_RATE_LIMIT, Simulator

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_LIMITS",
    "FAULT_KINDS",
    "REGIONS",
    "AfterListPages",
    "Fault",
    "Mutation",
    "RateLimit",
    "RateLimits",
    "RateStatus",
    "RequestRecord",
    "Simulator",
    "SnapshotFactory",
    "droplet_view",
    "make_snapshots",
]
