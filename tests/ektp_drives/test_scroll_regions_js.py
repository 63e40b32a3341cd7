"""Runs the unit tests of static/js/scroll_regions.js with Node (``node --test``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TEST_FILE = Path(__file__).resolve().parent.parent / "js" / "scroll_regions.test.js"


def test_scroll_regions_module():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    result = subprocess.run([node, "--test", str(TEST_FILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
