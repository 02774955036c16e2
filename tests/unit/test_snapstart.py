"""SnapStart's restore hook (cancelflow.snapstart; docs/deploy.md, "SnapStart"): registered with
Lambda's hooks library by every API function's import, and what it redoes after a restore."""

from __future__ import annotations

import json
import random
import sys

import pytest
import snapshot_restore_py
from cancelflow import aws, snapstart

from tests.unit.test_import_weight import API_FUNCTIONS, run_probe


@pytest.mark.parametrize("module", API_FUNCTIONS)
def test_every_api_function_registers_the_restore_hook_when_imported(module: str) -> None:
    """GIVEN a fresh interpreter with the runtime's hooks library WHEN an API function's handler
    module is imported THEN cancelflow.snapstart.after_restore is registered to run after a
    restore, once, with no arguments (Lambda ignores a hook its handler's imports do not reach)."""
    probe = (
        f"import {module}, snapshot_restore_py\n"
        "print([(f.__module__, f.__name__, a, k) for f, a, k in snapshot_restore_py.get_after_restore()])\n"
        "hooks = snapshot_restore_py.get_before_snapshot()\n"
        "print([(f.__module__, f.__qualname__, a, k) for f, a, k in hooks])"
    )
    after, before = run_probe(probe).strip().splitlines()
    assert after == "[('cancelflow.snapstart', 'after_restore', (), {})]"
    assert before == (  # botocore's client machinery read, its routes registered, into the snapshot
        "[('cancelflow.aws', 'preload', (), {}), ('cancelflow.http.api', 'Api.register_all', (), {})]"
    )


@pytest.mark.parametrize("module", API_FUNCTIONS)
def test_the_snapshot_holds_every_route_registered(module: str) -> None:
    """GIVEN an API function imported (init: its routes declared, none registered) WHEN the
    runtime runs the before-snapshot hooks THEN every route is registered, so no environment
    restored from the snapshot registers one again."""
    probe = (
        f"import {module} as f, snapshot_restore_py\n"
        "print(len(f.api.registered))\n"
        "for hook, a, k in reversed(snapshot_restore_py.get_before_snapshot()): hook(*a, **k)\n"
        "print(f.api.registered == tuple(f.api.routes))"
    )
    assert run_probe(probe).strip().splitlines() == ["0", "True"]


def test_after_a_restore_clients_are_made_again_and_random_is_reseeded() -> None:
    """GIVEN a client made before the snapshot and random's state as the snapshot froze it WHEN
    the hook runs THEN the next client is a new one (new connections, the restored environment's
    credentials) and random no longer repeats the frozen sequence."""
    before = aws.client("dynamodb")
    frozen = random.getstate()
    first = [random.random() for _ in range(4)]
    random.setstate(frozen)  # as every environment restored from one snapshot would start
    snapstart.after_restore()
    assert aws.client("dynamodb") is not before
    assert [random.random() for _ in range(4)] != first


def test_the_snapshot_holds_botocore_read_and_no_client_session_or_credentials() -> None:
    """GIVEN a fresh interpreter with the function's environment (no AWS credentials in it, as
    before a SnapStart snapshot) WHEN the before-snapshot hooks run (last registered first, as
    Lambda's runtime runs them) THEN botocore's client modules are imported and the models of
    DynamoDB, S3 and SQS read, and no client, session or credentials are left alive, not even
    as uncollected garbage; after the restore, the first client is made from the environment's
    credentials, with the models already read (no file of botocore's data opened again)."""
    probe = (
        "import os, sys, json\n"
        "for k in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'):\n"
        "    os.environ.pop(k, None)\n"
        "os.environ.setdefault('AWS_DEFAULT_REGION', 'ap-east-1')\n"
        "import functions.review.api, snapshot_restore_py\n"
        "from cancelflow import aws\n"
        "loaded = 'botocore.client' in sys.modules\n"
        "for hook, a, k in reversed(snapshot_restore_py.get_before_snapshot()): hook(*a, **k)\n"
        "import gc, botocore.session, botocore.client, botocore.credentials\n"
        "kinds = (botocore.session.Session, botocore.client.BaseClient, botocore.credentials.Credentials)\n"
        "kept = sorted(type(o).__name__ for o in gc.get_objects() if isinstance(o, kinds))\n"
        "os.environ.update(AWS_ACCESS_KEY_ID='restored', AWS_SECRET_ACCESS_KEY='restored')\n"
        "for hook, a, k in snapshot_restore_py.get_after_restore(): hook(*a, **k)\n"
        "import botocore.loaders\n"
        "opened = []\n"
        "read = botocore.loaders.JSONFileLoader.load_file\n"
        "def load_file(self, path): opened.append(path); return read(self, path)\n"
        "botocore.loaders.JSONFileLoader.load_file = load_file\n"
        "client = aws.dynamodb()\n"
        "aws.client('s3'), aws.client('sqs')  # the other services the API functions use\n"
        "print(json.dumps({'before': loaded, 'after': 'botocore.client' in sys.modules, 'kept': kept,\n"
        "    'key': client._request_signer._credentials.access_key, 'opened': opened}))"
    )
    out = json.loads(run_probe(probe).strip().splitlines()[-1])
    assert out["before"] is False  # the handler's import leaves botocore for the first request
    assert out["after"] is True
    assert out["kept"] == []  # no session, client or credentials alive in the snapshot
    assert out["key"] == "restored"  # the restored environment's credentials, not a placeholder
    assert out["opened"] == []  # the model, endpoint rules and partitions were in the snapshot


def test_a_preload_that_fails_leaves_the_snapshot_without_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN botocore failing to make a client before the snapshot (no region, say) WHEN the
    hook runs THEN it does not raise (a raising hook fails the version's publication, and so
    the deploy, for an optimisation), says so, and keeps no loader."""
    import botocore.session

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no region")

    monkeypatch.setattr(aws, "_loader", [])
    monkeypatch.setattr(botocore.session.Session, "create_client", broken)
    aws.preload()
    assert aws._loader == []
    assert "botocore not preloaded for the snapshot" in caplog.text


def test_registering_without_the_hooks_library_is_a_no_op(monkeypatch) -> None:
    """GIVEN no snapshot_restore_py (not on Lambda) THEN register() says so and registers nothing."""
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    registry = list(snapshot_restore_py.get_after_restore())
    assert snapstart.register() is False
    assert snapshot_restore_py.get_after_restore() == registry
