"""Evaluation runner: fuse or load, score and store, pair by pair, on a pool or on Dask."""

from fusionbench.runner.evaluate import Problem, RunResult, evaluate
from fusionbench.runner.executors import EXECUTORS, default_jobs, run_tasks

__all__ = ["evaluate", "RunResult", "Problem", "run_tasks", "EXECUTORS", "default_jobs"]
