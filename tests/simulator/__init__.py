"""A DigitalOcean snapshot API simulator: a real HTTP server on 127.0.0.1.

Used by the unit and integration tests, ``make demo`` and the benchmarks::

    from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

    with Simulator(snapshots=make_snapshots(count=500, seed=1), token="sim-token") as sim:
        ...  # point the client at sim.url

Standard library only. Run ``python -m ansible_collections.snapfleet.digitalocean.tests.simulator
--help`` to serve it from a separate process.
"""

from .data import REGIONS, SnapshotFactory, make_snapshots
from .models import FAULT_KINDS, Fault, Mutation, RateLimit, RequestRecord
from .server import DEFAULT_RATE_LIMIT, Simulator

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "FAULT_KINDS",
    "REGIONS",
    "Fault",
    "Mutation",
    "RateLimit",
    "RequestRecord",
    "Simulator",
    "SnapshotFactory",
    "make_snapshots",
]
