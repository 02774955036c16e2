"""A package registered without running its ``__init__``, for packages whose ``__init__`` imports
every module they have to re-export their names: two of Powertools' (by ``cancelflow.http``) and
our ``store.orders`` (by ``cancelflow.store``).

``defer_init(name)`` puts the package in ``sys.modules`` as its import would, but with its
``__init__`` not yet run:

- its submodules import as usual (``import pkg.sub``, ``from pkg import sub``, ``from pkg.sub
  import x``);
- a name the ``__init__`` re-exports (``from .x import A``, read from its source with ``ast`` the
  first time a name is asked for) imports only its own submodule and is bound as the ``__init__``
  binds it, over a submodule of the same name (``data_classes.event_source`` is the decorator, not
  its module, whichever is imported first);
- any other name (``__all__`` too, for ``import *``) runs the real ``__init__``, once, and is
  taken from it.

Not the same: an attribute naming a submodule nobody imported yet (``pkg.sub`` without ``import
pkg.sub``) is an AttributeError until it is imported, as for any package whose ``__init__`` does
not import it. The same code runs in the tests, the local runtime and Lambda; no file of the
package is changed. ``tests/unit/test_import_weight.py`` checks every name of both packages'
``__all__`` against what the real ``__init__`` binds.

``lazy(name)`` defers a whole module instead, until one of its attributes is read: the API
functions bind with it the modules only some routes name (in annotations or bodies) (``cancelflow.http.api``
resolves a route's annotations when it registers the route).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any


def _exports(name: str, origin: str) -> dict[str, str]:
    """Each name the ``__init__`` at ``origin`` binds by ``from ... import``: the module it is from."""
    with open(origin, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            where = f"{name}.{node.module}" if node.level else node.module
            found.update({alias.asname or alias.name: where for alias in node.names})
    return found


def _name_of(module: ModuleType) -> str | None:
    """A module's name, read without running it: any attribute read of a ``lazy`` module
    (``__name__`` too) imports it, and binding one on a deferred package must not."""
    found: str | None = object.__getattribute__(module, "__dict__").get("__name__")
    return found


def defer_init(name: str) -> bool:
    """Register package ``name`` with its ``__init__`` deferred (True), unless it is already
    imported or cannot be found (False: nothing changes)."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.origin is None:
        return False
    origin, loader = spec.origin, spec.loader
    lock = threading.RLock()
    state: dict[str, Any] = {}  # "exports": the map, once read; "ran": the real __init__ has run

    def exports() -> dict[str, str]:
        with lock:
            if "exports" not in state:
                state["exports"] = _exports(name, origin)
            found: dict[str, str] = state["exports"]
            return found

    class Deferred(ModuleType):
        def __setattr__(self, attr: str, value: Any) -> None:
            # The import system binds a submodule on its package once it is loaded; the
            # __init__ rebinds a name it re-exports from a submodule of the same name.
            own = f"{name}.{attr}"
            if isinstance(value, ModuleType) and _name_of(value) == own and exports().get(attr) == own:
                value = getattr(value, attr)
            super().__setattr__(attr, value)

        def __getattr__(self, attr: str) -> Any:  # names not bound yet
            if attr.startswith("__") and attr != "__all__":
                raise AttributeError(attr)
            where = exports().get(attr)
            if where is not None:
                value = getattr(importlib.import_module(where), attr)
                setattr(self, attr, value)
                return value
            if importlib.util.find_spec(f"{name}.{attr}") is not None:
                raise AttributeError(attr)  # a submodule: the import system imports it
            with lock:
                if not state.get("ran"):
                    state["ran"] = True
                    loader.exec_module(self)
            try:
                return self.__dict__[attr]
            except KeyError:
                raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    package = importlib.util.module_from_spec(spec)
    package.__class__ = Deferred
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, package)  # as the import system would
    return True


def lazy(name: str) -> ModuleType:
    """Module ``name``, imported when one of its attributes is first read (the standard
    library's ``importlib.util.LazyLoader``); if it is imported already, that module.

    For what an API function's routes name only in their annotations and bodies: a route's
    annotations are resolved when it is registered (``cancelflow.http.api``), so a cold start
    imports the modules of the one route it serves. ``from name import x`` reads an attribute,
    so it imports the module at once; bind the module (``views = lazy(...)``, with the plain
    import under ``TYPE_CHECKING`` for the type checker) and write ``views.OrderDetail``. Also for
    a module only some routes' bodies call. Unlike an import, a module whose code raises stays
    half-run in ``sys.modules`` (the standard library's behaviour): bind only modules whose
    import cannot fail (ours, not an optional dependency), and import them on one thread first
    where an import cycle could meet another thread (infra reads every route at start)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)  # imports the parent package (cheap: no re-exports)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)  # (runs it when an attribute is first read)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system would
    return module
