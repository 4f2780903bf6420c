"""nox sessions: tests, lint, bench (CPU torch is installed first so no CUDA build is pulled)."""

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True


def _install(session):
    session.install("torch==2.13.0")
    session.install("-e", ".[dev,networks,docs]")


@nox.session
def tests(session):
    _install(session)
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session):
    session.install("ruff")
    session.run("ruff", "check", "fusionbench", "tests", "benchmarks")


@nox.session
def bench(session):
    _install(session)
    session.run("python", "benchmarks/bench_metrics.py", *session.posargs)
