"""Run picklable tasks inline, on a local process pool, or on Dask distributed; yield results as they finish.

The caller re-orders results by task index, so every executor gives the same output.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from fusionbench.errors import InputError

EXECUTORS = ("local", "dask", "dask://HOST:PORT", "inline")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _inline(fn, tasks):
    for t in tasks:
        yield fn(t)


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _single_threaded():
    """One thread per worker process (the pool is the parallelism)."""
    for var in _THREAD_VARS:  # read by numba, BLAS and torch when they are first imported
        os.environ.setdefault(var, "1")


def _die_with_parent(parent_pid: int) -> None:
    """End this worker when the process that started it ends, even by ``kill -9`` (which runs no
    clean-up in the parent): Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, elsewhere a thread that
    polls the parent pid. A parent gone before this runs is caught by the pid check."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=watch, name="fusionbench-parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def _worker_init(parent_pid: int) -> None:
    """Worker initializer: die with the parent, one thread per worker."""
    _die_with_parent(parent_pid)
    _single_threaded()


def _local(fn, tasks, jobs):
    # spawn: no fork of a process that may hold torch / BLAS threads
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(fn, t) for t in tasks]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


_DASK_CONNECT_TIMEOUT = "10s"


def _dask(fn, tasks, jobs, address):
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise InputError("--executor dask", f"needs dask[distributed] ({exc}); "
                                            "pip install 'fusionbench[dask]'") from None
    cluster = None
    if address:
        try:
            client = Client(address, timeout=_DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InputError("--executor", f"cannot reach the Dask scheduler at {address} within "
                                           f"{_DASK_CONNECT_TIMEOUT} ({type(exc).__name__}: {exc}); "
                                           "is it running and reachable from here?") from None
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(fn, tasks, pure=False)
        for fut in dask_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(fn, tasks, *, executor: str = "local", jobs: int | None = None):
    """Yield ``fn(task)`` for every task, in completion order.

    Parameters
    ----------
    executor : str
        ``local`` (process pool; inline when ``jobs == 1``), ``inline``, ``dask`` (a
        ``LocalCluster`` with ``jobs`` single-threaded worker processes) or
        ``dask://HOST:PORT`` / ``tcp://HOST:PORT`` (an existing scheduler; image paths must be
        readable by its workers).
    """
    tasks = list(tasks)
    jobs = jobs or default_jobs()
    if executor == "inline" or (executor == "local" and (jobs == 1 or len(tasks) <= 1)):
        return _inline(fn, tasks)
    if executor == "local":
        return _local(fn, tasks, min(jobs, len(tasks)))
    if executor == "dask":
        return _dask(fn, tasks, jobs, None)
    if executor.startswith(("dask://", "tcp://")):
        return _dask(fn, tasks, jobs, "tcp://" + executor.split("://", 1)[1])
    raise InputError("--executor", f"unknown executor {executor!r}; use local, inline, dask or dask://HOST:PORT")
