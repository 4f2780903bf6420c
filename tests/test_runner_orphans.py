"""``kill -9`` of the parent of a local pool: the workers end with it (#13)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import os, sys, time
    from fusionbench.runner.executors import run_tasks

    def work(task):
        open(os.path.join(sys.argv[1], f"worker{os.getpid()}"), "w").close()
        time.sleep(120)
        return task

    if __name__ == "__main__":
        for _ in run_tasks(work, [1, 2], executor="local", jobs=2):
            pass
""")


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_with_a_killed_parent(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env)
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("worker*"))) < 2:
            assert time.monotonic() < deadline, "workers did not start"
            assert parent.poll() is None, "parent ended early"
            time.sleep(0.1)
        workers = [int(p.name[len("worker"):]) for p in tmp_path.glob("worker*")]
        assert all(_alive(w) for w in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers outlived their parent"
    finally:
        parent.kill()
        for p in tmp_path.glob("worker*"):
            try:
                os.kill(int(p.name[len("worker"):]), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
