"""The domain core stays light to import (issue 2's cold-start budget: the shared package adds
at most 60 ms over boto3; ``make bench`` prints the figure).

pydantic alone costs about as much as the whole budget, so it lives only at the edges (HTTP
request and answer models, events, payment providers). GIVEN a fresh interpreter WHEN a core
module or a Lambda without HTTP is imported THEN pydantic has not been loaded. No timing here:
this asserts the property that makes the timing possible.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from infra.topology import FUNCTIONS, ROUTES
from tests.unit.test_architecture import ROOT, layer_modules

# Every function behind a route, as its handler module is imported (a new API function is in).
API_FUNCTIONS = sorted(
    f"functions.{FUNCTIONS[name].folder}.{FUNCTIONS[name].module}" for name in {r.function for r in ROUTES}
)


def run_probe(code: str) -> str:
    """What ``code`` prints in a fresh interpreter of the suite's Python (the repo on its path)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


PYDANTIC_FREE = [
    "cancelflow.domain.options",
    "cancelflow.store.orders",
    "cancelflow.store.payments",
    "cancelflow.cancel.submit_cancellation",
    "cancelflow.review.intake",
    "functions.schedules.expire_orders",
    "functions.schedules.flag_refunds",
    "functions.schedules.flag_reviews",
    "functions.review.intake",
]


@pytest.mark.parametrize("module", PYDANTIC_FREE)
def test_the_core_does_not_import_pydantic(module: str) -> None:
    loaded = run_probe(
        f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    )
    assert loaded.strip() == "[]", f"{module} loads {loaded.strip()}"


# What a sweep with nothing due never needs: the entities it would decode and act on, and the
# domain rules they bring (store.due binds them with cancelflow.deferred.lazy).
PER_ITEM = [
    "cancelflow.domain.models",
    "cancelflow.domain.policy",
    "cancelflow.store.orders.reads",
    "cancelflow.store.requests",
    "cancelflow.review.sla",
]
SWEEPS = ["expire_orders", "complete_orders", "flag_reviews"]


@pytest.mark.parametrize("module", SWEEPS)
def test_a_sweep_imports_what_it_acts_on_only_when_an_item_is_due(module: str) -> None:
    """GIVEN a fresh interpreter WHEN a schedule's handler is imported and its readers are made
    THEN no per-item module has run (a lazy one is bound, not loaded); decoding an item loads
    it, which the sweep tests (tests/schedules) exercise with items due."""
    loaded = run_probe(
        "import sys\n"
        f"import functions.schedules.{module}\n"
        "from datetime import UTC, datetime\n"
        "from importlib.util import _LazyModule\n"
        "from cancelflow.store import due\n"
        "now = datetime.now(UTC)\n"
        "due.expiring_orders(now), due.completing_orders(now), due.due_reviews(now)\n"
        f"print(sorted(m for m in {PER_ITEM!r} if m in sys.modules "
        "and not isinstance(sys.modules[m], _LazyModule)))"
    )
    assert loaded.strip() == "[]", f"{module} loads {loaded.strip()}"


def test_a_lazy_module_bound_on_a_deferred_package_stays_unloaded() -> None:
    """GIVEN a package registered by defer_init WHEN one of its submodules is bound lazily
    THEN binding it (the import system's setattr on the package) does not run it; reading an
    attribute does. (Reading its ``__name__`` to bind it used to run it.)"""
    out = run_probe(
        "import sys\n"
        "import cancelflow.store\n"
        "from cancelflow.deferred import lazy\n"
        "reads = lazy('cancelflow.store.orders.reads')\n"
        "before = 'cancelflow.domain.policy' in sys.modules\n"
        "bound = sys.modules['cancelflow.store.orders'].reads is reads\n"
        "reads.of_item\n"
        "print(before, bound, 'cancelflow.domain.policy' in sys.modules)"
    )
    assert out.split() == ["False", "True", "True"]


OTHER_RESOLVERS = [
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
]


@pytest.mark.parametrize("module", API_FUNCTIONS)
def test_an_api_function_loads_one_resolver(module: str) -> None:
    """GIVEN a fresh interpreter WHEN an API function is imported THEN Powertools' other
    resolvers (and asyncio, which AppSync's brings) and other event sources' classes are not
    loaded (cancelflow.deferred)."""
    loaded = run_probe(
        f"import sys, {module}\nprint(sorted(m for m in {OTHER_RESOLVERS!r} if m in sys.modules))"
    )
    assert loaded.strip() == "[]", f"{module} loads {loaded.strip()}"


# Deferred by cancelflow.http (Powertools) and cancelflow.store (our orders package).
DEFERRED = [
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
    "cancelflow.store.orders",
]

# Every name of a package's __all__ (read from its source, so reading it runs nothing), described
# by what it is bound to; then whether the package's real __init__ ran (it sets __all__).
_DESCRIBE = """
import ast, importlib, json, sys
{first}
out = {{}}
for name in {packages!r}:
    pkg = importlib.import_module(name)
    tree = ast.parse(open(pkg.__spec__.origin, encoding="utf-8").read())
    (names,) = [n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__"]
    for n in ast.literal_eval(names):
        obj = getattr(pkg, n)
        what = [type(obj).__name__, getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)]
        out[name + "." + n] = what
    out[name + " ran its __init__"] = "__all__" in vars(pkg)
print(json.dumps(out, sort_keys=True))
"""


def _describe(first: str) -> dict[str, object]:
    code = _DESCRIBE.format(first=first, packages=DEFERRED)
    described: dict[str, object] = json.loads(run_probe(code))
    return described


def test_every_name_the_deferred_packages_export_is_what_their_init_binds() -> None:
    """GIVEN the packages cancelflow defers WHEN every name of their ``__all__`` is read
    THEN each is bound to exactly what the real ``__init__`` binds (same kind, module and name),
    AND none of them needed the real ``__init__`` to run (each came through the export map read
    from its source)."""
    deferred = _describe("import cancelflow.http, cancelflow.store")
    # the real __init__s: reading __all__ runs a deferred one (cancelflow.store defers its
    # orders package as soon as it is imported, so importing it first is not enough)
    real = _describe(f"import importlib\nfor n in {DEFERRED!r}: importlib.import_module(n).__all__")
    assert len(deferred) > 60
    for name in DEFERRED:
        assert deferred.pop(f"{name} ran its __init__") is False
        assert real.pop(f"{name} ran its __init__") is True
    assert deferred == real


def test_a_name_over_its_own_submodule_is_bound_as_the_init_binds_it() -> None:
    """GIVEN data_classes re-exports the decorator ``event_source`` from its submodule of the same
    name WHEN the submodule is imported first THEN the package's ``event_source`` is still the
    decorator, as with the real ``__init__``; AND other names and submodules import as usual."""
    probe = (
        "import cancelflow.http\n"
        "import sys, aws_lambda_powertools.utilities.data_classes.event_source\n"
        "module = sys.modules['aws_lambda_powertools.utilities.data_classes.event_source']\n"
        "from aws_lambda_powertools.utilities.data_classes import event_source, SQSEvent\n"
        "from aws_lambda_powertools.event_handler import content_types\n"
        "print(callable(event_source) and event_source is module.event_source, SQSEvent.__name__,"
        " content_types.APPLICATION_JSON)"
    )
    assert run_probe(probe).split() == ["True", "SQSEvent", "application/json"]


def _layer_dataclasses() -> list[tuple[str, ast.ClassDef]]:
    """Every class of the layer with a ``@dataclass`` decorator, with where it is."""
    found = []
    for path in layer_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if any("dataclass" in ast.unparse(d) for d in node.decorator_list):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def test_every_layer_dataclass_has_a_docstring() -> None:
    """GIVEN every dataclass of the layer THEN it has a docstring: for a class without one, Python
    3.13's dataclass builds ``__doc__`` from ``inspect.signature`` when the class is created, about
    0.25 ms per class on every cold start (measured here: 680 vs 420 µs for a frozen class of six
    fields), and an API function creates dozens."""
    assert [
        f"{where} {node.name}" for where, node in _layer_dataclasses() if ast.get_docstring(node) is None
    ] == []


def test_the_layers_dataclasses_are_api_schemas_only() -> None:
    """GIVEN every dataclass of the layer THEN it is a schema of the API (docs/openapi.json):
    pydantic validates and documents stdlib dataclasses but not msgspec structs, so those few stay
    dataclasses; every other record is a ``msgspec.Struct``, whose class is made in C in about
    20 µs where a dataclass compiles its generated methods from source, 0.5 to 1 ms a class on
    every cold start (measured here; a function imports dozens)."""
    schemas = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))["components"][
        "schemas"
    ]
    assert [f"{where} {node.name}" for where, node in _layer_dataclasses() if node.name not in schemas] == []
