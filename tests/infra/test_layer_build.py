"""The Lambda layers as they are built (infra/build_layer.py): the shared one and the providers'
one (cryptography), installed from uv.lock, stripped of what Lambda never loads, precompiled by
the runtime's Python, and every function's handler importing from the layers it mounts laid out
as Lambda lays it out (/var/task, /opt/python, /var/runtime), in a fresh interpreter with no
site-packages. The first run builds (about 15 s for both layers and both architectures); later
runs find them up to date. Sizes are bench figures (bench/bench_infra.py), not asserted here."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_lambda as lambda_

from infra import build_layer, layer_files, nag, topology
from infra.functions import RUNTIME

# our own package, which the stripper leaves exactly as written
(OWN,) = layer_files.OWN_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
TAG = sys.implementation.cache_tag  # cpython-313: the build refuses any other interpreter
PYC_UNCHECKED_HASH = 0b01  # PEP 552: bit 0 = hash-based, bit 1 = check the source


@pytest.fixture(scope="module")
def layer() -> Path:
    """The shared layer's python/ (the call shape callers had before there were two layers)."""
    return build_layer.build(arch="x86_64") / "python"


@pytest.fixture(scope="module")
def providers() -> Path:
    return build_layer.build(arch="x86_64", layer="providers") / "python"


@pytest.fixture(scope="module")
def runtime() -> Path:
    return build_layer.runtime_dir("x86_64")


def _pins(text: str) -> dict[str, str]:
    return dict(pin.split("==") for pin in build_layer._pins(text))


def _lambda_python(code: str, *path: Path) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter as Lambda would: no site (so no site-packages and no
    editable install), isolated from PYTHON* variables, no bytecode written, sys.path = ``path``
    then the standard library. ``code`` prints one JSON document."""
    prelude = f"import sys\nsys.path[:0] = {[str(p) for p in path]!r}\n"
    env = {"PATH": os.defpath, "AWS_REGION": "ap-east-1", "AWS_DEFAULT_REGION": "ap-east-1"}
    out = subprocess.run(
        [sys.executable, "-B", "-S", "-I", "-c", prelude + textwrap.dedent(code)],
        capture_output=True, text=True, env=env, cwd=path[0], timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# Records every module the import system compiles from source (it only does when it finds no
# valid bytecode) before anything else is imported.
SPY = """
    import json
    import importlib._bootstrap_external as bootstrap

    compiled = []
    _source_to_code = bootstrap.SourceLoader.source_to_code

    def _spy(self, data, path, *args, **kwargs):
        compiled.append(str(path))
        return _source_to_code(self, data, path, *args, **kwargs)

    bootstrap.SourceLoader.source_to_code = _spy

    def loaded(prefix):
        files = {n: getattr(m, "__file__", None) or "" for n, m in list(sys.modules.items())}
        return sorted(n for n, file in files.items() if file.startswith(prefix))
"""


def test_installs_exactly_the_lock_without_what_the_runtime_has(layer, providers, runtime):
    """GIVEN uv.lock THEN the two layers hold its runtime dependencies at the locked versions,
    each package in one of them, except boto3 and its own dependencies (jmespath stays: Powertools
    needs it too), which the runtime stand-in holds; the providers layer holds cryptography and
    its dependencies, of which only cffi's metadata (for its _cffi_backend) and cryptography's are
    left as distributions."""
    everything = _pins(build_layer._export(()))
    shared = _pins(build_layer.layer_requirements_file())
    provided = _pins(build_layer.layer_requirements_file("providers"))
    in_runtime = _pins(build_layer.runtime_requirements_file())
    assert set(in_runtime) == set(build_layer.RUNTIME_PACKAGES)
    assert set(provided) == set(build_layer.PROVIDER_PACKAGES) == {"cryptography", "cffi", "pycparser"}
    assert not set(shared) & set(provided)
    assert set(shared) | set(provided) == set(everything) - set(build_layer.RUNTIME_PACKAGES) | {"jmespath"}
    assert {"pydantic", "aws-lambda-powertools", "msgspec"} <= set(shared)
    kept = {k: v for k, v in provided.items() if k != "pycparser"}
    for folder, pins in ((layer, shared), (providers, kept), (runtime, in_runtime)):
        dists = {p.name.removesuffix(".dist-info") for p in folder.glob("*.dist-info")}
        want = {f"{name.replace('-', '_')}-{version}" for name, version in pins.items()}
        assert {d.lower() for d in dists} == {w.lower() for w in want}
    for folder in (layer, providers):
        assert not list(folder.glob("boto*")) and not list(folder.glob("botocore*"))
    assert not list(layer.glob("cryptography*")) and not list(layer.glob("*cffi*"))


def test_the_two_layers_never_share_a_path(layer, providers):
    """GIVEN Lambda extracts every layer of a function into the same /opt THEN no file of the
    providers layer would overwrite one of the shared layer's, or the other way round."""
    files = [{p.relative_to(tree) for p in tree.rglob("*") if p.is_file()} for tree in (layer, providers)]
    assert files[0] and files[1] and not files[0] & files[1]


def test_every_source_has_unchecked_hash_bytecode_of_this_python(layer, providers, runtime):
    """GIVEN the built trees THEN each .py has __pycache__/<name>.cpython-313.pyc, written by this
    Python (magic number), for this very source (its hash), flagged unchecked-hash; and there is
    no other bytecode (another version's, optimised, or stray)."""
    for tree in (layer, providers, runtime):
        sources = sorted(tree.rglob("*.py"))
        assert len(sources) > 50
        for src in sources:
            pyc = src.parent / "__pycache__" / f"{src.stem}.{TAG}.pyc"
            header = pyc.read_bytes()[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, pyc
            assert int.from_bytes(header[4:8], "little") == PYC_UNCHECKED_HASH, pyc
            assert header[8:16] == importlib.util.source_hash(src.read_bytes()), pyc
        expected = {src.parent / "__pycache__" / f"{src.stem}.{TAG}.pyc" for src in sources}
        assert set(tree.rglob("*.pyc")) == expected


def test_what_lambda_never_loads_is_stripped(layer, providers):
    """GIVEN the layers THEN no test suites, type stubs, console scripts, installer records or
    locks, Swagger UI assets, or cffi's and pycparser's Python packages remain, while what the
    imports read (METADATA, entry points) and cffi's C runtime do."""
    for tree in (layer, providers):
        rels = [p.relative_to(tree) for p in tree.rglob("*")]
        assert not [r for r in rels if r.parts[0] != "cancelflow" and {"tests", "test"} & set(r.parts[1:])]
        assert not [r for r in rels if r.suffix == ".pyi"]
        assert not (tree / "bin").exists() and not (tree / ".lock").exists()
        assert not list(tree.glob("*.dist-info/RECORD"))
        assert all((d / "METADATA").is_file() for d in tree.glob("*.dist-info"))
    assert not list(layer.glob("aws_lambda_powertools/**/swagger_ui/*.min.*"))
    assert {p.name for p in providers.iterdir() if not p.name.endswith(".dist-info")} == {
        "cryptography",
        f"_cffi_backend.{TAG}-x86_64-linux-gnu.so",
    }
    assert not list(providers.glob("cffi-*.dist-info/entry_points.txt"))
    # cancelflow is copied exactly as written (its json data included), then compiled
    rels = [p.relative_to(layer) for p in layer.rglob("*")]
    package = {p.relative_to(build_layer.PACKAGE) for p in build_layer._package_files()}
    built = {
        r.relative_to("cancelflow") for r in rels if r.parts[0] == "cancelflow" and (layer / r).is_file()
    }
    assert {r for r in built if "__pycache__" not in r.parts} == package


def test_strip_rules_on_a_made_up_install(tmp_path):
    """GIVEN a --target install with a package's own test suite, stubs, scripts and installer
    files THEN exactly those go; a top-level package named ``test``, metadata and ours stay."""
    files = ["pkg/__init__.py", "pkg/tests/test_pkg.py", "pkg/sub/test/conftest.py", "pkg/core.pyi",
             "pkg/__pycache__/core.cpython-311.pyc", "test/__init__.py", "bin/tool",
             "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD", "pkg-1.0.dist-info/entry_points.txt",
             f"{OWN}/tests/__init__.py", f"{OWN}/py.typed", ".lock"]  # fmt: skip
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("")
    removed = {str(p) for p in layer_files.strip(tmp_path)}
    assert removed == {"bin", "pkg/tests", "pkg/sub/test", "pkg/core.pyi", "pkg/__pycache__",
                       "pkg-1.0.dist-info/RECORD", ".lock"}  # fmt: skip
    left = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert left == {"pkg/__init__.py", "test/__init__.py", "pkg-1.0.dist-info/METADATA",
                    "pkg-1.0.dist-info/entry_points.txt", f"{OWN}/tests/__init__.py",
                    f"{OWN}/py.typed"}  # fmt: skip
    # a layer's unused packages go by name, and a name that matches nothing stops the build
    assert layer_files.drop(tmp_path, ("pkg", "pkg-*.dist-info/entry_points.txt")) == [
        Path("pkg"),
        Path("pkg-1.0.dist-info/entry_points.txt"),
    ]
    with pytest.raises(SystemExit, match="stale"):
        layer_files.drop(tmp_path, ("pkg",))


def test_the_stripped_swagger_ui_is_never_served():
    """GIVEN the layer ships without Powertools' offline Swagger UI THEN nothing the functions
    run asks for it."""
    code = [
        *sorted((ROOT / "layers" / "cancelflow").rglob("*.py")),
        *sorted((ROOT / "functions").rglob("*.py")),
    ]
    assert not [p for p in code if "enable_swagger" in p.read_text()]


def test_the_extensions_load_from_the_layers(layer, providers, runtime):
    """GIVEN the layers' compiled extensions THEN they are this machine's builds and work from the
    layers: pydantic-core validates, msgspec decodes, cryptography signs and verifies with RSA,
    reloads its PEM key and seals with AES-GCM (the providers' protocols) with neither cffi's
    Python package nor pycparser there, and every distribution's version is readable
    (importlib.metadata, as pydantic and Powertools use it)."""
    libs = [p for tree in (layer, providers) for p in tree.rglob("*.so*") if p.is_file()]
    assert libs and {layer_files.elf_machine(p) for p in libs} == {layer_files.ELF_MACHINE["x86_64"]}
    got = _lambda_python(
        """
        import json, importlib.metadata as md, importlib.util
        import msgspec, pydantic
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        key = serialization.load_pem_private_key(pem, password=None)
        sig = key.sign(b"order", padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(sig, b"order", padding.PKCS1v15(), hashes.SHA256())
        sealed = AESGCM(bytes(32)).encrypt(bytes(12), b"refund", None)
        print(json.dumps({
            "msgspec": msgspec.json.decode(b'{"a": 1}'),
            "pydantic": pydantic.TypeAdapter(int).validate_python("7"),
            "aesgcm": AESGCM(bytes(32)).decrypt(bytes(12), sealed, None).decode(),
            "absent": [m for m in ("cffi", "pycparser") if importlib.util.find_spec(m) is None],
            "backend": sys.modules["_cffi_backend"].__file__,
            "versions": {d.metadata["Name"].lower(): d.version for d in md.distributions()},
        }))
        """,
        layer,
        providers,
        runtime,
    )
    assert got["msgspec"] == {"a": 1} and got["pydantic"] == 7 and got["aesgcm"] == "refund"
    assert got["absent"] == ["cffi", "pycparser"] and Path(got["backend"]).parent == providers
    pins = {
        **_pins(build_layer.layer_requirements_file()),
        **_pins(build_layer.layer_requirements_file("providers")),
        **_pins(build_layer.runtime_requirements_file()),
    }
    del pins["pycparser"]
    assert {name.replace("_", "-"): v for name, v in got["versions"].items()} == pins


@pytest.mark.parametrize("fn", sorted(topology.FUNCTIONS), ids=str)
def test_every_handler_imports_from_the_layer_as_lambda_lays_it_out(fn, layer, providers, runtime):
    """GIVEN functions/<folder> as /var/task, the x86_64 layers the function mounts as /opt/python
    (the providers layer only for PROVIDER_LAYER_FUNCTIONS) and the runtime stand-in as
    /var/runtime THEN the function's handler module imports in a fresh interpreter, ``handler`` is
    callable, cancelflow comes from the layer and boto3 from the runtime, every layer module loaded
    ran from the prebuilt bytecode (its code names /opt/python/...), and cryptography is never
    imported by a function without the providers layer while the refund functions import it from
    theirs."""
    f = topology.FUNCTIONS[fn]
    task = build_layer.function_asset(f.folder)  # functions/<folder> as shipped, with its bytecode
    signs = fn in build_layer.PROVIDER_LAYER_FUNCTIONS
    assert build_layer.layers_for(fn) == (("shared", "providers") if signs else ("shared",))
    trees = [layer, providers] if signs else [layer]
    got = _lambda_python(
        textwrap.dedent(SPY)
        + textwrap.dedent(f"""
            import importlib
            mod = importlib.import_module({f.module!r})
            import cancelflow, boto3
            imported = {{"cryptography": "cryptography" in sys.modules, "rsa": None}}
            if {signs!r}:
                from cryptography.hazmat.primitives.asymmetric import rsa
                imported["rsa"] = rsa.__file__
            bootstrap.SourceFileLoader("probe", "probe.py").source_to_code(b"", "probe.py")  # the spy works
            print(json.dumps({{
                "module": mod.__file__, "callable": callable(getattr(mod, "handler", None)),
                "cancelflow": cancelflow.__file__, "boto3": boto3.__file__, "compiled": compiled,
                "layer": loaded({str(layer) + os.sep!r}), "runtime": loaded({str(runtime) + os.sep!r}),
                **imported,
            }}))
            """),
        task,
        *trees,
        runtime,
    )
    assert got["module"] == str(task / f"{f.module}.py")
    assert got["callable"]
    assert Path(got["cancelflow"]).is_relative_to(layer)
    assert Path(got["boto3"]).is_relative_to(runtime)
    assert "cancelflow" in got["layer"] and "botocore" in got["runtime"]
    if signs:
        assert Path(got["rsa"]).is_relative_to(providers)
    else:
        assert not got["cryptography"]
    # nothing was compiled at import, the function's own modules included: all came from the
    # prebuilt bytecode
    assert got["compiled"] == ["probe.py"]


def _import_chain(fn: topology.Function, target: str) -> list[str] | None:
    """The chain of modules from ``fn``'s handler to the first that imports ``target`` (or one of
    its submodules), or None if none does. Every import statement counts, those inside function
    bodies too: a lazy import runs later, on some call, and must find its module then. Modules
    resolve as on Lambda: cancelflow.* from layers/, the rest from functions/<folder>."""
    task = ROOT / "functions" / fn.folder

    def source(module: str) -> Path | None:
        base = (ROOT / "layers" if module.split(".")[0] == "cancelflow" else task).joinpath(
            *module.split(".")
        )
        return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)

    parent: dict[str, str | None] = {fn.module: None}
    todo = [fn.module]
    while todo:
        module = todo.pop()
        if module == target or module.startswith(target + "."):
            chain = [module]
            while (up := parent[chain[-1]]) is not None:
                chain.append(up)
            return chain[::-1]
        path = source(module)
        if path is None:
            continue
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        names = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up_to = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up_to, *([base] if base else [])])
                names += [base, *(f"{base}.{a.name}" for a in node.names)]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
                sub = ".".join(parts[:i])
                if sub not in parent:
                    parent[sub] = module
                    todo.append(sub)
    return None


def test_only_the_functions_with_the_providers_layer_can_reach_cryptography():
    """GIVEN every import statement of every handler's modules, lazy ones included, THEN exactly
    PROVIDER_LAYER_FUNCTIONS can ever import cryptography: any other function would fail on Lambda
    the first time it did (its layers do not carry it), and a function listed there without
    reaching it would mount 5 MB for nothing."""
    chains = {fn: _import_chain(f, "cryptography") for fn, f in topology.FUNCTIONS.items()}
    reaching = {fn for fn, chain in chains.items() if chain}
    assert reaching == build_layer.PROVIDER_LAYER_FUNCTIONS, {
        fn: " -> ".join(chain or ["(never)"])
        for fn, chain in chains.items()
        if (fn in reaching) != (fn in build_layer.PROVIDER_LAYER_FUNCTIONS)
    }
    # the chain runs through the one module that imports it (lazily)
    assert all("cancelflow.refunds.signing" in (chains[fn] or []) for fn in reaching)


def test_the_arm64_layers_carry_aarch64_extensions():
    """GIVEN the layers the stack deploys (arm64: build/layer, build/layer-providers) THEN their
    compiled extensions are aarch64 builds (pydantic-core and msgspec in the shared one,
    cryptography and cffi's backend in the providers'), bytecode included, and the shared one is
    the folder app.py hands to the CDK."""
    out = build_layer.build()
    assert out == build_layer.OUT_DIR == build_layer.build("arm64", "shared")
    extra = build_layer.build(layer="providers")
    assert extra == build_layer.BUILD / "layer-providers"
    aarch64 = {layer_files.ELF_MACHINE["arm64"]}
    for site, package in (
        *((out / "python", p) for p in ("pydantic_core", "msgspec")),
        (extra / "python", "cryptography"),
    ):
        libs = [p for p in (site / package).rglob("*.so") if p.is_file()]
        assert libs and {layer_files.elf_machine(p) for p in libs} == aarch64, package
    assert {layer_files.elf_machine(p) for p in (extra / "python").glob("_cffi_backend.*.so")} == aarch64
    assert (out / "python" / "cancelflow" / "__pycache__" / f"__init__.{TAG}.pyc").is_file()
    assert (extra / "python" / "cryptography" / "__pycache__" / f"__init__.{TAG}.pyc").is_file()


def test_functions_run_the_python_that_compiles_the_layer():
    """GIVEN the layer's bytecode is only valid for the Python that wrote it THEN the functions'
    runtime is LAMBDA_PYTHON, the suite's interpreter, and while the CDK knows a newer Python,
    cdk-nag's latest-runtime rules are acknowledged for the functions with that reason."""
    assert RUNTIME.name == f"python{build_layer.LAMBDA_PYTHON}" == "python{}.{}".format(*sys.version_info[:2])
    newest = max(
        tuple(int(p) for p in name.removeprefix("PYTHON_").split("_"))
        for name in dir(lambda_.Runtime)
        if name.startswith("PYTHON_3_")
    )
    acks = {
        a.rule for a in nag.ACKNOWLEDGED if a.path == "Functions/*/Function" and a.reason == nag.PINNED_PYTHON
    }
    pinned = tuple(int(p) for p in build_layer.LAMBDA_PYTHON.split("."))
    assert acks == (
        {"AwsSolutions::AwsSolutions-L1", "Serverless::Serverless-LambdaLatestVersion"}
        if newest > pinned
        else set()
    )
