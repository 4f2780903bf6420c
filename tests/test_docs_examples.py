"""The documentation's examples run as written: every ```bash / ```python block of the pages below that
is preceded by ``<!-- run -->`` (or ``<!-- run: torch -->``, skipped without PyTorch) is executed, in page
order, in one empty folder per page, on the bundled sample only (no data root, no ``../shared``, a
private result store and data folder). bash blocks run with ``bash -euo pipefail`` pinned to one CPU
(so ``evaluate`` uses one worker); python blocks are ``exec``'d in one namespace per page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = ("docs/quickstart.md", "docs/workflows.md")
MARK = re.compile(r"<!--\s*run(?::\s*(?P<needs>[\w ,-]+))?\s*-->\s*\n```(?P<lang>bash|python)\n(?P<code>.*?)\n```",
                  re.S)


def runnable_blocks(text: str) -> list:
    """``[(lang, code, needs, line)]`` of the marked blocks of a Markdown page, in order."""
    return [(m["lang"], m["code"], tuple(n.strip() for n in (m["needs"] or "").split(",") if n.strip()),
             text.count("\n", 0, m.start("code")) + 1) for m in MARK.finditer(text)]


def test_marker_parsing():
    page = ("x\n<!-- run -->\n```bash\necho a\n```\n\n```bash\nnot run\n```\n"
            "<!-- run: torch -->\n```python\nprint(1)\n```\n")
    assert runnable_blocks(page) == [("bash", "echo a", (), 4), ("python", "print(1)", ("torch",), 12)]


def test_pages_have_examples_of_every_workflow():
    blocks = {p: runnable_blocks((REPO / p).read_text(encoding="utf-8")) for p in PAGES}
    code = "\n".join(c for bl in blocks.values() for _, c, _, _ in bl)
    for needle in ("--fused-root", "--exclude", "--export", ".xlsx", ".mat", "--significance", "--stats",
                   "--friedman", "--cd-diagram", "plot cd", "FusionMetric", "losses.", "--report-cost",
                   "card cost", "fusionbench score", "fb.compute"):
        assert needle in code, f"no runnable example uses {needle}"
    assert all(any(lang == "python" for lang, *_ in bl) and any(lang == "bash" for lang, *_ in bl)
               for bl in blocks.values())


def _one_cpu():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, tmp_path, monkeypatch):
    from fusionbench.backends._numba_env import CACHE_DIR  # keep the compiled kernels where they are

    blocks = runnable_blocks((REPO / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no <!-- run --> block"
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("FUSIONBENCH_DATA", "FUSIONBENCH_SHARED")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"),
               NUMBA_CACHE_DIR=CACHE_DIR, FUSIONBENCH_NO_PROGRESS="1", OMP_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    for key in ("FUSIONBENCH_DATA", "FUSIONBENCH_SHARED"):
        monkeypatch.delenv(key, raising=False)
    for key in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.chdir(work)
    namespace = {"__name__": "__docs_example__"}
    for lang, code, needs, line in blocks:
        if "torch" in needs:
            pytest.importorskip("torch", reason=f"{page}:{line} needs PyTorch")
        where = f"{page}, block at line {line}"
        if lang == "bash":
            out = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=work, env=env, text=True,
                                 capture_output=True, timeout=600, preexec_fn=_one_cpu)
            assert out.returncode == 0, f"{where} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
            assert "Traceback" not in out.stderr, f"{where}:\n{out.stderr[-3000:]}"
        else:
            cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
            try:
                _one_cpu()  # the runner's default worker count follows the CPUs this process may use
                exec(compile(code, where, "exec"), namespace)  # noqa: S102 - the documentation's own example
            finally:
                if cpus is not None:
                    os.sched_setaffinity(0, cpus)
