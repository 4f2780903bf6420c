"""Ablation grids: variants as rows, module switches as ✓/✗ columns, then metric columns.

The layout follows SSPFusion Table 5 / SMFNet Table 5. Module switches per ablation id come
from ``specs/NETWORKS.md`` section 8 (ids as in the ``ablation_id`` column of the paper tables).
"""

from __future__ import annotations

import pandas as pd

from fusionbench.errors import InputError
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
        {"dense dilated": True, "attention": True, "skips": True},
        {"msfe_full": {}, "msfe_no_dense_dilated": {"dense dilated": False},
         "msfe_no_attention": {"attention": False}, "msfe_no_skips": {"skips": False}}),
}
_PREFIX = {"s2fnet": "s2f_", "smfnet": "smf_", "sspfusion": "ssp_", "msfe": "msfe_"}


def _resolve(network, variant):
    if network not in SWITCHES:
        raise InputError("network", f"{network!r} not in {sorted(SWITCHES)}")
    _, table = SWITCHES[network]
    v = str(variant)
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
