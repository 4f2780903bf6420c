"""The fast backends keep freed heap memory (glibc); the switch can be turned off."""

import platform
import subprocess
import sys

import pytest

glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="glibc mallopt only")

CODE = ("from fusionbench.backends._heap import keep_freed_memory as k, keep_large_blocks as b; "
        "print(k(), k(), b(), b())")


@glibc
@pytest.mark.parametrize("env, expected", [("1", "True True True True"), ("0", "False False False False")])
def test_keep_freed_memory_switch(env, expected, monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_KEEP_HEAP", env)
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.split() == expected.split()
