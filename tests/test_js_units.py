"""Runs the JavaScript unit tests (``node --test tests/js``) as part of the suite."""

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).parent / "js"


def test_javascript_units():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [node, "--test", *sorted(str(p) for p in JS_TESTS.glob("*.test.js"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
