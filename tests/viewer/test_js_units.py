"""The viewer's JavaScript unit tests (URL state, presets, scope rules) run with `node --test`.

They need no browser and no API, so they run first and fail fast when the pure logic breaks.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

VIEWER = Path(__file__).resolve().parents[2] / "viewer"


def test_viewer_unit_tests_pass():
    # Given Node.js (the viewer's build needs it too)
    node = shutil.which("node")
    assert node, "node is not installed: the viewer needs Node.js 18+"

    # When the viewer's own unit tests run
    proc = subprocess.run([node, "--test", "tests/"], cwd=VIEWER, capture_output=True, text=True)

    # Then every one of them passes
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout
