"""Lazily created, cached AWS clients: import cost and connection set-up are paid once.

Clients come from one botocore session, not from boto3: the clients are the same objects
(boto3's client is botocore's), but importing boto3 also imports s3transfer and boto3's
resource layer (~30 ms of a cold start) for upload helpers and resources nothing here uses,
and one shared session loads the endpoint rules and credentials once for every client a
function makes, where a session per client loaded them again each time.

Creation is serialised: the sweeps work index shards on threads, and without the lock each
thread's first request would create (and load) a client of its own at the same moment.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from cancelflow.settings import get_settings

_clients: dict[str, Any] = {}
_session: list[Any] = []  # the botocore session, once created
_loader: list[Any] = []  # botocore's data loader, once preloaded (``preload``)
# The services the API functions' requests use (the store, the evidence uploads and the review
# console's files, the queues they send to): what ``preload`` reads into a snapshot.
API_SERVICES = ("dynamodb", "s3", "sqs")
_lock = threading.Lock()


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            _clients[service] = _create(service)
        return _clients[service]


def _create(service: str) -> Any:
    import botocore.session

    if not _session:
        session = botocore.session.Session()
        if _loader:  # preloaded before a SnapStart snapshot: the models are read already
            session.register_component("data_loader", _loader[0])
        _session.append(session)
    return _new_client(_session[0], service)


def _new_client(session: Any, service: str, **credentials: str) -> Any:
    """A client of ``session`` as every function makes it: the endpoint (the local runtime's,
    or none), standard retries, path-style S3."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        signature_version="s3v4" if service == "s3" else None,
        s3={"addressing_style": "path"} if service == "s3" else None,
    )
    return session.create_client(
        service, endpoint_url=get_settings().aws_endpoint_url, config=config, **credentials
    )


def preload(services: tuple[str, ...] = API_SERVICES) -> None:
    """Import botocore's client machinery and read what a client of each of ``services`` is
    made from (its model, endpoint rules, partitions), keeping no client and no session: what a
    SnapStart snapshot should hold (``cancelflow.snapstart``), so that a restored environment's
    first request imports and parses none of it. Only botocore's data loader is kept (data
    read from the package's files; no credentials, no connection), and the session made later
    uses it. An optimisation only: if it fails, the snapshot is taken without it (a hook that
    raises would fail the version's publication, so the deploy)."""
    try:
        _loader[:] = [_read_models(services)]
    except Exception:  # logged; the first request reads them instead
        logging.getLogger(__name__).warning("botocore not preloaded for the snapshot", exc_info=True)
    gc.collect()  # the throwaway session and clients hold reference cycles: none in the snapshot


def _read_models(services: tuple[str, ...]) -> Any:
    """Botocore's data loader after making a throwaway client of each of ``services``, with
    placeholder credentials, so no credential provider runs before the snapshot (with
    SnapStart, the role's credentials come after the restore) and no request is made."""
    import botocore.session

    session = botocore.session.Session()
    for service in services:
        _new_client(session, service, aws_access_key_id="preload", aws_secret_access_key="preload")
    return session.get_component("data_loader")


def dynamodb() -> Any:
    return client("dynamodb")


def reset_clients() -> None:
    """Forget every client and the session (credentials, endpoint): the next call creates them
    again (tests that change the environment; a restored snapshot)."""
    with _lock:
        _clients.clear()
        _session.clear()
