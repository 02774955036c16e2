"""The Lambda layer as it is built (infra/build_layer.py): installed from uv.lock, stripped of what
Lambda never loads, precompiled by the runtime's Python, and every function's handler importing
from it laid out as Lambda lays it out (/var/task, /opt/python, /var/runtime), in a fresh
interpreter with no site-packages. The first run builds (about 20 s for both architectures);
later runs find the layers up to date."""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[2]
TAG = sys.implementation.cache_tag  # cpython-313: the build refuses any other interpreter
PYC_UNCHECKED_HASH = 0b01  # PEP 552: bit 0 = hash-based, bit 1 = check the source


@pytest.fixture(scope="module")
def layer() -> Path:
    return build_layer.build("x86_64") / "python"


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


def test_installs_exactly_the_lock_without_what_the_runtime_has(layer, runtime):
    """GIVEN uv.lock THEN the layer holds its runtime dependencies at the locked versions except
    boto3 and its own dependencies (jmespath stays: Powertools needs it too), and the runtime
    stand-in holds exactly those."""
    everything = _pins(build_layer._export(()))
    in_layer = _pins(build_layer.layer_requirements_file())
    in_runtime = _pins(build_layer.runtime_requirements_file())
    assert set(in_runtime) == set(build_layer.RUNTIME_PACKAGES)
    assert set(in_layer) == set(everything) - set(build_layer.RUNTIME_PACKAGES) | {"jmespath"}
    assert {"pydantic", "aws-lambda-powertools", "msgspec"} <= set(in_layer)
    for folder, pins in ((layer, in_layer), (runtime, in_runtime)):
        dists = {p.name.removesuffix(".dist-info") for p in folder.glob("*.dist-info")}
        want = {f"{name.replace('-', '_')}-{version}" for name, version in pins.items()}
        assert {d.lower() for d in dists} == {w.lower() for w in want}
    assert not list(layer.glob("boto*")) and not list(layer.glob("botocore*"))


def test_every_source_has_unchecked_hash_bytecode_of_this_python(layer, runtime):
    """GIVEN the built trees THEN each .py has __pycache__/<name>.cpython-313.pyc, written by this
    Python (magic number), for this very source (its hash), flagged unchecked-hash; and there is
    no other bytecode (another version's, optimised, or stray)."""
    for tree in (layer, runtime):
        sources = sorted(tree.rglob("*.py"))
        assert len(sources) > 100
        for src in sources:
            pyc = src.parent / "__pycache__" / f"{src.stem}.{TAG}.pyc"
            header = pyc.read_bytes()[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, pyc
            assert int.from_bytes(header[4:8], "little") == PYC_UNCHECKED_HASH, pyc
            assert header[8:16] == importlib.util.source_hash(src.read_bytes()), pyc
        expected = {src.parent / "__pycache__" / f"{src.stem}.{TAG}.pyc" for src in sources}
        assert set(tree.rglob("*.pyc")) == expected


def test_what_lambda_never_loads_is_stripped(layer):
    """GIVEN the layer THEN no test suites, type stubs, console scripts, installer records or
    Swagger UI assets remain, while what the imports read (METADATA, entry points) does."""
    rels = [p.relative_to(layer) for p in layer.rglob("*")]
    assert not [r for r in rels if r.parts[0] != "cancelflow" and {"tests", "test"} & set(r.parts[1:])]
    assert not [r for r in rels if r.suffix == ".pyi"]
    assert not (layer / "bin").exists()
    assert not list(layer.glob("*.dist-info/RECORD"))
    assert not list(layer.glob("aws_lambda_powertools/**/swagger_ui/*.min.*"))
    assert all((d / "METADATA").is_file() for d in layer.glob("*.dist-info"))
    # cancelflow is copied exactly as written (its json data included), then compiled
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
             "cancelflow/tests/__init__.py", "cancelflow/py.typed"]  # fmt: skip
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("")
    removed = {str(p) for p in layer_files.strip(tmp_path)}
    assert removed == {"bin", "pkg/tests", "pkg/sub/test", "pkg/core.pyi", "pkg/__pycache__",
                       "pkg-1.0.dist-info/RECORD"}  # fmt: skip
    left = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert left == {"pkg/__init__.py", "test/__init__.py", "pkg-1.0.dist-info/METADATA",
                    "pkg-1.0.dist-info/entry_points.txt", "cancelflow/tests/__init__.py",
                    "cancelflow/py.typed"}  # fmt: skip


def test_the_stripped_swagger_ui_is_never_served():
    """GIVEN the layer ships without Powertools' offline Swagger UI THEN nothing the functions
    run asks for it."""
    code = [
        *sorted((ROOT / "layers" / "cancelflow").rglob("*.py")),
        *sorted((ROOT / "functions").rglob("*.py")),
    ]
    assert not [p for p in code if "enable_swagger" in p.read_text()]


def test_shared_libraries_are_stripped_and_still_load(layer, runtime):
    """GIVEN the layer's compiled extensions (symbol tables stripped when a strip tool exists)
    THEN they still import and work: pydantic-core validates, msgspec decodes, cryptography signs
    and verifies with RSA and seals with AES-GCM (the providers' protocols), and every installed
    distribution's version is readable (importlib.metadata, as pydantic and Powertools use it)."""
    libs = [p for p in layer.rglob("*.so*") if p.is_file()]
    assert libs and all(layer_files.elf_info(p)[0] == layer_files.ELF_MACHINE["x86_64"] for p in libs)
    if layer_files.strip_tool("x86_64"):
        assert not [p for p in libs if layer_files.elf_info(p)[1]]
    got = _lambda_python(
        """
        import json, importlib.metadata as md
        import msgspec, pydantic
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        sig = key.sign(b"order", padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(sig, b"order", padding.PKCS1v15(), hashes.SHA256())
        sealed = AESGCM(bytes(32)).encrypt(bytes(12), b"refund", None)
        print(json.dumps({
            "msgspec": msgspec.json.decode(b'{"a": 1}'),
            "pydantic": pydantic.TypeAdapter(int).validate_python("7"),
            "aesgcm": AESGCM(bytes(32)).decrypt(bytes(12), sealed, None).decode(),
            "versions": {d.metadata["Name"].lower(): d.version for d in md.distributions()},
        }))
        """,
        layer,
        runtime,
    )
    assert got["msgspec"] == {"a": 1} and got["pydantic"] == 7 and got["aesgcm"] == "refund"
    pins = {**_pins(build_layer.layer_requirements_file()), **_pins(build_layer.runtime_requirements_file())}
    assert {name.replace("_", "-"): v for name, v in got["versions"].items()} == pins


@pytest.mark.parametrize("fn", sorted(topology.FUNCTIONS), ids=str)
def test_every_handler_imports_from_the_layer_as_lambda_lays_it_out(fn, layer, runtime):
    """GIVEN functions/<folder> as /var/task, the x86_64 layer as /opt/python and the runtime
    stand-in as /var/runtime THEN the function's handler module imports in a fresh interpreter,
    ``handler`` is callable, cancelflow comes from the layer and boto3 from the runtime, and every
    layer module loaded ran from the prebuilt bytecode (its code names /opt/python/...)."""
    f = topology.FUNCTIONS[fn]
    task = ROOT / "functions" / f.folder
    got = _lambda_python(
        textwrap.dedent(SPY)
        + textwrap.dedent(f"""
            import importlib
            mod = importlib.import_module({f.module!r})
            import cancelflow, boto3
            bootstrap.SourceFileLoader("probe", "probe.py").source_to_code(b"", "probe.py")  # the spy works
            print(json.dumps({{
                "module": mod.__file__, "callable": callable(getattr(mod, "handler", None)),
                "cancelflow": cancelflow.__file__, "boto3": boto3.__file__, "compiled": compiled,
                "layer": loaded({str(layer) + os.sep!r}), "runtime": loaded({str(runtime) + os.sep!r}),
            }}))
            """),
        task,
        layer,
        runtime,
    )
    assert got["module"] == str(task / f"{f.module}.py")
    assert got["callable"]
    assert Path(got["cancelflow"]).is_relative_to(layer)
    assert Path(got["boto3"]).is_relative_to(runtime)
    assert "cancelflow" in got["layer"] and "botocore" in got["runtime"]
    # nothing of the layer or the runtime was compiled at import: all came from the prebuilt bytecode
    assert got["compiled"][-1] == "probe.py"
    assert not [
        p for p in got["compiled"] if Path(p).is_relative_to(layer) or Path(p).is_relative_to(runtime)
    ]


def test_the_arm64_layer_carries_aarch64_extensions():
    """GIVEN the layer the stack deploys (arm64, build/layer) THEN its compiled extensions are
    aarch64 builds (pydantic-core, msgspec, cryptography), bytecode included, and it is the folder
    app.py hands to the CDK."""
    out = build_layer.build("arm64")
    assert out == build_layer.OUT_DIR
    site = out / "python"
    for package in ("pydantic_core", "msgspec", "cryptography"):
        libs = [p for p in (site / package).rglob("*.so") if p.is_file()]
        assert libs, package
        assert {layer_files.elf_info(p)[0] for p in libs} == {layer_files.ELF_MACHINE["arm64"]}, package
    assert (site / "cancelflow" / "__pycache__" / f"__init__.{TAG}.pyc").is_file()


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
