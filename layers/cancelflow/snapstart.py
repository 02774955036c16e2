"""What an API function does around a Lambda SnapStart snapshot (docs/deploy.md, "SnapStart").

With SnapStart (prod's API functions, ``snap_start`` in cdk.json), Lambda runs a function's init
(importing the handler: Powertools, pydantic, the routes declared) once per published version, snapshots
the initialised environment and restores new environments from that snapshot instead of running
init again. Whatever init leaves in memory is then shared by every environment restored from it:

- AWS clients: none is made at init (``cancelflow.aws`` makes them on first use), but one made
  during init would hold pooled connections that are dead after a restore, and the credentials
  of the environment that published the version. After a restore they are all dropped, with the
  caches keyed to them (the product cache of ``store.stock``). What making the first one costs
  apart from that goes into the snapshot instead (``before_snapshot``: ``aws.preload``):
  botocore's modules imported and the models and endpoint rules of the services the API calls
  (DynamoDB, S3, SQS) read, which without it a restored environment's first request would pay.
- ``random``: seeded once, from ``os.urandom``, when first imported; every environment restored
  from one snapshot would draw the same numbers (which claim candidate after a lost race, which
  card keys are tried first: never a wrong result, since the writes are conditional, but more
  lost races). It is seeded again after a restore.
- ``uuid.uuid4``, ``secrets`` and the ids read ``os.urandom`` per call: nothing to do. Settings
  are read from the environment, the same after a restore.

- Routes: a cold start without SnapStart registers only the route it serves (``cancelflow.http.api``);
  before the snapshot every route is registered (``before_snapshot``: their modules imported,
  their models made), so a restored environment starts with all of them.

Lambda's managed Python runtimes ship ``snapshot_restore_py`` (the hooks' registry; the
development environment has it too, for the tests, and nothing there runs the hooks); where it
is absent, nothing is registered. Imported by ``cancelflow.http.api``, so by every API function's
handler module, as Lambda requires of a hook. Registering costs nothing without SnapStart.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from cancelflow import aws


def after_restore() -> None:
    """Run by Lambda in each environment restored from the snapshot, before its first request."""
    aws.reset_clients()
    random.seed()  # from os.urandom, again


def register() -> bool:
    """Register the hooks with the runtime, if it has SnapStart's hooks library (True if so)."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:  # not on a Lambda runtime
        return False
    register_before_snapshot(aws.preload)
    register_after_restore(after_restore)
    return True


def before_snapshot(prepare: Callable[[], object]) -> bool:
    """Have the runtime run ``prepare`` before it takes the snapshot, if it has SnapStart's hooks
    library (True if so): what init left for later that every restored environment would redo."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:  # not on a Lambda runtime
        return False
    register_before_snapshot(prepare)
    return True
