"""Ablation grids: variants as rows, module switches as ✓/✗ columns, then metric columns.

The layout follows SSPFusion Table 5 / SMFNet Table 5. Module switches per ablation id come
from ``specs/NETWORKS.md`` section 8 (ids as in the ``ablation_id`` column of the paper tables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusionbench.errors import InputError
from fusionbench.methods.base import split_seed
from fusionbench.report.results import as_long, summarise
from fusionbench.report.tables import BEST, SECOND, _fmt, higher_is_better, latex_escape, rank_marks

# network -> (module columns with their full-model value, {ablation id: {module: value}})
SWITCHES = {
    "s2fnet": (
        {"shared branch": True, "CAGFM": True, "MLFM": True, "modality classifier": True,
         "aux. decoder": True},
        {"s2f_full": {}, "s2f_no_shared_branch": {"shared branch": False},
         "s2f_no_cagfm": {"CAGFM": False}, "s2f_no_mlfm": {"MLFM": False},
         "s2f_no_modality_classifier": {"modality classifier": False},
         "s2f_no_aux_decoder": {"aux. decoder": False},
         "s2f_no_ssl": {"modality classifier": False, "aux. decoder": False}}),
    "smfnet": (
        {"cc_G in stage I": False, "two-stage": True, "int.+sem. loss": True,
         "res. transformer": True, "CAI": True, "GNN": True, "swapped fusion layers": False},
        {"smf_full": {}, "smf_ccG_both_stages": {"cc_G in stage I": True},
         "smf_no_two_stage": {"two-stage": False},
         "smf_no_int_sem_loss": {"int.+sem. loss": False},
         "smf_no_residual_transformer": {"res. transformer": False},
         "smf_cai_to_inn": {"CAI": False}, "smf_no_gnn": {"GNN": False},
         "smf_swap_fusion_layers": {"swapped fusion layers": True}}),
    "sspfusion": (
        {"SFE": True, "SPF": True},
        {"ssp_full": {}, "ssp_no_sfe": {"SFE": False}, "ssp_no_spf": {"SPF": False}}),
    "msfe": (
        {"dense dilated": True, "attention": True, "skips": True, "GAN": True},
        {"msfe_full": {}, "msfe_no_dense_dilated": {"dense dilated": False},
         "msfe_no_attention": {"attention": False}, "msfe_no_skips": {"skips": False},
         "msfe_no_gan": {"GAN": False}}),  # no_gan: the paper shows it qualitatively, not in Table 2
}
_PREFIX = {"s2fnet": "s2f_", "smfnet": "smf_", "sspfusion": "ssp_", "msfe": "msfe_"}


def _resolve(network, variant):
    if network not in SWITCHES:
        raise InputError("network", f"{network!r} not in {sorted(SWITCHES)}")
    _, table = SWITCHES[network]
    v = split_seed(str(variant))[0] or network
    for key in (v, _PREFIX[network] + v, _PREFIX[network] + v.split(":")[-1]):
        if key in table:
            return key
    if v in ("", "full", network, "None"):
        return _PREFIX[network] + "full"
    raise InputError(f"{network} variant", f"{variant!r} not in {sorted(table)}")


def switch_frame(network, variants=None, switches=None) -> pd.DataFrame:
    """One row per variant, one bool column per module (True = module on).

    ``switches`` (``{variant: {module: bool}}``) replaces the built-in table, e.g. for a new
    network; otherwise the variants are resolved against :data:`SWITCHES`.
    """
    if switches is not None:
        modules = list(dict.fromkeys(k for s in switches.values() for k in s))
        rows = {v: {m: bool(switches[v].get(m, True)) for m in modules}
                for v in (variants or switches)}
        return pd.DataFrame.from_dict(rows, orient="index")
    defaults, table = SWITCHES[network]
    variants = variants or list(table)
    rows = {v: defaults | table[_resolve(network, v)] for v in variants}
    return pd.DataFrame.from_dict(rows, orient="index")


def ablation_frame(results, *, network=None, variants=None, metrics=None, switches=None,
                   variant_column="method") -> tuple:
    """Means per variant and metric beside the module switches.

    Returns ``(switch DataFrame, means DataFrame)`` sharing the variant index.
    """
    df = as_long(results)
    if variant_column != "method":
        df = df.assign(method=df[variant_column].astype(str))
    s = summarise(df)
    means = s.pivot_table(index="method", columns="metric", values="mean", sort=False)
    variants = list(variants) if variants is not None else list(means.index)
    metrics = list(metrics) if metrics is not None else list(means.columns)
    means = means.reindex(index=variants, columns=metrics)
    sw = switch_frame(network, variants, switches)
    return sw, means


def render_ablation(results, *, network=None, variants=None, metrics=None, switches=None,
                    fmt="markdown", precision=4, labels=None) -> str:
    """Ablation table: variant | ✓/✗ per module | metrics (best bold, second underlined)."""
    sw, means = ablation_frame(results, network=network, variants=variants, metrics=metrics,
                               switches=switches)
    marks = {m: rank_marks(means[m].to_numpy(), higher=higher_is_better(m), decimals=precision)
             for m in means.columns}
    latex = fmt in ("latex", "tex")
    tick, cross = (r"\checkmark", r"$\times$") if latex else ("✓", "✗")
    modules, metric_names = list(sw.columns), list(means.columns)
    rows = []
    for i, v in enumerate(means.index):
        name = (labels or {}).get(v, v)
        cells = [latex_escape(name) if latex else str(name)]
        cells += [tick if sw.at[v, mod] else cross for mod in modules]
        for m in metric_names:
            txt = _fmt(means.at[v, m], precision)
            if marks[m][i] == BEST:
                txt = rf"\textbf{{{txt}}}" if latex else f"**{txt}**"
            elif marks[m][i] == SECOND:
                txt = rf"\underline{{{txt}}}" if latex else f"<ins>{txt}</ins>"
            cells.append(txt)
        rows.append(cells)
    arrows = {m: (("$\\uparrow$" if latex else "↑") if higher_is_better(m)
                  else ("$\\downarrow$" if latex else "↓")) for m in metric_names}
    header = ["Variant"] + [latex_escape(x) if latex else x for x in modules]
    header += [f"{latex_escape(m) if latex else m}{'' if latex else ' '}{arrows[m]}"
               for m in metric_names]
    if fmt == "csv":
        out = pd.concat([sw.map(lambda b: int(bool(b))), means.round(precision)], axis=1)
        return out.rename_axis("variant").to_csv()
    if latex:
        spec = "l" + "c" * len(modules) + " " + "r" * len(metric_names)
        lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(header) + r" \\",
                 r"\midrule"] + [" & ".join(r).replace("–", "--") + r" \\" for r in rows]
        return "\n".join(lines + [r"\bottomrule", r"\end{tabular}"]) + "\n"
    lines = ["| " + " | ".join(header) + " |",
             "|:--|" + ":-:|" * len(modules) + "--:|" * len(metric_names)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Evidence grids: does an ablation move each metric the way the paper's table says, beyond the
# spread that retraining the full model with other seeds gives?

VERDICTS = {"agrees": "✓", "contradicts": "✗", "within noise": "≈", "no seed noise": "?",
            "not trained": "–"}


def variant_id(network: str, method: str):
    """``("ssp_no_sfe", 1)`` for method ``sspfusion:no_sfe@seed1``; ``(None, 0)`` for other methods."""
    spec, seed = split_seed(str(method))
    base, _, ablation = (spec or "").partition(":")
    if base != network:
        return None, seed
    return _resolve(network, ablation or "full"), seed


def paper_rows(network: str, *, dataset: str, published=None) -> pd.DataFrame:
    """The paper's ablation table for ``network`` on ``dataset``: index ablation id, columns
    metric, plus the row label in ``row`` (values as printed)."""
    from fusionbench.report.published import dataset_key, load_published
    pub = load_published() if published is None else published
    pub = pub[pub["ablation_id"].astype(str).str.startswith(_PREFIX[network])
              & (pub["dataset"].map(dataset_key) == dataset_key(dataset))]
    if pub.empty:
        raise InputError(f"{network} paper ablation table", f"no rows for dataset {dataset!r}")
    table = pub.pivot_table(index="ablation_id", columns="metric", values="value", sort=False)
    table.insert(0, "row", pub.groupby("ablation_id", sort=False)["method"].first())
    return table


def ablation_evidence(results, *, network: str, paper_dataset: str, metrics=None, published=None,
                      level: float = 0.95) -> pd.DataFrame:
    """Each paper ablation row x metric: the paper's change against its full model beside ours.

    Ours is the change of the ablation's mean (over the seeds trained for it) against the mean
    of the full model's seeds (``NAME``, ``NAME@seed1``, ...). It counts as beyond seed noise
    when it lies outside the ``level`` prediction interval of that difference under the
    hypothesis that the ablation is just another draw of the full model:
    ``t(level, k-1) * s * sqrt(1/k + 1/k_r)``, with ``s`` the standard deviation (ddof=1) of the
    ``k`` full-model seed means and ``k_r`` the ablation's seed count.

    Parameters
    ----------
    results : DataFrame or path
        Long-format per-image results of one dataset holding ``network``'s variants.
    network : str
        ``s2fnet``, ``smfnet``, ``sspfusion`` or ``msfe``.
    paper_dataset : str
        Dataset column of the paper's table to compare with (e.g. ``RoadScene``).
    metrics : list of str, optional
        Metrics to show (default: the paper table's).
    level : float
        Prediction-interval level for the seed noise.

    Returns
    -------
    DataFrame with one row per (ablation id, metric): ``row`` (paper label), ``paper_full``,
    ``paper_value``, ``paper_delta``, ``ours_full``, ``ours_value``, ``ours_delta``,
    ``seeds_full``, ``seeds_row``, ``noise`` (interval half-width) and ``verdict``
    (agrees / contradicts / within noise / no seed noise / not trained).
    """
    from scipy import stats
    df = as_long(results)
    if df["dataset"].nunique() > 1:
        raise InputError("results", f"hold {df['dataset'].nunique()} datasets; select one")
    paper = paper_rows(network, dataset=paper_dataset, published=published)
    full_id = _PREFIX[network] + "full"
    if full_id not in paper.index:
        raise InputError(f"{network} paper ablation table", "has no full-model row")
    metrics = [m for m in (metrics or [c for c in paper.columns if c != "row"]) if m in paper.columns]
    s = summarise(df)
    s["variant"] = [variant_id(network, m)[0] for m in s["method"]]
    seed_means = {v: g.pivot_table(index="method", columns="metric", values="mean")
                  for v, g in s.dropna(subset=["variant"]).groupby("variant")}
    full = seed_means.get(full_id)
    if full is None:
        raise InputError("results", f"no rows of {network}'s full model (method {network!r})")
    k = len(full)
    rows = []
    for vid in paper.index:
        if vid == full_id:
            continue
        own = seed_means.get(vid)
        for m in metrics:
            p_full, p_val = paper.at[full_id, m], paper.at[vid, m]
            rec = dict(ablation_id=vid, row=paper.at[vid, "row"], metric=m, paper_full=p_full,
                       paper_value=p_val, paper_delta=p_val - p_full,
                       ours_full=full[m].mean() if m in full else np.nan, seeds_full=k,
                       seeds_row=0 if own is None else len(own))
            if own is None or m not in own:
                rec.update(ours_value=np.nan, ours_delta=np.nan, noise=np.nan, verdict="not trained")
            else:
                rec["ours_value"] = own[m].mean()
                rec["ours_delta"] = rec["ours_value"] - rec["ours_full"]
                if k < 2:
                    rec.update(noise=np.nan, verdict="no seed noise")
                else:
                    t = stats.t.ppf(0.5 + level / 2, k - 1)
                    rec["noise"] = t * full[m].std(ddof=1) * np.sqrt(1 / k + 1 / len(own))
                    if abs(rec["ours_delta"]) <= rec["noise"]:
                        rec["verdict"] = "within noise"
                    elif np.sign(rec["ours_delta"]) == np.sign(rec["paper_delta"]):
                        rec["verdict"] = "agrees"
                    else:
                        rec["verdict"] = "contradicts"
            rows.append(rec)
    return pd.DataFrame(rows)


def _arrow(delta) -> str:
    return "–" if not np.isfinite(delta) else ("↑" if delta > 0 else "↓" if delta < 0 else "=")


def render_evidence(ev: pd.DataFrame, *, precision: int = 3, title: str = "") -> str:
    """Markdown grid: rows = the paper's ablation rows, one cell per metric with the paper's
    change, ours and the verdict mark (legend and counts below)."""
    metrics = list(dict.fromkeys(ev["metric"]))
    lines = ([f"**{title}**", ""] if title else [])
    lines += ["| paper row | " + " | ".join(f"{m} {'↑' if higher_is_better(m) else '↓'}" for m in metrics)
              + " |", "|:--|" + ":--|" * len(metrics)]
    for vid, g in ev.groupby("ablation_id", sort=False):
        g = g.set_index("metric")
        cells = []
        for m in metrics:
            r = g.loc[m]
            ours = ("not trained" if r["verdict"] == "not trained"
                    else f"{_arrow(r['ours_delta'])} {r['ours_delta']:+.{precision}f}")
            cells.append(f"paper {_arrow(r['paper_delta'])} {r['paper_delta']:+.{precision}f} · "
                         f"ours {ours} {VERDICTS[r['verdict']]}")
        lines.append(f"| {g['row'].iloc[0]} (`{vid}`) | " + " | ".join(cells) + " |")
    counts = ev["verdict"].value_counts()
    seeds = int(ev["seeds_full"].iloc[0]) if len(ev) else 0
    lines += ["", f"Change of each metric when the module is removed (ablation − full model). "
                  f"Ours: mean of the ablation minus the mean of the full model's {seeds} seed(s). "
                  "✓ same direction as the paper and beyond seed noise (outside the 95 % prediction "
                  "interval of a retrained full model); ✗ opposite direction beyond seed noise; "
                  "≈ within seed noise; ? seed noise not measured; – not trained.",
              "", "Counts: " + ", ".join(f"{VERDICTS[v]} {v} {int(counts.get(v, 0))}"
                                           for v in VERDICTS if counts.get(v, 0))]
    return "\n".join(lines) + "\n"


def evidence_figure(ev: pd.DataFrame, *, title=None, path=None, precision: int = 3):
    """The evidence grid as a figure: green = agrees, red = contradicts, grey = within noise."""
    import matplotlib
    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    colours = {"agrees": "#8fd19e", "contradicts": "#f1948a", "within noise": "#d5d8dc",
               "no seed noise": "#fdebd0", "not trained": "#ffffff"}
    metrics = list(dict.fromkeys(ev["metric"]))
    rows = list(dict.fromkeys(ev["ablation_id"]))
    fig, ax = plt.subplots(figsize=(1.9 * len(metrics) + 2.6, 0.62 * len(rows) + 1.3))
    ax.set_xlim(0, len(metrics))
    ax.set_ylim(len(rows), 0)
    for _, r in ev.iterrows():
        i, j = rows.index(r["ablation_id"]), metrics.index(r["metric"])
        ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=colours[r["verdict"]], edgecolor="white"))
        ours = "–" if r["verdict"] == "not trained" else f"{r['ours_delta']:+.{precision}f}"
        ax.text(j + 0.5, i + 0.5, f"paper {r['paper_delta']:+.{precision}f}\nours {ours}",
                ha="center", va="center", fontsize=8)
    ax.set_xticks([j + 0.5 for j in range(len(metrics))])
    ax.set_xticklabels(metrics)
    ax.xaxis.tick_top()
    labels = ev.drop_duplicates("ablation_id").set_index("ablation_id")["row"]
    ax.set_yticks([i + 0.5 for i in range(len(rows))])
    ax.set_yticklabels([str(labels[r]) for r in rows], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, pad=24)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return fig
