"""Without PyTorch (simulated: the import is blocked) metrics, runner and reports work, and asking for a
network, a torch backend or training fails with one line naming the extra to install."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fusionbench" / "datasets" / "sample" / "tno"
BLOCK = textwrap.dedent('''
    import sys, importlib.abc
    class _Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "safetensors", "torchvision"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, _Block())
''')


def _run(tmp_path, body, *args):
    script = tmp_path / "run_without_torch.py"
    script.write_text(BLOCK + "if __name__ == '__main__':\n" + textwrap.indent(textwrap.dedent(body), "    "))
    env_prefix = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    import os
    return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, **env_prefix), timeout=600)


def test_metrics_without_torch(tmp_path):
    out = _run(tmp_path, f'''
        import fusionbench as fb
        r = fb.compute("{SAMPLE}/ir/08.png", "{SAMPLE}/ir/08.png", "{SAMPLE}/vi/08.png", backend="numpy",
                       metrics=["EN", "SD"])
        assert "torch" not in sys.modules
        print("EN", round(r["EN"], 4))
    ''')
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("EN ")


CLI = "from fusionbench.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def test_runner_and_reports_without_torch(tmp_path):
    store = tmp_path / "s.sqlite"
    out = _run(tmp_path, CLI, "evaluate", "--method", "average", "--dataset", "tno42", "--backend", "numpy",
               "--metrics", "EN,SD", "--store", str(store), "--out", str(tmp_path / "r.csv"), "--jobs", "1")
    assert out.returncode == 0, out.stderr
    out = _run(tmp_path, CLI, "table", str(tmp_path / "r.csv"))
    assert out.returncode == 0, out.stderr
    assert "average" in out.stdout


@pytest.mark.parametrize("args,what", [
    (["evaluate", "--method", "sspfusion", "--dataset", "tno42", "--metrics", "EN"], "network 'sspfusion'"),
    (["fuse", "--method", "msfe", "--ir", f"{SAMPLE}/ir/08.png", "--vi", f"{SAMPLE}/vi/08.png",
      "--out", "f.png"], "network 'msfe'"),
    (["score", "--fused", f"{SAMPLE}/ir/08.png", "--ir", f"{SAMPLE}/ir/08.png", "--vi", f"{SAMPLE}/vi/08.png",
      "--backend", "torch"], "backend 'torch'"),
    (["train", "--method", "s2fnet", "--steps", "1", "--out", "run"], "fusionbench train"),
])
def test_torch_features_say_what_to_install(tmp_path, args, what):
    out = _run(tmp_path, CLI, *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert what in out.stderr and 'pip install "ivif-fusionbench[networks]"' in out.stderr
