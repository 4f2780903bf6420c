"""Published numbers of the four reference papers, and published-vs-reproduced tables.

The papers' tables ship with the package (``fusionbench/report/published/*.csv``, a copy of
``shared/paper_tables`` with its README; also under ``leaderboards/published/``). Each value is
matched to fusionbench's mean for the same method and dataset and shown with the difference and
the metric convention that fits the paper best (``specs/METRICS.md`` section 8).
"""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd

from fusionbench.errors import InputError
from fusionbench.report.results import as_long, summarise

PAPERS = {"s2f": "S2F-Net", "smfnet": "SMFNet", "sspfusion": "SSPFusion", "msfe": "MSFE"}
NETWORK_OF = {"s2f": "s2fnet", "smfnet": "smfnet", "sspfusion": "sspfusion", "msfe": "msfe"}

# (paper, metric) -> the profile/option that fits the paper's numbers (METRICS.md section 8)
CONVENTIONS = {
    ("smfnet", "*"): "cddfuse (CDDFuse evaluator: MI in nats, VIF/SSIM/SCD sums, CC mean)",
    ("smfnet", "AG"): "cddfuse + ag_half=false (SMFNet's AG1 has no /2: sqrt(2) larger)",
    ("smfnet", "SSIM"): "cddfuse (ssim_data_range=2) fits the published values; the code passes "
                        "255 (ssim_data_range=255); undecided",
    ("sspfusion", "*"): "cddfuse (CDDFuse evaluator)",
    ("sspfusion", "MI"): "cddfuse + mi_base=2 likely (5.79 is high for nats; Tang-style bits); "
                         "undecided",
    ("sspfusion", "AG"): "cddfuse (ag_half=true; AG/SF = 0.32)",
    ("s2f", "*"): "cddfuse (CC mean / SCD sum fit the CDDFuse evaluator)",
    ("s2f", "AG"): "cddfuse or tang2023 (MN vs (M-1)(N-1) < 0.5 %); ag_half undecided (sqrt(2))",
    ("msfe", "*"): "cddfuse assumed (evaluation code unknown)",
    ("msfe", "SSIM"): "averaged SSIM (ssim_combine=mean); values 0.2-0.55, code unknown",
}


def convention(paper: str, metric: str) -> str:
    """The profile / option note that fits ``paper``'s ``metric`` column."""
    return CONVENTIONS.get((paper, metric), CONVENTIONS.get((paper, "*"), "cddfuse"))


def published_dir():
    """Folder of the bundled paper tables (works from a source tree and after ``pip install``)."""
    return resources.files("fusionbench.report") / "published"


def load_published(*, papers=None, include_ambiguous=False) -> pd.DataFrame:
    """All bundled paper tables in one long DataFrame.

    Adds ``source`` (file stem), ``paper_key`` (s2f / smfnet / sspfusion / msfe) and keeps the
    printed value string in ``value_str``. MSFE Table 1 (ambiguous columns, see its README
    caveat 1) is left out unless ``include_ambiguous``.
    """
    frames = []
    for entry in sorted(published_dir().iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".csv"):
            continue
        with entry.open("r", encoding="utf-8") as fh:
            df = pd.read_csv(fh, dtype=str, keep_default_na=False)
        df["source"] = entry.name[:-4]
        df["paper_key"] = entry.name.split("_")[0]
        frames.append(df)
    if not frames:
        raise InputError("published tables", f"none found in {published_dir()}")
    df = pd.concat(frames, ignore_index=True)
    df["value_str"] = df["value"]
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    if not include_ambiguous:
        df = df[~df["note"].str.contains("AMBIGUOUS", na=False)]
    if papers is not None:
        df = df[df["paper_key"].isin(list(papers))]
    return df.reset_index(drop=True)


def dataset_key(name: str) -> str:
    """Loose dataset identity: ``tno42``, ``TNO``, ``TNO (25 pairs)`` -> ``tno``."""
    s = re.sub(r"\(.*?\)", "", str(name).lower())
    return re.sub(r"[^a-z]", "", s)


def method_key(name: str) -> str:
    """Loose method identity: ``RFN-Nest`` == ``RFN_Nest`` == ``rfnnest``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def compare(results, *, published=None, papers=None, datasets=None, aliases=None) -> pd.DataFrame:
    """Published values beside fusionbench's means for the same method, dataset and metric.

    Parameters
    ----------
    results : DataFrame or path
        fusionbench per-image results (long format); several profiles may be present, each is
        compared and ``best_fit`` marks the profile closest to the published value.
    published : DataFrame, optional
        Paper values (default: :func:`load_published`).
    datasets : dict, optional
        fusionbench dataset -> paper dataset name, when the loose name match is not enough.
    aliases : dict, optional
        fusionbench method -> paper method name. A paper's ``Ours`` matches the fusionbench
        network of that paper (``smfnet``, ``sspfusion``, ``s2fnet``, ``msfe``).

    Returns
    -------
    DataFrame
        One row per match: paper, table, dataset, paper_dataset, method, metric, profile,
        published, reproduced, diff (reproduced - published), rel_diff, n, best_fit, fits.
    """
    pub = load_published(papers=papers) if published is None else published.copy()
    pub = pub[pub["value"].notna()]
    s = summarise(as_long(results))
    aliases = {method_key(k): method_key(v) for k, v in (aliases or {}).items()}
    dsmap = {dataset_key(k): dataset_key(v) for k, v in (datasets or {}).items()}
    s["_m"] = [aliases.get(method_key(m), method_key(m)) for m in s["method"]]
    s["_d"] = [dsmap.get(dataset_key(d), dataset_key(d)) for d in s["dataset"]]
    pub = pub.assign(_d=[dataset_key(d) for d in pub["dataset"]])
    pub["_m"] = [method_key(NETWORK_OF[p]) if m == "Ours" else method_key(m)
                 for p, m in zip(pub["paper_key"], pub["method"])]
    merged = s.merge(pub, on=["_d", "_m", "metric"], suffixes=("", "_paper"))
    if merged.empty:
        return pd.DataFrame(columns=["paper", "table", "dataset", "paper_dataset", "method",
                                     "metric", "profile", "published", "reproduced", "diff",
                                     "rel_diff", "n", "best_fit", "fits"])
    out = pd.DataFrame({
        "paper": [PAPERS.get(k, k) for k in merged["paper_key"]],
        "table": merged["table"], "dataset": merged["dataset"],
        "paper_dataset": merged["dataset_paper"], "method": merged["method"],
        "paper_method": merged["method_paper"], "metric": merged["metric"],
        "profile": merged["profile"], "published": merged["value"],
        "published_str": merged["value_str"], "reproduced": merged["mean"], "n": merged["n"],
        "fits": [convention(p, m) for p, m in zip(merged["paper_key"], merged["metric"])],
    })
    out["diff"] = out["reproduced"] - out["published"]
    out["rel_diff"] = out["diff"] / out["published"].abs().replace(0, np.nan)
    key = ["paper", "table", "dataset", "method", "metric"]
    err = out["rel_diff"].abs().fillna(np.inf)
    groups = [out[k] for k in key]
    several = out.groupby(key)["profile"].transform("nunique") > 1
    out["best_fit"] = several & (err == err.groupby(groups).transform("min"))
    return out.reset_index(drop=True)


def render_comparison(cmp: pd.DataFrame, *, fmt="markdown", precision=4) -> str:
    """Render :func:`compare`'s output: one row per (paper, method, metric, profile)."""
    if cmp.empty:
        return "No method/dataset/metric in these results appears in the published tables.\n"
    cols = ["Paper", "Dataset", "Method", "Metric", "Profile", "Published", "fusionbench",
            "Δ", "Δ %", "Convention that fits the paper"]
    rows = []
    for r in cmp.sort_values(["paper", "table", "dataset", "method", "metric"]).itertuples():
        mark = " ✓" if r.best_fit else ""
        rows.append([f"{r.paper} {r.table}", f"{r.dataset} / {r.paper_dataset}", r.method,
                     r.metric, f"{r.profile}{mark}", r.published_str,
                     f"{r.reproduced:.{precision}f}", f"{r.diff:+.{precision}f}",
                     "–" if not np.isfinite(r.rel_diff) else f"{100 * r.rel_diff:+.1f}",
                     r.fits])
    if fmt == "csv":
        return cmp.to_csv(index=False)
    if fmt in ("latex", "tex"):
        from fusionbench.report.tables import latex_escape
        lines = [r"\begin{tabular}{lllllrrrrl}", r"\toprule",
                 " & ".join(latex_escape(c).replace("Δ", r"$\Delta$") for c in cols) + r" \\",
                 r"\midrule"]
        lines += [" & ".join(latex_escape(x).replace("Δ", r"$\Delta$").replace("✓", r"\checkmark")
                             .replace("–", "--") for x in r) + r" \\" for r in rows]
        return "\n".join(lines + [r"\bottomrule", r"\end{tabular}"]) + "\n"
    esc = [[str(x).replace("|", r"\|") for x in r] for r in rows]
    lines = ["| " + " | ".join(cols) + " |", "|" + ":--|" * 5 + "--:|" * 4 + ":--|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    note = ("\nΔ = fusionbench − published. Test sets differ between papers and fusionbench's "
            "data (e.g. TNO-25 vs TNO-42), and the papers ran the comparison methods "
            "themselves, so differences mix subset, weights and metric conventions.")
    if cmp["profile"].nunique() > 1:
        note += " ✓ marks the profile closest to the published value."
    return "\n".join(lines) + "\n" + note + "\n"
