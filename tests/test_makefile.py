"""The Makefile's choice of interpreter: `make setup` builds the virtualenv the site, the tests and the benchmarks
run on, and on Debian it takes Debian's own python3.11 (built with profile-guided and link-time optimisation, as
on a Debian 12 server) over another python3.11 earlier on PATH (pyenv's shim, say)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DEBIAN_PYTHON = Path("/usr/bin/python3.11")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def venv_command(tmp_path, *variables):
    """The command `make` would run to create a virtualenv in tmp_path (a dry run), with a python3.11 of its own
    first on PATH."""
    shims = tmp_path / "shims"
    shims.mkdir()
    other = shims / "python3.11"
    other.write_text("#!/bin/sh\nexit 1\n")
    other.chmod(0o755)
    venv = tmp_path / "venv"
    result = subprocess.run(  # noqa: S603
        ["make", "-n", "-C", str(BASE_DIR), f"{venv}/bin/python", f"VENV={venv}", *variables],  # noqa: S607
        env={**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if " -m venv " in line]
    assert len(lines) == 1, result.stdout
    return lines[0], other


@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="no Debian python3.11 on this machine")
def test_the_virtualenv_is_built_on_debians_python_even_with_another_first_on_path(tmp_path):
    command, other = venv_command(tmp_path)
    assert command.startswith(f'"{DEBIAN_PYTHON}" -m venv ')
    assert str(other) not in command


def test_without_debians_python_the_virtualenv_is_built_on_the_python3_11_on_path(tmp_path):
    command, other = venv_command(tmp_path, f"DEBIAN_PYTHON={tmp_path}/no-such-python")
    assert command.startswith(f'"{other}" -m venv ')


def test_an_interpreter_named_on_the_command_line_is_the_one_used(tmp_path):
    command, _other = venv_command(tmp_path, "PYTHON=/opt/python/bin/python3.11")
    assert command.startswith('"/opt/python/bin/python3.11" -m venv ')
