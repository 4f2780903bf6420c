"""`fusionbench fuse`: fuse one IR/visible pair (or two folders of pairs) with a named method."""

from __future__ import annotations


def register(sub):
    p = sub.add_parser("fuse", help="fuse an IR/visible pair with a method (baseline or network)")
    p.add_argument("--method", required=True, help="method name, e.g. average, s2fnet, sspfusion:no_sfe")
    p.add_argument("--ir", required=True, help="infrared image (or folder of images)")
    p.add_argument("--vi", required=True, help="visible image (or folder; paired by file name)")
    p.add_argument("--out", required=True, help="output image (or folder when --ir is a folder)")
    p.add_argument("--device", default=None, help="torch device for networks (cpu, cuda, ...)")
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


def run(args):
    from fusionbench.imageio import read_image, write_image
    from fusionbench.methods import get_method

    pairs = _pairs(args.ir, args.vi, args.out)
    method = get_method(args.method, device=args.device)
    for ir_p, vi_p, out_p in pairs:
        ir, vi = read_image(ir_p), read_image(vi_p)
        if ir.shape[:2] != vi.shape[:2]:
            from fusionbench.errors import InputError
            raise InputError(ir_p, f"size {ir.shape[:2]} differs from the visible image {vi.shape[:2]}")
        write_image(out_p, method.fuse_images(ir, vi))
    print(f"{method.name}: wrote {len(pairs)} fused image(s) to {args.out}")
    return 0
