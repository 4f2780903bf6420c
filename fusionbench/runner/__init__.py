"""Evaluation runner: fuse or load, score and store, pair by pair, on a pool or on Dask."""

from fusionbench.runner.evaluate import Problem, RunResult, evaluate
from fusionbench.runner.executors import EXECUTORS, default_jobs, run_tasks

__all__ = ["EXECUTORS", "Problem", "RunResult", "default_jobs", "evaluate", "run_tasks"]
