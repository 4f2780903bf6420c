"""Cost of a fusion method as IVIF papers print it: parameters, FLOPs and run time per image size.

* parameters: the network's ``nn.Module`` parameter count (0 for the classical baselines);
* FLOPs: counted by ``torch.utils.flop_counter.FlopCounterMode`` on one forward pass of a 1 x 1 x H x W
  pair (padded as the method pads it). It counts a multiply-add as 2 FLOPs; tools such as thop or
  ptflops print MACs (half of it), reported here as ``gmacs`` so a paper's "FLOPs" column can be
  matched to whichever convention it used. Only the operations torch's counter knows (convolutions,
  matrix products, attention) are counted; element-wise work is not, as in the papers;
* run time: median wall-clock seconds of ``Method.fuse`` on one random H x W pair (after warm-up),
  on the method's device, with the number of CPU threads recorded.

Example
-------
>>> from fusionbench.methods.cost import method_cost, cost_markdown
>>> rows = method_cost("msfe", sizes=[(256, 256), (480, 640)])  # doctest: +SKIP
>>> print(cost_markdown(rows))  # doctest: +SKIP

For the model cards, :func:`card_cost_section` gives a Markdown section of one network.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from fusionbench.errors import InputError

DEFAULT_SIZES = ((256, 256), (480, 640))


def _torch_model(method):
    model = getattr(method, "model", None)
    try:
        import torch
    except ImportError:
        return None
    return model if isinstance(model, torch.nn.Module) else None


def parameter_count(method) -> int:
    """Parameters of a network method's model (0 for a method without one)."""
    model = _torch_model(method)
    return 0 if model is None else int(sum(p.numel() for p in model.parameters()))


def forward_flops(method, height: int, width: int):
    """FLOPs of one forward pass on a 1 x 1 x ``height`` x ``width`` pair (``FlopCounterMode``), or None
    for a method without a torch model."""
    model = _torch_model(method)
    if model is None:
        return None
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    p = next(model.parameters(), None)
    device = p.device if p is not None else torch.device("cpu")
    mult = int(getattr(method, "multiple", 1) or 1)
    h, w = -(-height // mult) * mult, -(-width // mult) * mult  # padded as the method pads
    a = torch.rand(1, 1, h, w, device=device)
    b = torch.rand(1, 1, h, w, device=device)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(a, b)
    return int(counter.get_total_flops())


def _sync(method):
    model = _torch_model(method)
    if model is not None:
        import torch
        p = next(model.parameters(), None)
        if p is not None and p.device.type == "cuda":
            torch.cuda.synchronize(p.device)


def run_time(method, height: int, width: int, *, repeats: int = 3, warmup: int = 1, seed: int = 0) -> float:
    """Median seconds of ``method.fuse`` on one random ``height`` x ``width`` pair (after ``warmup`` runs)."""
    rng = np.random.default_rng(seed)
    ir = rng.random((height, width), dtype=np.float32)
    vi = rng.random((height, width), dtype=np.float32)
    for _ in range(max(0, warmup)):
        method.fuse(ir, vi)
    times = []
    for _ in range(max(1, repeats)):
        _sync(method)
        t0 = time.perf_counter()
        method.fuse(ir, vi)
        _sync(method)
        times.append(time.perf_counter() - t0)
    return float(statistics.median(times))


def _threads():
    try:
        import torch
        return int(torch.get_num_threads())
    except ImportError:
        return None


def method_cost(method, *, sizes=DEFAULT_SIZES, device=None, repeats=3, warmup=1, weights_dir=None) -> list:
    """Parameters, FLOPs and run time of ``method`` at each image size.

    Parameters
    ----------
    method : str or Method
        A registered name (``average``, ``msfe``, ``sspfusion:no_sfe``, ...; built with
        :func:`fusionbench.methods.registry.get_method`) or a built :class:`Method`.
    sizes : sequence of (height, width)
    device : str, optional
        Device for a network (default: its default device).
    repeats, warmup : int
        Timed runs (the median is reported) and untimed warm-up runs per size.

    Returns
    -------
    list of dict
        One row per size: method, height, width, params, flops, gflops, gmacs, seconds, device, threads.
    """
    if isinstance(method, str):
        from fusionbench.methods.registry import get_method
        kw = {} if weights_dir is None else {"weights_dir": weights_dir}
        method = get_method(method, device=device, **kw)
    sizes = [tuple(int(v) for v in s) for s in sizes]
    if not sizes or any(len(s) != 2 or min(s) < 1 for s in sizes):
        raise InputError("sizes", f"expected (height, width) pairs of positive integers, got {sizes}")
    params = parameter_count(method)
    dev = str(getattr(method, "device", "cpu"))
    rows = []
    for h, w in sizes:
        flops = forward_flops(method, h, w)
        rows.append(dict(method=method.name, height=h, width=w, params=params, flops=flops,
                         gflops=None if flops is None else flops / 1e9,
                         gmacs=None if flops is None else flops / 2e9,
                         seconds=run_time(method, h, w, repeats=repeats, warmup=warmup),
                         device=dev, threads=_threads()))
    return rows


def parse_sizes(text) -> list:
    """``"256x256,480x640"`` -> ``[(256, 256), (480, 640)]`` (height x width)."""
    out = []
    for part in str(text).split(","):
        h, sep, w = part.strip().lower().partition("x")
        if not sep or not h.isdigit() or not w.isdigit() or int(h) < 1 or int(w) < 1:
            raise InputError("--cost-sizes", f"expected HxW[,HxW...] (e.g. 256x256,480x640), got {text!r}")
        out.append((int(h), int(w)))
    return out


def cost_markdown(rows) -> str:
    """Markdown table of :func:`method_cost` rows."""
    lines = ["| method | size (H x W) | params | GFLOPs | GMACs | time (s) | device, threads |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        gf = "–" if r["gflops"] is None else f"{r['gflops']:.3f}"
        gm = "–" if r["gmacs"] is None else f"{r['gmacs']:.3f}"
        lines.append(f"| {r['method']} | {r['height']} x {r['width']} | {r['params']:,} | {gf} | {gm} | "
                     f"{r['seconds']:.4f} | {r['device']}, {r['threads']} |")
    return "\n".join(lines)


def card_cost_section(name, *, sizes=DEFAULT_SIZES, device=None, repeats=3, weights_dir=None) -> str:
    """A "## Cost" Markdown section for network ``name``'s model card (parameters, FLOPs, run time).

    Meant to be called from the card code (``fusionbench.train.card``); it measures on this machine,
    so the section names the device and thread count.
    """
    rows = method_cost(name, sizes=sizes, device=device, repeats=repeats, weights_dir=weights_dir)
    return ("## Cost\n\nParameters; FLOPs of one forward pass (torch.utils.flop_counter, a multiply-add = 2 "
            "FLOPs; GMACs = half, the thop convention); median run time of one fuse call.\n\n"
            + cost_markdown(rows) + "\n")
