"""`datasets fetch`: download from a local HTTP server, sha256 check, safe extraction."""

import functools
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from fusionbench.cli import main
from fusionbench.datasets import resolve_dataset
from fusionbench.datasets.fetch import FetchError, fetch_archive, fetch_dataset, safe_extract


def _png_bytes(value):
    buf = io.BytesIO()
    Image.fromarray(np.full((6, 7), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1; yields (folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _good_zip(path):
    with zipfile.ZipFile(path, "w") as zf:
        for stem, v in (("a", 10), ("b", 200)):
            zf.writestr(f"Set-1234/ir/{stem}.png", _png_bytes(v))
            zf.writestr(f"Set-1234/vi/{stem}.png", _png_bytes(255 - v))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_verifies_and_extracts(server, tmp_path):
    www, url = server
    sha = _good_zip(www / "set.zip")
    info = fetch_archive(f"{url}/set.zip", tmp_path / "out", sha256=sha, progress=False)
    assert info["verified"] and info["sha256"] == sha
    assert sorted(info["files"]) == ["Set-1234/ir/a.png", "Set-1234/ir/b.png", "Set-1234/vi/a.png",
                                     "Set-1234/vi/b.png"]
    assert len(resolve_dataset(tmp_path / "out" / "Set-1234").pairs) == 2


def test_fetch_dataset_into_root_then_evaluable(server, tmp_path):
    www, url = server
    sha = _good_zip(www / "set.zip")
    root = tmp_path / "root"
    info = fetch_dataset("m3fd", root, url=f"{url}/set.zip", sha256=sha, subdir="Set-*", progress=False)
    assert info["target"] == str(root / "m3fd")
    ds = resolve_dataset("m3fd", data_root_dir=root)
    assert [p.name for p in ds.pairs] == ["a", "b"] and not ds.is_sample
    assert not list(root.glob(".*partial"))
    with pytest.raises(FetchError, match="already exists"):  # never overwrites
        fetch_dataset("m3fd", root, url=f"{url}/set.zip", sha256=sha, progress=False)


def test_wrong_checksum_extracts_nothing(server, tmp_path):
    www, url = server
    _good_zip(www / "set.zip")
    with pytest.raises(FetchError, match="checksum mismatch"):
        fetch_archive(f"{url}/set.zip", tmp_path / "out", sha256="0" * 64, progress=False)
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))


def test_download_error(server, tmp_path):
    _, url = server
    with pytest.raises(FetchError, match="failed"):
        fetch_archive(f"{url}/missing.zip", tmp_path / "out", progress=False)


def test_malicious_zip_rejected(server, tmp_path):
    www, url = server
    with zipfile.ZipFile(www / "evil.zip", "w") as zf:
        zf.writestr("ok/ir/a.png", _png_bytes(1))
        zf.writestr("../../evil.txt", "pwned")
    sha = hashlib.sha256((www / "evil.zip").read_bytes()).hexdigest()
    target = tmp_path / "deep" / "out"
    with pytest.raises(FetchError, match="unsafe path"):
        fetch_archive(f"{url}/evil.zip", target, sha256=sha, progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "deep" / "evil.txt").exists()
    assert not (target / "ok").exists()  # checked before anything is written


def _tar_with(path, member, data=b"", **attrs):
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(member)
        for k, v in attrs.items():
            setattr(info, k, v)
        info.size = len(data) if info.type == tarfile.REGTYPE else 0
        tf.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)


@pytest.mark.parametrize("member,attrs,match", [
    ("/etc/evil", {}, "unsafe path"),
    ("a/../../evil", {}, "unsafe path"),
    ("link", {"type": tarfile.SYMTYPE, "linkname": "../../outside"}, "outside"),
    ("link", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "absolute"),
    ("hard", {"type": tarfile.LNKTYPE, "linkname": "../x"}, "unsafe path|outside"),
    ("dev", {"type": tarfile.CHRTYPE}, "device"),
])
def test_malicious_tar_rejected(tmp_path, member, attrs, match):
    arc = tmp_path / "evil.tar.gz"
    _tar_with(arc, member, b"x", **attrs)
    with pytest.raises(FetchError, match=match):
        safe_extract(arc, tmp_path / "out")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "outside").exists()


def test_cli_fetch(server, tmp_path, capsys):
    www, url = server
    sha = _good_zip(www / "set.zip")
    root = tmp_path / "root"
    rc = main(["datasets", "fetch", "m3fd", "--data-root", str(root), "--url", f"{url}/set.zip",
               "--sha256", sha, "--no-progress"])
    assert rc == 0 and "extracted 4 files" in capsys.readouterr().out
    assert main(["datasets", "fetch", "tno25", "--data-root", str(root)]) == 2  # no address: clear error
    assert "no public download address" in capsys.readouterr().err
    rc = main(["datasets", "fetch", "vifb", "--data-root", str(root), "--url", f"{url}/set.zip",
               "--sha256", "1" * 64, "--no-progress"])
    assert rc == 2 and "checksum mismatch" in capsys.readouterr().err
    assert not (root / "vifb").exists()


def test_cli_list_and_info(capsys, monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("msrs", "tno42", "tno25", "tno21", "roadscene", "m3fd", "llvip", "vifb"):
        assert name in out
    assert main(["datasets", "info", "msrs"]) == 0
    out = capsys.readouterr().out
    assert "BUNDLED SAMPLE" in out and "480x640" in out
