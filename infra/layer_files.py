"""What the layer build does to an installed tree: strip what Lambda never loads, precompile the
rest for the runtime's Python, and measure it (used by infra/build_layer.py and its tests)."""

from __future__ import annotations

import compileall
import io
import os
import py_compile
import shutil
import struct
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# Test suites that some third-party packages ship inside themselves: never imported by their
# runtime code. Only removed one level or more inside a package (a top-level package could be
# called "test"), and never inside ours (cancelflow has no tests, and is left exactly as written).
TEST_DIRS = {"tests", "test"}
OWN_PACKAGES = {"cancelflow"}
# Type stubs: read by type checkers, never by the import system.
STUB_SUFFIXES = {".pyi"}
# dist-info files that only the installer reads. RECORD lists every installed file with its hash,
# so after stripping and precompiling it is false; importlib.metadata reads it only for files(),
# which nothing in the layer calls. METADATA, entry_points.txt and the licences stay: pydantic reads
# entry points on every schema build (plugins) and importlib.metadata.version() reads METADATA.
INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED"}
# Powertools' offline Swagger UI (1.7 MB of JavaScript and CSS), read only by
# APIGatewayRestResolver.enable_swagger(), which cancelflow never calls (tests/infra/test_layer_build
# checks that); the OpenAPI schema itself is generated in Python and is unaffected.
UNUSED_ASSETS = ("aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.js",
                 "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.css")  # fmt: skip
# Console scripts (bin/ of a --target install): nothing runs them in Lambda, and their shebang
# names this machine's interpreter.
SCRIPT_DIRS = {"bin"}
# The empty file uv locks a --target folder with while it installs into it.
INSTALL_LOCKS = {".lock"}


# ELF e_machine of each architecture's shared libraries (the tests check every extension's).
ELF_MACHINE = {"arm64": 183, "x86_64": 62}
# Shared libraries keep their symbol tables: stripping them needs a strip tool for the target
# architecture, which nothing here installs, and a layer whose content depends on whether some
# tool happens to be on the machine is not reproducible from the lock.


def check_interpreter(version: str) -> None:
    """Bytecode is only valid for the minor version that wrote it: refuse to build with another."""
    have = "{}.{}".format(*sys.version_info[:2])
    if have != version:
        raise SystemExit(
            f"the layer's bytecode must be written by Python {version} (the Lambda runtime's); this is "
            f"Python {have} ({sys.executable}); run it with the project's venv: "
            ".venv/bin/python -m infra.build_layer"
        )


def strippable(site: Path) -> Iterator[Path]:
    """Every file or folder under ``site`` (a --target install) that Lambda never loads."""
    for top in sorted(site.iterdir()):
        if (top.is_dir() and top.name in SCRIPT_DIRS) or (top.is_file() and top.name in INSTALL_LOCKS):
            yield top
    for pattern in UNUSED_ASSETS:
        yield from sorted(site.glob(pattern))
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site)
        if rel.parts[0] in OWN_PACKAGES or rel.parts[0] in SCRIPT_DIRS:
            continue
        if path.is_dir():
            if path.name == "__pycache__" or (path.name in TEST_DIRS and len(rel.parts) > 1):
                yield path  # __pycache__: whatever a wheel shipped; ours is written afterwards
        elif path.suffix in STUB_SUFFIXES or (
            path.parent.name.endswith(".dist-info") and path.name in INSTALLER_FILES
        ):
            yield path


def strip(site: Path) -> list[Path]:
    """Remove :func:`strippable` paths; returns them (relative to ``site``)."""
    removed = []
    for path in list(strippable(site)):
        if not path.exists():  # inside a folder removed earlier
            continue
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        removed.append(path.relative_to(site))
    return removed


def drop(site: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Remove what matches ``patterns`` (globs relative to ``site``): a layer's packages that the
    lock requires but nothing loads at run time. Returns them (relative to ``site``); a pattern
    that matches nothing is an error, so a renamed package cannot silently stay in."""
    removed = []
    for pattern in patterns:
        found = sorted(site.glob(pattern))
        if not found:
            raise SystemExit(f"nothing under {site} matches {pattern!r}: the layer's drop list is stale")
        for path in found:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(path.relative_to(site))
    return removed


def elf_machine(path: Path) -> int:
    """The e_machine of a 64-bit little-endian ELF file (the architecture it was built for)."""
    data = path.read_bytes()[:0x14]
    if data[:6] != b"\x7fELF\x02\x01":
        raise ValueError(f"{path} is not a 64-bit little-endian ELF file")
    (machine,) = struct.unpack_from("<H", data, 0x12)
    return int(machine)


def precompile(site: Path, ddir: str, *, parallel: bool = True) -> None:
    """Write ``__pycache__/<name>.cpython-3XY.pyc`` beside every .py of ``site``.

    Unchecked hash-based pycs (PEP 552): Lambda unzips layers with no useful mtimes and /opt is
    read-only, so timestamp pycs could be judged stale and never rewritten; unchecked ones are used
    as they are, without even hashing the source. Optimisation 0 keeps asserts and docstrings
    (docstrings become the OpenAPI summaries). ``ddir`` is where the tree sits on Lambda, so
    tracebacks and code objects name /opt/python/... rather than this machine's build folder.
    ``parallel=False`` for a few files: no process pool (which re-imports an unguarded caller's
    ``__main__``).
    """
    ok = compileall.compile_dir(
        site,
        ddir=ddir,
        quiet=1,
        force=True,
        optimize=0,
        workers=0 if parallel and (os.cpu_count() or 1) > 1 else 1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not ok:
        raise SystemExit(f"compileall failed under {site}")


@dataclass(frozen=True)
class Size:
    files: int
    py: int
    pyc: int
    unzipped: int  # bytes on disk (file contents)
    zipped: int  # bytes of the deflated zip of the folder, as the CDK uploads an asset (zlib's
    # default level: level 9 is 0.4 % smaller here and takes 2.5 times as long)

    def asdict(self) -> dict[str, int]:
        return asdict(self)


def size(folder: Path) -> Size:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            zf.write(path, path.relative_to(folder))
    return Size(
        files=len(files),
        py=sum(p.suffix == ".py" for p in files),
        pyc=sum(p.suffix == ".pyc" for p in files),
        unzipped=sum(p.stat().st_size for p in files),
        zipped=len(buf.getvalue()),
    )


def describe(name: str, s: Size) -> str:
    return (
        f"  {name:<22} {s.unzipped / 1e6:>7.2f} MB unzipped  {s.zipped / 1e6:>6.2f} MB zipped  "
        f"{s.files:>5} files ({s.py} .py, {s.pyc} .pyc)"
    )
