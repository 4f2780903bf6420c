"""`fusionbench metrics`: list the metric cards and the profiles."""

from __future__ import annotations

from tabulate import tabulate

from fusionbench.metrics import CARDS, OPTION_VALUES, PROFILES


def register(sub):
    p = sub.add_parser("metrics", help="list metric cards and profiles")
    p.add_argument("--profile", help="show every option value of this profile")
    p.add_argument("--card", metavar="METRIC", help="show one metric's full card (reference, options, notes, "
                                                    "what it was checked against, fast backends)")
    p.add_argument("--table", metavar="NAME", help="show a named metric table: a toolbox's printed columns, "
                                                   "their metrics and options (e.g. tang2022-full)")
    p.set_defaults(func=run)


def _fmt_range(r):
    return f"[{r[0]:g}, {r[1]:g}]"


def _fast_line(fast) -> str:
    """The backends with a kernel (and their budgets), then those that run the reference instead."""
    from fusionbench.metrics.registry import FAST_BACKENDS
    if not fast:
        return "none: every backend scores it with the float64 reference (with a warning)"
    rest = [b for b in FAST_BACKENDS if b not in fast]
    return ", ".join(f"{b} (rtol {t:g})" for b, t in fast.items()) + (
        f"; {', '.join(rest)}: the float64 reference (with a warning)" if rest else "")


def _card(name) -> int:
    from fusionbench.metrics import get_metric
    m = get_metric(name)
    c = m.card
    rows = [("name", f"{c.name} {c.arrow} {c.long_name}"), ("range", _fmt_range(c.range)), ("unit", c.unit or "-"),
            ("reference", c.reference or "-"), ("options", ", ".join(c.parameters) or "-"),
            ("native in", ", ".join(m.native) or "- (no profile's toolbox defines it)"),
            ("fast backends", _fast_line(m.fast)),
            ("checked against", c.checked or "-"), ("notes", c.notes or "-")]
    print(tabulate(rows, tablefmt="plain", maxcolwidths=[None, 90]))
    return 0


def _table(name) -> int:
    from fusionbench.metrics.named_tables import get_metric_table
    t = get_metric_table(name)
    print(f"{t.name}: {t.description}\nprofile: {t.profile} (options: `fusionbench metrics --profile {t.profile}`)"
          f"\nreproduces: {t.reproduces}\n")
    rows = [(c.label, c.metric or "-", ", ".join(f"{k}={v}" for k, v in c.overrides.items()) or "-",
             c.checked if c.metric else f"not implemented: {c.missing}") for c in t.columns]
    print(tabulate(rows, headers=["column", "metric", "options", "checked against"], tablefmt="plain",
                   maxcolwidths=[None, None, None, 80]))
    print("\nScore it with fusionbench.scoring.compute_table(fused, ir, vi, table=...).")
    return 0


def run(args) -> int:
    if getattr(args, "card", None):
        return _card(args.card)
    if getattr(args, "table", None):
        return _table(args.table)
    if args.profile:
        from fusionbench.metrics import get_profile
        from fusionbench.metrics.named_tables import tables_of_profile
        prof = get_profile(args.profile)
        print(f"{prof.name}: {prof.description}\nreproduces: {prof.reproduces}\n")
        print(f"default table: {', '.join(prof.table)}")
        for t in tables_of_profile(prof.name):
            print(f"named table {t.name} ({t.description}): {', '.join(t.labels)}; "
                  f"not implemented: {', '.join(c.label for c in t.missing) or '-'} "
                  f"(`fusionbench metrics --table {t.name}`)")
        print()
        print(tabulate([(k, prof.options[k], " | ".join(map(str, OPTION_VALUES[k]))) for k in OPTION_VALUES],
                       headers=["option", "value", "allowed"]))
        return 0
    rows = [(c.name, c.arrow, c.long_name, _fmt_range(c.range), c.unit,
             " ".join(p for p, prof in PROFILES.items() if c.name in prof.native)) for c in CARDS.values()]
    print(tabulate(rows, headers=["metric", "", "name", "range", "unit", "native in"]))
    print()
    print(tabulate([(p.name, p.description) for p in PROFILES.values()], headers=["profile", "reproduces"]))
    print("\n`fusionbench metrics --profile NAME` lists a profile's options; override any with --option KEY=VALUE.")
    return 0
