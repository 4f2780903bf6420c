"""Under FUSIONBENCH_REQUIRE_SHARED=1 (set by .ci/run) a skip for missing shared data fails the run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
TESTS = '''import pytest
def test_needs_data():
    pytest.skip("shared data not available")
def test_needs_gpu():
    pytest.skip("no CUDA device: not available here")
'''


@pytest.mark.parametrize("require, code", [("1", 1), ("0", 0)])
def test_missing_shared_data_fails_only_when_required(tmp_path, require, code):
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_x.py").write_text(TESTS)
    env = dict(os.environ, FUSIONBENCH_REQUIRE_SHARED=require)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == code, out.stdout
    if require == "1":
        assert "1 failed, 1 skipped" in out.stdout
