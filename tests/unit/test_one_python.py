"""The suite runs on the Python the functions run on: the layer's bytecode, the compiled wheels
(pydantic-core, msgspec, cryptography) and the language itself are per minor version."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from infra import build_layer
from infra.functions import RUNTIME

ROOT = Path(__file__).resolve().parents[2]


def test_the_suite_runs_on_the_lambda_runtimes_python() -> None:
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == build_layer.LAMBDA_PYTHON


def test_the_functions_are_deployed_on_that_python() -> None:
    assert RUNTIME.name == f"python{build_layer.LAMBDA_PYTHON}"


def test_the_project_admits_only_that_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f"=={build_layer.LAMBDA_PYTHON}.*"


def test_the_makefile_builds_the_venv_on_that_python() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"PYTHON_VERSION := {build_layer.LAMBDA_PYTHON}\n" in makefile
