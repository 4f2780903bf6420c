"""Merge benchmark JSON files of separate runs (e.g. one per image size) into one report.

Usage: python benchmarks/merge_results.py OUT.json IN1.json IN2.json ...
"""

import json
import sys


def main(out, *inputs):
    merged = None
    for path in inputs:
        with open(path) as f:
            rep = json.load(f)
        if merged is None:
            merged = rep
            merged["commands"] = [rep["command"]]
        else:
            merged["sizes"].update(rep["sizes"])
            merged["commands"].append(rep["command"])
    with open(out, "w") as f:
        json.dump(merged, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:])
