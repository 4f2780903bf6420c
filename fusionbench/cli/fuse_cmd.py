"""`fusionbench fuse`: fuse one IR/visible pair (or two folders of pairs) with a named method."""

from __future__ import annotations


def register(sub):
    p = sub.add_parser("fuse", help="fuse an IR/visible pair with a method (baseline or network)")
    p.add_argument("--method", required=True, help="method name, e.g. average, s2fnet, sspfusion:no_sfe")
    p.add_argument("--ir", required=True, help="infrared image (or folder of images)")
    p.add_argument("--vi", required=True, help="visible image (or folder; paired by file name)")
    p.add_argument("--out", required=True,
                   help="output image (or folder when --ir is a folder); the extension picks the format: "
                        ".png, .bmp, .tif are lossless, .jpg is lossy (Pillow's quality 75) and changes the scores")
    p.add_argument("--device", default=None, help="torch device for networks (cpu, cuda, ...)")
    p.add_argument("--timings", action="store_true",
                   help="print the seconds spent loading the method, reading, fusing and writing to stderr "
                        "(one JSON line; used by benchmarks/bench_fuse_cli.py)")
    p.set_defaults(func=run)


def _pairs(ir, vi, out):
    from pathlib import Path

    from fusionbench.errors import InputError
    from fusionbench.imageio import IMAGE_EXTENSIONS
    from fusionbench.store.export import check_output
    ir, vi, out = Path(ir), Path(vi), Path(out)
    if not ir.is_dir():
        check_output(out, IMAGE_EXTENSIONS)  # before fusing: known extension, writable folder
        return [(ir, vi, out)]
    check_output(out / ".probe.png", (".png",))
    if not vi.is_dir():
        raise InputError(vi, "must be a folder when --ir is a folder")
    vis = {p.stem: p for p in vi.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS}
    pairs = [(p, vis[p.stem], out / (p.stem + ".png")) for p in sorted(ir.iterdir())
             if p.suffix.lower() in IMAGE_EXTENSIONS and p.stem in vis]
    if not pairs:
        raise InputError(ir, f"no images with a same-named partner in {vi}")
    return pairs


class _Clock:
    """Phase timer for ``--timings``: marks each phase boundary on stderr (so that ``python -X
    importtime`` lines can be assigned to a phase) and sums the seconds per phase."""

    def __init__(self, on: bool):
        import time
        self.on, self.now, self.spent, self.phase, self.t = on, time.perf_counter, {}, None, 0.0

    def start(self, phase):
        self.stop()
        if self.on:
            import sys
            print(f"fusionbench-timing: start {phase}", file=sys.stderr, flush=True)
            self.phase, self.t = phase, self.now()

    def stop(self):
        if self.on and self.phase is not None:
            import sys
            self.spent[self.phase] = self.spent.get(self.phase, 0.0) + self.now() - self.t
            print(f"fusionbench-timing: stop {self.phase}", file=sys.stderr, flush=True)
            self.phase = None

    def report(self):
        if self.on:
            import json
            import sys
            self.stop()
            print("fusionbench-timings: " + json.dumps({f"{k}_s": round(v, 6) for k, v in self.spent.items()}),
                  file=sys.stderr, flush=True)


def run(args):
    from fusionbench.imageio import read_image, write_image
    from fusionbench.methods import get_method

    clock = _Clock(getattr(args, "timings", False))
    pairs = _pairs(args.ir, args.vi, args.out)
    clock.start("load")
    method = get_method(args.method, device=args.device)
    for ir_p, vi_p, out_p in pairs:
        clock.start("read")
        ir, vi = read_image(ir_p), read_image(vi_p)
        if ir.shape[:2] != vi.shape[:2]:
            from fusionbench.errors import InputError
            raise InputError(ir_p, f"size {ir.shape[:2]} differs from the visible image {vi.shape[:2]}")
        clock.start("fuse")
        fused = method.fuse_images(ir, vi)
        clock.start("write")
        write_image(out_p, fused)
    clock.report()
    print(f"{method.name}: wrote {len(pairs)} fused image(s) to {args.out}")
    return 0
