"""The bite table (``tests/store/bite.py``) names every guard clause, where it is written and
the tests that fail without it. GIVEN the table WHEN the code changes THEN each clause is still
in its function exactly as written, each test named exists, and every guard test is named: a
clause dropped or rewritten fails here at once, without the slow proof (``python -m
tests.store.bite``) that takes each clause out and watches its tests fail."""

from __future__ import annotations

import importlib
import inspect
import os

import pytest

from tests.store import bite

# mutmut's copy of the package is rewritten code (the clauses live on in renamed functions)
pytestmark = pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="a mutation run")


def _function(node_id: str) -> object:
    module, _, name = node_id.partition("::")
    mod = importlib.import_module(f"tests.store.{module.removesuffix('.py')}")
    return getattr(mod, name.partition("[")[0], None)


@pytest.mark.parametrize("clause", bite.CLAUSES, ids=lambda c: c.name)
def test_each_guard_clause_is_where_the_table_says(clause: bite.Clause) -> None:
    source = (bite.ROOT / "layers" / "cancelflow" / clause.path).read_text()
    bite.apply(source, clause)  # LookupError: the clause is gone from its function
    assert clause.tests
    missing = [t for t in clause.tests if _function(t) is None]
    assert not missing, missing


def test_every_guard_test_is_in_the_table() -> None:
    named = {t.partition("::")[2].partition("[")[0] for c in bite.CLAUSES for t in c.tests}
    here = bite.ROOT / "tests" / "store"
    found = set()
    for path in here.glob("test_*_guards.py"):
        mod = importlib.import_module(f"tests.store.{path.stem}")
        found |= {n for n, f in inspect.getmembers(mod, inspect.isfunction) if n.startswith("test_")}
    assert found - named == set(), "guard tests without a clause in tests/store/bite.py"
