"""Build the Lambda layers without Docker: ``python -m infra.build_layer`` (``make layer``).

A layer is what Lambda mounts at /opt: ``python/`` holds runtime dependencies at exactly the
versions of uv.lock (exported with their hashes and installed with hashes required, as manylinux
wheels for the Lambda runtime's Python and architecture, never built here), minus what Lambda
never loads (infra/layer_files.py), and bytecode for every .py written by that same Python
(unchecked hash-based pycs, so nothing is compiled at a cold start). Skipped when nothing that
goes into it changed. There are two (``LAYERS``), both extracted into the same /opt/python:

- ``shared``, on every function: the cancelflow package and every runtime dependency but those of
  the providers layer.
- ``providers``, only on ``PROVIDER_LAYER_FUNCTIONS``: cryptography and what it loads at run time.

Two entry points, both returning a folder and both skipped when up to date:

- ``build(arch="arm64", layer="shared") -> Path``: the folder that contains ``python/``, as
  Lambda's /opt. arm64 (build/layer, build/layer-providers) is what the stack deploys; x86_64
  (build/layer-x86_64, build/layer-providers-x86_64) is this machine's, for the import tests and
  the cold-start bench.
- ``runtime_dir(arch="x86_64") -> Path``: a stand-in for Lambda's /var/runtime (put the folder
  itself on sys.path): boto3, botocore, s3transfer and their dependencies at the lock's versions,
  precompiled the same way (the runtime ships bytecode too). Never deployed.

``python -m infra.build_layer [--arch x86_64] [--layer shared|providers|all] [--runtime] [--force]``
(all layers by default).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from infra import layer_files

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
STUB_DIR = Path(__file__).resolve().parent / "stub_layer"
PACKAGE = ROOT / "layers" / "cancelflow"

# The Lambda runtime's Python: infra.functions.RUNTIME is derived from it, and the bytecode is
# written by it (the build refuses to run on another).
LAMBDA_PYTHON = "3.13"
# Lambda's python3.13 runs on Amazon Linux 2023 (glibc 2.34): wheels for that or any older glibc.
PLATFORMS = {"arm64": "aarch64-manylinux_2_34", "x86_64": "x86_64-manylinux_2_34"}
# What the Lambda Python runtime already has (/var/runtime): boto3 and its dependency closure.
# They stay out of the layer, with one exception: jmespath is also a dependency of Powertools
# (idempotency keys, the event envelopes), so the layer carries the lock's version rather than
# lean on whichever one the runtime bundles this month; it is 60 kB. The others are needed by
# boto3/botocore alone (the install fails if a layer package comes to need one of them, since
# hashes are required for every dependency and theirs are not in the layer's list).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
ALSO_IN_LAYER = {"jmespath"}

LAYERS = ("shared", "providers")
# cryptography zips to 5 MB (its Rust extension, OpenSSL inside), nearly half of the 11.4 MB a single
# layer would, and only the refund path loads it: cancelflow.refunds.signing imports it lazily, when a
# provider message is signed, verified or decrypted. In a layer of its own, the shared layer stays
# under its 10 MB budget and the functions that never sign do not mount it. These are its package
# and its dependencies (cffi, and pycparser for cffi); none of the shared layer's packages needs
# them (the shared install would fail otherwise: hashes are required for every dependency), and a
# new dependency of cryptography fails the providers install until it is named here.
PROVIDER_PACKAGES = ("cryptography", "cffi", "pycparser")
# What of those cryptography never loads at run time: its Rust extension embeds OpenSSL bindings
# that cffi compiled ahead of time (API mode), which need cffi's C runtime, _cffi_backend (kept,
# with cffi's metadata and licence), but neither cffi's Python package (which writes such
# bindings) nor pycparser (the C parser that one uses); cffi's entry points name its Python
# package (a console script and a setuptools hook), so they go too. tests/infra/test_layer_build
# signs and verifies with RSA and seals with AES-GCM from the layer as built, without them.
PROVIDER_UNUSED = ("cffi", "pycparser", "pycparser-*.dist-info", "cffi-*.dist-info/entry_points.txt")
# The functions that get the providers layer: those that sign or verify the payment providers'
# messages. The refund worker signs refund requests and queries and verifies the answers; the
# refund API verifies (and for WeChat Pay decrypts) the providers' callbacks. They are the only
# functions whose imports, lazy ones included, reach cryptography (tests/infra/test_layer_build
# checks it both ways); infra/functions.py attaches the layer to these and no other.
PROVIDER_LAYER_FUNCTIONS = frozenset({"refund_worker", "refund_api"})

SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
# Where each tree sits on Lambda: compiled into code objects (tracebacks show these paths).
LAYER_DDIR = "/opt/python"
RUNTIME_DDIR = "/var/runtime"
FUNCTION_DDIR = "/var/task"
FUNCTIONS_SRC = ROOT / "functions"


def _check(arch: str, layer: str = "shared") -> None:
    if arch not in PLATFORMS:
        raise ValueError(f"unknown architecture {arch!r}: one of {sorted(PLATFORMS)}")
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: one of {LAYERS}")


def layers_for(function: str) -> tuple[str, ...]:
    """The layers a function mounts, in the order they are attached."""
    return LAYERS if function in PROVIDER_LAYER_FUNCTIONS else ("shared",)


def out_dir(arch: str = "arm64", layer: str = "shared") -> Path:
    """The folder of ``layer`` for ``arch`` (the one holding ``python/``): build/layer[-providers]
    [-x86_64]. The shared arm64 layer keeps build/layer, the folder app.py deploys and the docs name."""
    _check(arch, layer)
    name = "layer" if layer == "shared" else f"layer-{layer}"
    return BUILD / (name if arch == "arm64" else f"{name}-{arch}")


OUT_DIR = out_dir("arm64")


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv") or str(BUILD / "tools" / "bin" / "uv")
    if not Path(found).is_file():
        raise SystemExit("uv is needed to install the layer from uv.lock: run `make setup`")
    return found


def _export(exclude: tuple[str, ...]) -> str:
    """The project's runtime dependencies pinned by uv.lock, with hashes, minus ``exclude``."""
    cmd = [_uv(), "export", "--frozen", "--quiet", "--no-header", "--no-dev", "--no-group", "checkov",
           "--no-emit-project", *(a for name in exclude for a in ("--no-emit-package", name))]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def layer_requirements_file(layer: str = "shared") -> str:
    """The lock's pins (with hashes) that ``layer`` installs."""
    _check("arm64", layer)
    if layer == "providers":
        return _only(PROVIDER_PACKAGES)
    runtime = tuple(p for p in RUNTIME_PACKAGES if p not in ALSO_IN_LAYER)
    return _export(runtime + PROVIDER_PACKAGES)


def runtime_requirements_file() -> str:
    """Only the runtime's packages."""
    return _only(RUNTIME_PACKAGES)


def _only(packages: tuple[str, ...]) -> str:
    """The export of ``packages`` alone: everything else it names is left out."""
    others = {_name(r) for r in _pins(_export(()))} - set(packages)
    return _export(tuple(sorted(others)))


def _pins(text: str) -> list[str]:
    return [line.split(" ")[0] for line in text.splitlines() if line and not line[0].isspace()]


def requirements(layer: str = "shared") -> list[str]:
    """``name==version`` of every package ``layer`` installs (from uv.lock)."""
    return _pins(layer_requirements_file(layer))


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _package_files() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*") if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"
    )


def _recipe() -> bytes:
    """How a tree is made: the build's own code (a changed strip or compile rule rebuilds) and the
    bytecode format of the interpreter that compiles."""
    code = Path(__file__).read_bytes() + Path(layer_files.__file__).read_bytes()
    return code + importlib.util.MAGIC_NUMBER


def fingerprint(arch: str = "arm64", layer: str = "shared") -> str:
    """What goes into ``layer``: the lock's pins and hashes of every package it installs (the part
    of uv.lock that matters here: a dev-only change does not rebuild), the architecture, the
    recipe and, for the shared layer, the cancelflow sources."""
    _check(arch, layer)
    h = hashlib.sha256()
    h.update(
        "\n".join([layer, arch, LAMBDA_PYTHON, PLATFORMS[arch], layer_requirements_file(layer)]).encode()
    )
    h.update(_recipe())
    for f in _package_files() if layer == "shared" else ():
        h.update(str(f.relative_to(PACKAGE)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _runtime_fingerprint(arch: str) -> str:
    text = "\n".join(["runtime", arch, LAMBDA_PYTHON, PLATFORMS[arch], runtime_requirements_file()])
    return hashlib.sha256(text.encode() + _recipe()).hexdigest()


def _stamp(folder: Path) -> Path:
    return folder.with_name(folder.name + ".stamp")


def report(arch: str = "arm64", layer: str = "shared") -> dict[str, dict[str, int]]:
    """Sizes recorded by the last build of ``layer`` for ``arch`` ({"installed"|"stripped"|"built":
    Size as a dict}); {} before the first."""
    stamp = _stamp(out_dir(arch, layer))
    return json.loads(stamp.read_text())["sizes"] if stamp.exists() else {}


def _up_to_date(folder: Path, fp: str, marker: Path) -> bool:
    """The stamp (written last, so a failed build never has one) matches and ``marker`` exists."""
    try:
        return json.loads(_stamp(folder).read_text())["fingerprint"] == fp and marker.exists()
    except (OSError, ValueError, KeyError):
        return False


def _install(requirements_text: str, target: Path, arch: str, name: str) -> None:
    """uv installs exactly the pinned wheels, each checked against the lock's hashes."""
    req = BUILD / f"{name}.requirements.txt"
    req.write_text(requirements_text)
    cmd = [_uv(), "pip", "install", "--quiet", "--python", sys.executable, "--target", str(target),
           "--python-platform", PLATFORMS[arch], "--python-version", LAMBDA_PYTHON,
           "--only-binary", ":all:", "--require-hashes", "--link-mode", "copy", "-r", str(req)]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=ROOT)


@contextlib.contextmanager
def _exclusive(out: Path, fp: str, marker: str, sizes: dict[str, layer_files.Size]) -> Iterator[Path | None]:
    """Serialise builds of ``out`` (the tests, the benches and ``make layer`` may run at once) and
    yield a fresh folder to build in, or None when ``out`` is up to date. The new tree replaces
    ``out`` only once complete, and its stamp is written last, so a reader never sees half a
    build and a failed build leaves no stamp (which records the ``sizes`` the build filled in)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(f"{out.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _up_to_date(out, fp, out / marker):
            yield None
            return
        tmp = out.with_name(f"{out.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            yield tmp
            _stamp(out).unlink(missing_ok=True)
            old = out.with_name(f"{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            if out.exists():
                out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
            _stamp(out).write_text(
                json.dumps({"fingerprint": fp, "sizes": {k: v.asdict() for k, v in sizes.items()}})
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def build(arch: str = "arm64", layer: str = "shared", force: bool = False) -> Path:
    """Build ``layer`` for ``arch`` (or keep it when its inputs are unchanged); returns the folder
    that contains ``python/`` (Lambda's /opt)."""
    _check(arch, layer)
    layer_files.check_interpreter(LAMBDA_PYTHON)
    out = out_dir(arch, layer)
    fp = fingerprint(arch, layer)
    if force:
        _stamp(out).unlink(missing_ok=True)
    t0 = time.perf_counter()
    sizes: dict[str, layer_files.Size] = {}
    with _exclusive(out, fp, "python", sizes) as tmp:
        if tmp is None:
            print(f"layer up to date: {out}")
            return out
        site = tmp / "python"
        site.mkdir()
        _install(layer_requirements_file(layer), site, arch, out.name)
        for src in _package_files() if layer == "shared" else ():
            dest = site / "cancelflow" / src.relative_to(PACKAGE)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        sizes["installed"] = layer_files.size(tmp)
        removed = layer_files.strip(site)
        if layer == "providers":
            removed += layer_files.drop(site, PROVIDER_UNUSED)
        sizes["stripped"] = layer_files.size(tmp)
        layer_files.precompile(site, LAYER_DDIR)
        sizes["built"] = layer_files.size(tmp)
    print(f"layer built: {out} ({layer}, {arch}, Python {LAMBDA_PYTHON}) in {time.perf_counter() - t0:.1f} s")
    print(f"  stripped {len(removed)} paths: " + ", ".join(sorted({_kind(p) for p in removed})))
    for name, s in sizes.items():
        print(layer_files.describe(name, s))
    return out


def _kind(path: Path) -> str:
    return path.suffix or path.name


def runtime_dir(arch: str = "x86_64", force: bool = False) -> Path:
    """Build (or keep) the stand-in for Lambda's /var/runtime; returns the folder to put on sys.path."""
    _check(arch)
    layer_files.check_interpreter(LAMBDA_PYTHON)
    out = BUILD / f"runtime-{arch}"
    fp = _runtime_fingerprint(arch)
    if force:
        _stamp(out).unlink(missing_ok=True)
    sizes: dict[str, layer_files.Size] = {}
    with _exclusive(out, fp, "boto3", sizes) as tmp:
        if tmp is None:
            return out
        _install(runtime_requirements_file(), tmp, arch, out.name)
        shutil.rmtree(tmp / "bin", ignore_errors=True)
        layer_files.precompile(tmp, RUNTIME_DDIR)
        sizes["built"] = layer_files.size(tmp)
    print(f"runtime stand-in built: {out} ({arch})")
    return out


def function_asset(folder: str) -> Path:
    """Build (or keep) a function's code as Lambda gets it (build/functions/<folder>, the folder
    the CDK zips): functions/<folder> without what never ships (infra.config.ASSET_EXCLUDE) and
    with bytecode made as the layer's is. /var/task is read-only, so a handler module without its
    pyc is compiled from source on every cold start (the cancel API's 700 lines: about 12 ms).
    Bytecode does not depend on the architecture: one asset serves arm64 and x86_64."""
    from infra.config import ASSET_EXCLUDE

    layer_files.check_interpreter(LAMBDA_PYTHON)
    src = FUNCTIONS_SRC / folder
    out = BUILD / "functions" / folder
    ignore = shutil.ignore_patterns(*ASSET_EXCLUDE)
    h = hashlib.sha256(_recipe() + folder.encode() + "\0".join(ASSET_EXCLUDE).encode())
    for f in sorted(p for p in src.rglob("*") if p.is_file() and not SKIP_PARTS & set(p.parts)):
        if not ignore(str(f.parent), [f.name]):
            h.update(str(f.relative_to(src)).encode() + b"\0" + f.read_bytes())
    with _exclusive(out, h.hexdigest(), ".", {}) as tmp:
        if tmp is None:
            return out
        shutil.rmtree(tmp)
        shutil.copytree(src, tmp, ignore=ignore)
        layer_files.precompile(tmp, FUNCTION_DDIR, parallel=False)  # a few files
    return out


def main(argv: list[str]) -> None:
    arch = argv[argv.index("--arch") + 1] if "--arch" in argv else "arm64"
    wanted = argv[argv.index("--layer") + 1] if "--layer" in argv else "all"
    force = "--force" in argv
    if "--runtime" in argv:
        print(runtime_dir(arch, force=force))
        return
    for layer in LAYERS if wanted == "all" else (wanted,):
        build(arch, layer, force=force)


if __name__ == "__main__":
    main(sys.argv[1:])
