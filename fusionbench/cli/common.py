"""Argument helpers shared by several subcommands."""

from __future__ import annotations

from fusionbench.errors import InputError


def parse_options(pairs) -> dict:
    """``["ssim_data_range=255", ...]`` -> ``{"ssim_data_range": "255"}`` (values are checked later)."""
    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError("--option", f"expected KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out
