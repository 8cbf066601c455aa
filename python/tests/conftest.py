"""Paths the tests need, from the environment ctest sets (see tests/api/CMakeLists.txt)."""
import os
import pathlib

import pytest


def _path(variable):
    value = os.environ.get(variable)
    if not value:
        pytest.exit(f"{variable} is not set: run these tests through ctest (-R api.python)", 2)
    return pathlib.Path(value)


@pytest.fixture(scope="session")
def hetrun_cli():
    return _path("HETRUN_CLI")


@pytest.fixture(scope="session")
def source_dir():
    return _path("HETRUN_SOURCE_DIR")


@pytest.fixture(scope="session")
def tiny_cnn(source_dir):
    return source_dir / "models" / "tiny_cnn.onnx"


@pytest.fixture(scope="session")
def shared_models_dir():
    return pathlib.Path(os.environ.get("HETRUN_SHARED_DIR", "/nonexistent")) / "models"
