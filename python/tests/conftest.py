# SPDX-License-Identifier: Apache-2.0
"""pytest set-up for the neurark module's tests (python/CMakeLists.txt runs them under ctest).

The module comes from PYTHONPATH (build/python); the command line the results are compared with
from NEURARK_EXE (build/neurark); the repository from NEURARK_SOURCE_DIR. Tests that run the
SystemC model are marked `systemc` (ctest runs them as their own test, labelled systemc).
"""
import os
import pathlib
import subprocess

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "systemc: runs the SystemC chip model (ctest label systemc)")


@pytest.fixture(scope="session")
def src():
    """The repository root (pathlib.Path)."""
    return pathlib.Path(os.environ.get("NEURARK_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="session")
def cli():
    """Runs the neurark command line: cli(*args) -> CompletedProcess (bytes stdout / stderr)."""
    exe = os.environ.get("NEURARK_EXE")
    if not exe:
        pytest.fail("NEURARK_EXE is not set: run the tests through ctest, or set it to build/neurark")

    def run(*args, check=True):
        p = subprocess.run([exe, *map(os.fsencode, args)], capture_output=True)
        if check and p.returncode != 0:
            pytest.fail(f"neurark {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
        return p

    return run
