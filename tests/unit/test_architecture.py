"""The layer's shape, checked from its source (AST only: nothing is imported, it runs in well
under a second).

GIVEN every module of the Lambda layer (``layers/cancelflow/``)
THEN (a) DynamoDB lives in ``store/`` only: no module outside it imports ``cancelflow.store.ddb``,
``.keys`` or ``.schema``, makes a DynamoDB client, or holds a DynamoDB expression, placeholder,
key attribute or raw transaction operation (it calls intention-named store functions instead);
(b) the layer ships only runtime code: nothing in it imports ``infra``, ``functions`` or
``local``, in any form; (c) no module of the layer reaches 300 lines.

Each detector is a function of source text, so the tests at the end show it finds what
``store/`` writes and the offenders it is meant for, and passes what the rest of the layer
legitimately holds (pydantic and JSON-schema strings, S3 parameters, URLs, messages).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "cancelflow"
STORE = LAYER / "store"
MAX_LINES = 300

# ---------------------------------------------------------------- (a) DynamoDB in store/ only

STORE_INTERNALS = frozenset({"ddb", "keys", "schema"})
# Parts of condition, update and key expressions, and the names of a request's fields.
EXPRESSION = re.compile(
    r"attribute_(not_)?exists\s*\("
    r"|if_not_exists\s*\("
    r"|begins_with\s*\("
    r"|list_append\s*\("
    r"|\bSET\s+#?\w+\s*="
    r"|#\w+\s*=\s*:\w+"
    r"|=\s*:\w+"
    r"|[<>+-]=?\s*:\w+"
    r"|\bREMOVE\b"
    r"|\bADD\s+#?\w+\s+:\w+"
    r"|\b(Condition|Update|KeyCondition|Filter|Projection)Expression\b"
    r"|\bExpressionAttribute(Names|Values)\b"
    r"|\bTransactItems\b"
    r"|\bReturnValuesOnConditionCheckFailure\b"
)
# A placeholder on its own: ":now" (a value) or "#s" (a name), as a key of its dict
# ({":now": ...}, vals[":f"] = ...); inside other text ("#v000001", f"{event}:approved") it is not.
PLACEHOLDER = re.compile(r"^(:[A-Za-z_]\w*|#[A-Za-z_]\w*)$")
# The table's key and index attributes: whoever names them builds keys.
KEY_ATTRIBUTE = re.compile(r"^(pk|sk|[a-z_]+_(pk|sk))$")
OPERATIONS = frozenset({"Put", "Update", "ConditionCheck", "Delete"})
# "Key" is S3's word too ({"Bucket": ..., "Key": ...}): it is DynamoDB's next to one of these.
DYNAMODB_SIBLINGS = frozenset(
    {"TableName", "UpdateExpression", "ConditionExpression", "ReturnValues", "ConsistentRead"}
)
DYNAMODB_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})


def _store_internal_imports(node: ast.AST) -> list[str]:
    """``cancelflow.store.ddb`` imported in any form: import, from-import, relative."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
        return [
            f"imports {n}"
            for n in names
            if n.split(".")[:3][:2] == ["cancelflow", "store"]
            and len(n.split(".")) > 2
            and n.split(".")[2] in STORE_INTERNALS
        ]
    if not isinstance(node, ast.ImportFrom):
        return []
    parts = (node.module or "").split(".")
    if node.level == 0 and parts[:2] == ["cancelflow", "store"]:
        inner = parts[2:]
    elif node.level > 0 and "store" in parts:
        inner = parts[parts.index("store") + 1 :]
    else:
        return []
    shown = "." * node.level + (node.module or "")
    if inner:
        return [f"imports {shown}"] if inner[0] in STORE_INTERNALS else []
    return [f"imports {shown}.{a.name}" for a in node.names if a.name in STORE_INTERNALS]


def _dynamodb_client(node: ast.Call) -> bool:
    """``aws.dynamodb()``, ``x.dynamodb(...)``, ``dynamodb()``, ``client("dynamodb")``."""
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name in DYNAMODB_SERVICES:
        return True
    first = node.args[0] if node.args else None
    return (
        name in ("client", "resource")
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and first.value in DYNAMODB_SERVICES
    )


def _dict_operation(node: ast.Dict) -> str | None:
    names = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if ops := names & OPERATIONS:
        return f"a raw {'/'.join(sorted(ops))} operation"
    if "Key" in names and names & DYNAMODB_SIBLINGS:
        return "a raw key"
    return None


def store_leaks(source: str) -> list[tuple[int, str]]:
    """(line, what) for every piece of DynamoDB in ``source``, a module outside store/."""
    tree = ast.parse(source)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            out += [(line, what) for what in _store_internal_imports(node)]
        elif isinstance(node, ast.Call) and _dynamodb_client(node):
            out.append((line, "makes a DynamoDB client"))
        elif isinstance(node, ast.Dict) and (what := _dict_operation(node)):
            out.append((line, what))
        if isinstance(node, ast.Dict | ast.Subscript):
            keys = node.keys if isinstance(node, ast.Dict) else [node.slice]
            for k in keys:
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and PLACEHOLDER.match(k.value):
                    out.append((k.lineno, f"an expression placeholder {k.value!r}"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            s = node.value
            if m := EXPRESSION.search(s):
                out.append((line, f"a DynamoDB expression ({m.group(0)!r} in {s[:60]!r})"))
            elif KEY_ATTRIBUTE.match(s):
                out.append((line, f"a key attribute {s!r}"))
    return sorted(set(out))


# The one factory of boto3 clients defines ``dynamodb()``; only store/ may call it.
CLIENT_FACTORY = LAYER / "aws.py"


def layer_modules() -> list[Path]:
    return sorted(p for p in LAYER.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_dynamodb_is_written_in_store_only() -> None:
    offenders = [
        f"{_rel(p)}:{line}: {what}"
        for p in layer_modules()
        if not p.is_relative_to(STORE) and p != CLIENT_FACTORY
        for line, what in store_leaks(p.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"{len(offenders)} pieces of DynamoDB outside store/:\n" + "\n".join(offenders)


# ---------------------------------------------------------------- (b) runtime code only

BUILD_TIME = frozenset({"infra", "functions", "local"})
IMPORTERS = frozenset({"import_module", "__import__", "find_spec", "resolve_name", "run_module"})
MODULE_NAME = re.compile(r"^(infra|functions|local)(\.[A-Za-z_]\w*)+(:\w+)?$")


def build_time_imports(source: str) -> list[tuple[int, str]]:
    """(line, what) for every way ``source`` reaches ``infra``, ``functions`` or ``local``:
    import statements, ``importlib.import_module``/``__import__`` calls naming them, and module
    names as strings (``pkgutil.resolve_name("functions.cancel.api:app")``)."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            out += [(line, f"imports {a.name}") for a in node.names if a.name.split(".")[0] in BUILD_TIME]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in BUILD_TIME:
                out.append((line, f"imports from {node.module}"))
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            first = node.args[0] if node.args else None
            target = first.value if isinstance(first, ast.Constant) else None
            if name in IMPORTERS and isinstance(target, str) and re.split(r"[.:]", target)[0] in BUILD_TIME:
                out.append((line, f"{name}({target!r})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.match(node.value):
            out.append((line, f"names the module {node.value!r}"))
    return sorted(set(out))


def test_the_layer_imports_no_build_time_code() -> None:
    offenders = [
        f"{_rel(p)}:{line}: {what}"
        for p in sorted(p for p in (ROOT / "layers").rglob("*.py") if "__pycache__" not in p.parts)
        for line, what in build_time_imports(p.read_text(encoding="utf-8"))
    ]
    assert not offenders, "the layer reaches build-time code:\n" + "\n".join(offenders)


# ---------------------------------------------------------------- (c) small modules


def too_long(paths: list[Path], base: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    sizes = [(len(p.read_text(encoding="utf-8").splitlines()), p) for p in paths]
    return [
        f"{p.relative_to(base).as_posix()}: {n} lines" for n, p in sorted(sizes, reverse=True) if n >= limit
    ]


def test_every_module_of_the_layer_is_under_300_lines() -> None:
    offenders = too_long(layer_modules())
    assert not offenders, f"modules of {MAX_LINES} lines or more:\n" + "\n".join(offenders)


# ---------------------------------------------------------------- the detectors


@pytest.mark.parametrize(
    "snippet",
    [
        "from cancelflow.store import ddb\n",
        "from cancelflow.store import keys, orders\n",
        "from cancelflow.store.schema import GSI_STATUS\n",
        "import cancelflow.store.ddb as d\n",
        "from ..store import ddb\n",
        "from ..store.keys import order_pk\n",
        "from cancelflow import aws\nclient = aws.dynamodb()\n",
        "import boto3\nc = boto3.client('dynamodb')\n",
        "x = {'ConditionExpression': 'attribute_not_exists(pk)'}\n",
        "e = 'attribute_exists(due_pk) AND due_at <= :now'\n",
        "e = 'SET #s = :ur, appeal_used = :t'\n",
        "e = 'ADD balance :a, credits :one'\n",
        "e = 'version = version + :one'\n",
        "e = 'SET a = :a REMOVE lease_until'\n",
        "e = 'list_append(if_not_exists(answers, :empty), :ans)'\n",
        "e = 'lease_until > :now'\n",
        "e = 'begins_with(sk, :p)'\n",
        "vals = {':f': False}\n",
        "names = {'#s': 'status'}\n",
        "op = {'Update': {'Key': k, 'UpdateExpression': e}}\n",
        "op = {'Put': {'Item': item}}\n",
        "op = {'ConditionCheck': c}\n",
        "req = {'Key': k, 'TableName': t}\n",
        "r = {'TransactItems': ops}\n",
        "hidden = {'pk', 'sk', 'status_pk'}\n",
        "vals[':now'] = now\n",
        "item = {'due_pk': p, 'due_at': t}\n",
    ],
)
def test_the_dynamodb_detector_finds(snippet: str) -> None:
    assert store_leaks(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "from cancelflow.store import orders, requests, tasks\n",
        "from cancelflow.store.codec import CursorScope, decode_cursor, encode_cursor, new_id\n",
        "from cancelflow.store import codec\n",
        "ref = {'$ref': '#/$defs/Order'}\n",
        "schema = {'type': 'object', 'properties': {'status': {'enum': ['paid']}}}\n",
        "url = s3.generate_presigned_url('get_object', Params={'Bucket': b, 'Key': k})\n",
        "fields = {'key': k, 'Content-Type': t}\n",
        "cond = ['eq', '$Content-Type', 'image/png']\n",
        "u = 'https://example.com/v1/orders?status=paid&limit=20'\n",
        "msg = 'Say what happened, when, and what you would like done'\n",
        "zh = '说明发生了什么、何时发生'\n",
        "fmt = '%Y-%m-%dT%H:%M:%S.'\n",
        "route = 'POST /v1/orders/{order_id}/cancellations'\n",
        "m = {'application/json': {'schema': s}}\n",
        "key = f'{kind}#{task_id}'\n",
        "x = {'Delete me': 1}\n",
        "s3 = aws.client('s3')\n",
        "header = 'Idempotency-Key'\n",
        "suffix = f'{task_id}#v{version:06d}'\n",
        "titles = {f'{event}:approved': t, 'a#b': 1}\n",
    ],
)
def test_the_dynamodb_detector_passes(snippet: str) -> None:
    assert store_leaks(snippet) == [], snippet


def test_the_dynamodb_detector_flags_what_store_writes_today() -> None:
    """Tuned against the real thing: most store modules would fail the check if they were not
    in store/ (the others hold no DynamoDB of their own: codec, __init__)."""
    flagged = {p.name for p in STORE.rglob("*.py") if store_leaks(p.read_text(encoding="utf-8"))}
    modules = {p.name for p in STORE.rglob("*.py") if p.name != "__init__.py"}
    assert len(flagged) >= len(modules) // 2, sorted(modules - flagged)
    assert {"ddb.py", "requests.py", "customers.py"} <= flagged


def test_the_dynamodb_detector_names_the_line() -> None:
    source = "from cancelflow.store import orders\n\n\ndef f():\n    return {':now': 1}\n"
    assert store_leaks(source) == [(5, "an expression placeholder ':now'")]


@pytest.mark.parametrize(
    ("snippet", "finds"),
    [
        ("import infra.topology\n", True),
        ("from infra.topology import ROUTES\n", True),
        ("from functions.cancel import api\n", True),
        ("import local\n", True),
        ("import importlib\nm = importlib.import_module('infra.topology')\n", True),
        ("m = __import__('functions')\n", True),
        ("import pkgutil\napp = pkgutil.resolve_name('functions.cancel.api:app')\n", True),
        ("NAMES = ('functions.cancel.api', 'functions.review.api')\n", True),
        ("from cancelflow.http import api\n", False),
        ("from . import local_helpers\n", False),
        ("from .functions import f\n", False),
        ("env = 'local'\n", False),
        ("where = 'the functions of the step'\n", False),
        ("import localization\n", False),
    ],
)
def test_the_build_time_import_detector(snippet: str, finds: bool) -> None:
    assert bool(build_time_imports(snippet)) is finds, snippet


def test_the_size_check_fails_on_a_long_module(tmp_path: Path) -> None:
    long, short = tmp_path / "long.py", tmp_path / "short.py"
    long.write_text("x = 1\n" * MAX_LINES)
    short.write_text("x = 1\n" * (MAX_LINES - 1))
    assert too_long([long, short], base=tmp_path) == [f"long.py: {MAX_LINES} lines"]
