"""`fusionbench metrics`: list the metric cards and the profiles."""

from __future__ import annotations

from tabulate import tabulate

from fusionbench.metrics import CARDS, OPTION_VALUES, PROFILES


def register(sub):
    p = sub.add_parser("metrics", help="list metric cards and profiles")
    p.add_argument("--profile", help="show every option value of this profile")
    p.set_defaults(func=run)


def _fmt_range(r):
    return f"[{r[0]:g}, {r[1]:g}]"


def run(args) -> int:
    if args.profile:
        from fusionbench.metrics import get_profile
        prof = get_profile(args.profile)
        print(f"{prof.name}: {prof.description}\nreproduces: {prof.reproduces}\n")
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
