"""Build the shared Lambda layer without Docker: ``python -m infra.build_layer`` (``make layer``).

The layer is what Lambda mounts at /opt: ``python/`` holds the runtime dependencies at exactly
the versions of uv.lock (exported with their hashes and installed with hashes required, as
manylinux wheels for the Lambda runtime's Python and architecture, never built here), the
cancelflow package beside them, minus what Lambda never loads (infra/layer_files.py), and
bytecode for every .py written by that same Python (unchecked hash-based pycs, so nothing is
compiled at a cold start). Skipped when nothing that goes into it changed.

Two entry points, both returning a folder and both skipped when up to date:

- ``build(arch="arm64") -> Path``: the folder that contains ``python/``, as Lambda's /opt.
  arm64 (build/layer) is what the stack deploys; x86_64 (build/layer-x86_64) is this machine's,
  for the import tests and the cold-start bench.
- ``runtime_dir(arch="x86_64") -> Path``: a stand-in for Lambda's /var/runtime (put the folder
  itself on sys.path): boto3, botocore, s3transfer and their dependencies at the lock's versions,
  precompiled the same way (the runtime ships bytecode too). Never deployed.

``python -m infra.build_layer [--arch x86_64] [--runtime] [--force]``.
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
SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
# Where each tree sits on Lambda: compiled into code objects (tracebacks show these paths).
LAYER_DDIR = "/opt/python"
RUNTIME_DDIR = "/var/runtime"


def _check_arch(arch: str) -> None:
    if arch not in PLATFORMS:
        raise ValueError(f"unknown architecture {arch!r}: one of {sorted(PLATFORMS)}")


def out_dir(arch: str = "arm64") -> Path:
    """The layer folder for ``arch`` (the one holding ``python/``). arm64 keeps build/layer, the
    folder app.py deploys and the docs name."""
    _check_arch(arch)
    return BUILD / ("layer" if arch == "arm64" else f"layer-{arch}")


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


def layer_requirements_file() -> str:
    return _export(tuple(p for p in RUNTIME_PACKAGES if p not in ALSO_IN_LAYER))


def runtime_requirements_file() -> str:
    """Only the runtime's packages: everything else the export names is left out."""
    others = {_name(r) for r in _pins(_export(()))} - set(RUNTIME_PACKAGES)
    return _export(tuple(sorted(others)))


def _pins(text: str) -> list[str]:
    return [line.split(" ")[0] for line in text.splitlines() if line and not line[0].isspace()]


def requirements() -> list[str]:
    """``name==version`` of every package the layer installs (from uv.lock)."""
    return _pins(layer_requirements_file())


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _package_files() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*") if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"
    )


def _recipe() -> bytes:
    """How the tree is made: the build's own code (a changed strip or compile rule rebuilds), the
    strip tools found and the bytecode format of the interpreter that compiles."""
    tools = " ".join(str(layer_files.strip_tool(a)) for a in sorted(PLATFORMS))
    code = Path(__file__).read_bytes() + Path(layer_files.__file__).read_bytes()
    return code + tools.encode() + importlib.util.MAGIC_NUMBER


def fingerprint(arch: str = "arm64") -> str:
    """What goes into the layer: the lock's pins and hashes of every package it installs (the part
    of uv.lock that matters here: a dev-only change does not rebuild), the architecture, the
    recipe and the cancelflow sources."""
    h = hashlib.sha256()
    h.update("\n".join(["layer", arch, LAMBDA_PYTHON, PLATFORMS[arch], layer_requirements_file()]).encode())
    h.update(_recipe())
    for f in _package_files():
        h.update(str(f.relative_to(PACKAGE)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _runtime_fingerprint(arch: str) -> str:
    text = "\n".join(["runtime", arch, LAMBDA_PYTHON, PLATFORMS[arch], runtime_requirements_file()])
    return hashlib.sha256(text.encode() + _recipe()).hexdigest()


def _stamp(folder: Path) -> Path:
    return folder.with_name(folder.name + ".stamp")


def report(arch: str = "arm64") -> dict[str, dict[str, int]]:
    """Sizes recorded by the last build of ``arch`` ({"installed"|"stripped"|"built": Size})."""
    stamp = _stamp(out_dir(arch))
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
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / f"{out.name}.lock", "w") as lock:
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


def build(arch: str = "arm64", force: bool = False) -> Path:
    """Build the layer for ``arch`` (or keep it when its inputs are unchanged); returns the folder
    that contains ``python/`` (Lambda's /opt)."""
    _check_arch(arch)
    layer_files.check_interpreter(LAMBDA_PYTHON)
    out = out_dir(arch)
    fp = fingerprint(arch)
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
        _install(layer_requirements_file(), site, arch, out.name)
        for src in _package_files():
            dest = site / "cancelflow" / src.relative_to(PACKAGE)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        sizes["installed"] = layer_files.size(tmp)
        removed = layer_files.strip(site)
        removed += layer_files.strip_symbols(site, arch)
        sizes["stripped"] = layer_files.size(tmp)
        layer_files.precompile(site, LAYER_DDIR)
        sizes["built"] = layer_files.size(tmp)
    print(f"layer built: {out} ({arch}, Python {LAMBDA_PYTHON}) in {time.perf_counter() - t0:.1f} s")
    print(f"  stripped {len(removed)} paths: " + ", ".join(sorted({_kind(p) for p in removed})))
    for name, s in sizes.items():
        print(layer_files.describe(name, s))
    return out


def _kind(path: Path) -> str:
    return "symbols of .so" if ".so" in path.suffixes else path.suffix or path.name


def runtime_dir(arch: str = "x86_64", force: bool = False) -> Path:
    """Build (or keep) the stand-in for Lambda's /var/runtime; returns the folder to put on sys.path."""
    _check_arch(arch)
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


def main(argv: list[str]) -> None:
    arch = argv[argv.index("--arch") + 1] if "--arch" in argv else "arm64"
    force = "--force" in argv
    if "--runtime" in argv:
        print(runtime_dir(arch, force=force))
    else:
        build(arch, force=force)


if __name__ == "__main__":
    main(sys.argv[1:])
