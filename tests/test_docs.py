"""The documentation site: generated pages cover the code, and `mkdocs build --strict` passes (as in CI)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mkdocs_hooks", REPO / "tools" / "mkdocs_hooks.py")
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)


def test_generated_pages_cover_the_code():
    from fusionbench.cli import SUBCOMMANDS
    from fusionbench.methods.networks import NETWORKS
    from fusionbench.metrics import CARDS, PROFILES

    cards = hooks.page_metric_cards()
    assert all(f"\n## {name}\n" in cards for name in CARDS)
    profiles = hooks.page_profiles()
    assert all(f"\n## {name}\n" in profiles for name in PROFILES)
    assert all(f"`{k}`" in profiles for p in PROFILES.values() for k in p.options)
    cli = hooks.page_cli()
    assert all(f"## `fusionbench {name}`" in cli for name in SUBCOMMANDS)
    assert "## `fusionbench datasets fetch`" in cli and "--allow-unverified" in cli
    from fusionbench.metrics.registry import REGISTRY
    budgets = hooks.page_backend_budgets()
    assert all(f"\n| {name} |" in budgets for name in REGISTRY) and "| EN | 1e-09 | 1e-09 |" in budgets
    networks = hooks.page_networks()
    listed = {md.stem.split("__")[0].split("@")[0] for md, _ in hooks.network_cards()}
    assert set(NETWORKS) <= listed and all(f"]({md.stem}.md)" in networks for md, _ in hooks.network_cards())


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs not installed (pip install -e '.[docs]')")
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    for page in ("index.html", "spec/index.html", "parity/index.html", "reference/cli/index.html",
                 "reference/metric-cards/index.html", "networks/index.html", "adding-a-metric/index.html",
                 "quickstart/index.html", "workflows/index.html", "runner/index.html", "backends/index.html",
                 "reference/backend-budgets/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
