"""Issue #13: a bad result store ends in one clear error naming the file, never a traceback, and a
store that is not ours is never written to."""

import errno
import socket
import sqlite3

import numpy as np
import pytest
from PIL import Image

import fusionbench.store.sqlite as sq
from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.runner import evaluate, executors
from fusionbench.store import ResultStore

KW = dict(metrics=["EN"], executor="inline", progress=False)


@pytest.fixture
def ds(tmp_path):
    d = tmp_path / "ds"
    rng = np.random.default_rng(0)
    for stem in "abc":
        for side in ("ir", "vi"):
            (d / side).mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (24, 32), dtype=np.uint8)).save(d / side / f"{stem}.png")
    return d


def _cli(capsys, *argv):
    rc = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def _evaluate_cli(capsys, ds, store):
    return _cli(capsys, "evaluate", "--dataset", str(ds), "--method", "average", "--metrics", "EN",
                "--store", str(store), "--executor", "inline", "--no-progress")


def test_corrupt_store(tmp_path, ds, capsys):
    bad = tmp_path / "bad.sqlite"
    data = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    bad.write_bytes(data)
    with pytest.raises(InputError, match="not a fusionbench result store: a corrupt file") as info:
        ResultStore(bad)
    assert str(bad) in str(info.value)
    rc, err = _evaluate_cli(capsys, ds, bad)
    assert rc == 2 and "corrupt file" in err and str(bad) in err
    rc, err = _cli(capsys, "table", str(bad))
    assert rc == 2 and "corrupt file" in err
    assert bad.read_bytes() == data


def test_sqlite_file_of_another_program_is_not_touched(tmp_path, ds, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE people (name TEXT)")
    before = other.read_bytes()
    with pytest.raises(InputError, match=r"another program \(tables: people\)"):
        ResultStore(other)
    rc, err = _evaluate_cli(capsys, ds, other)
    assert rc == 2 and "not a fusionbench result store" in err
    assert other.read_bytes() == before  # no tables of ours added


def test_foreign_schema(tmp_path):
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE scores (a INT, b INT)")
    before = foreign.read_bytes()
    with pytest.raises(InputError, match="table scores lacks .*metric"):
        ResultStore(foreign)
    assert foreign.read_bytes() == before


def test_store_folder_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot open or create the store"):
        ResultStore(blocker / "sub" / "s.sqlite")


def test_read_only_store_reads_but_refuses_to_score(tmp_path, ds, monkeypatch, capsys):
    store = tmp_path / "s.sqlite"
    res = evaluate([ds], ["average"], store=store, **KW)
    assert len(res.records) == 3
    connect = sqlite3.connect

    def read_only(path, *args, **kw):  # as a file without write permission opens (root ignores chmod)
        if kw.pop("uri", False):
            return connect(path, *args, uri=True, **kw)
        return connect(store.resolve().as_uri() + "?mode=ro", *args, uri=True, **kw)
    monkeypatch.setattr(sq.sqlite3, "connect", read_only)
    with ResultStore(store) as st:
        assert st.readonly and len(st.frame()) == 3
        with pytest.raises(InputError, match="read-only"):
            st.add(res.records)
    with pytest.raises(InputError, match="read-only: cannot write results"):
        evaluate([ds], ["average"], store=store, **KW)
    rc, err = _evaluate_cli(capsys, ds, store)
    assert rc == 2 and "read-only" in err and str(store) in err
    rc, err = _cli(capsys, "table", str(store))
    assert rc == 0


@pytest.mark.parametrize("error", [sqlite3.OperationalError("database or disk is full"),
                                   OSError(errno.ENOSPC, "No space left on device")])
def test_full_disk_keeps_what_was_stored(tmp_path, ds, monkeypatch, capsys, error):
    store = tmp_path / "s.sqlite"
    real = ResultStore._write
    calls = []

    def write(self, fn):
        calls.append(fn)
        if len(calls) == 3:  # schema, first pair, then the disk is full
            raise error
        return real(self, fn)
    monkeypatch.setattr(ResultStore, "_write", write)
    rc, err = _evaluate_cli(capsys, ds, store)
    assert rc == 2 and "disk full while writing results" in err and str(store) in err
    monkeypatch.undo()
    with ResultStore(store) as st:
        assert len(st.frame()) == 1  # the first pair was kept


def test_full_disk_when_creating_the_store(tmp_path, monkeypatch):
    def mkdir(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(sq.Path, "mkdir", mkdir)
    with pytest.raises(InputError, match="disk full while opening it"):
        ResultStore(tmp_path / "new" / "s.sqlite")


def test_unreachable_dask_scheduler(tmp_path, ds, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "_DASK_CONNECT_TIMEOUT", "1s")
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        evaluate([ds], ["average"], store=tmp_path / "s.sqlite", metrics=["EN"], progress=False,
                 executor=f"dask://127.0.0.1:{port}")
