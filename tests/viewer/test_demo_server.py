"""A second local server (or a second `make demo`) on a port already in use says so plainly.

The API fixture serves the viewer on a free port as `make demo` does; these tests start another
server on that same port and read what it tells the person.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import urllib.parse

import pytest

from tests.viewer.conftest import REPO

pytestmark = [pytest.mark.slow]
LIMIT_S = 60  # the check answers in well under a second; this only bounds a hang


def port_of(base: str) -> int:
    port = urllib.parse.urlsplit(base).port
    assert port is not None
    return port


def test_a_second_server_on_the_port_says_the_api_already_runs_there(api):
    # Given the API and viewer serving on a port
    port = port_of(api.base)

    # When a second server is started on the same port
    proc = subprocess.run(
        [sys.executable, "-m", "api_lambda", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
    )

    # Then it stops at once with where the running one is, not with uvicorn's raw bind error
    assert proc.returncode == 1
    assert f"already running on http://127.0.0.1:{port}/" in proc.stderr
    assert "address already in use" not in proc.stderr.lower()
    assert "==> API on" not in proc.stderr  # it never got as far as setting up a server


def test_a_second_make_demo_says_where_the_first_one_is(api):
    # Given a demo serving on a port
    make = shutil.which("make")
    assert make, "make is needed for the demo"
    port = port_of(api.base)

    # When `make demo` runs again on that port
    proc = subprocess.run(
        [make, "--no-print-directory", "demo", f"API_PORT={port}"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=LIMIT_S,
    )

    # Then it says plainly, first thing, that one is running and where, and builds and serves nothing
    output = proc.stdout
    assert proc.returncode == 0, output
    assert output.startswith("==> The API and viewer are already running"), output
    assert f"http://127.0.0.1:{port}/" in output
    assert f"make demo API_PORT={port + 1}" in output
    assert "[1/5]" not in output
    assert "Viewer:" not in output


def test_a_port_taken_by_another_program_is_named():
    # Given a port some other program listens on (it does not answer HTTP at all)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]

        # When the port is checked as `make demo` does
        proc = subprocess.run(
            [sys.executable, "-m", "api_lambda", "--port", str(port), "--check-port"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=LIMIT_S,
        )

    # Then the check fails and says the port is taken by another program
    assert proc.returncode == 1
    assert f"Port {port} on 127.0.0.1 is taken by another program" in proc.stderr
