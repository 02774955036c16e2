"""Build the shared Lambda layer without Docker: ``python -m infra.build_layer`` (``make layer``).

pip downloads the runtime dependencies of pyproject.toml as wheels for the Lambda runtime's
Python on arm64 (pydantic-core is compiled, so never this machine's interpreter) into
build/layer/python, then copies the cancelflow package beside them. boto3/botocore are left out:
the Lambda runtime has them. Skipped when nothing that goes into the layer changed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "build" / "layer"
STAMP = ROOT / "build" / "layer.stamp"
STUB_DIR = Path(__file__).resolve().parent / "stub_layer"
PACKAGE = ROOT / "layers" / "cancelflow"

# The Lambda runtime's Python: infra.functions.RUNTIME is derived from it.
LAMBDA_PYTHON = "3.14"
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
# Provided by the Lambda Python runtime; shipping them would only add megabytes.
PROVIDED_BY_RUNTIME = {"boto3", "botocore", "s3transfer"}
SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}


def requirements() -> list[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [d for d in deps if _name(d) not in PROVIDED_BY_RUNTIME]


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _package_files() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*") if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"
    )


def fingerprint() -> str:
    h = hashlib.sha256()
    h.update("\n".join([LAMBDA_PYTHON, *PLATFORMS, *requirements()]).encode())
    for f in _package_files():
        h.update(str(f.relative_to(PACKAGE)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def build(force: bool = False) -> Path:
    """Build build/layer (or keep it when its inputs are unchanged); returns the folder."""
    stamp = fingerprint()
    if not force and STAMP.exists() and STAMP.read_text() == stamp and (OUT_DIR / "python").is_dir():
        print(f"layer up to date: {OUT_DIR}")
        return OUT_DIR
    site = OUT_DIR / "python"
    shutil.rmtree(OUT_DIR, ignore_errors=True)
    site.mkdir(parents=True)
    platform_args = [arg for p in PLATFORMS for arg in ("--platform", p)]
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(site), "--only-binary=:all:", *platform_args,
        "--python-version", LAMBDA_PYTHON, "--implementation", "cp", "--no-compile",
        *requirements(),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    for name in PROVIDED_BY_RUNTIME:  # in case a dependency pulled them in
        for path in site.glob(f"{name}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: nothing runs them in Lambda
    for src in _package_files():
        dest = site / "cancelflow" / src.relative_to(PACKAGE)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    STAMP.write_text(stamp)
    print(f"layer built: {OUT_DIR}")
    return OUT_DIR


if __name__ == "__main__":
    build(force="--force" in sys.argv)
