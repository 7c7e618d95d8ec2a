"""A twin of its own for the test session: moto and Trino on free loopback ports, state in a tmp dir.

The servers start once per session (about a minute) and stop at its end, whatever happened.
Builds go through `python -m twin build`, the command `make twin-build` runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from twin_helpers import Twin

from tests.conftest import free_port
from twin.servers import down, up
from twin.settings import TwinSettings


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    env = {
        "TWIN_STATE_DIR": str(tmp_path_factory.mktemp("twin_state")),
        "TWIN_TRINO_PORT": str(free_port()),
        "TWIN_S3_PORT": str(free_port()),
        "TWIN_HEAP_GB": "2",
    }
    settings = TwinSettings.from_env({**os.environ, **env})
    try:
        up(settings)
        yield Twin(env=env, settings=settings)
    finally:
        down(settings)
