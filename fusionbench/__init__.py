"""fusionbench: toolbox-exact, fast evaluation of infrared-visible image fusion."""

__version__ = "0.1.0"

__all__ = ["compute", "__version__"]


def __getattr__(name):
    """``fusionbench.compute`` on first use (PEP 562): importing the package (e.g. for the CLI's
    ``fuse``) does not load the metric kernels and SciPy until a metric is asked for."""
    if name == "compute":
        from fusionbench.scoring import compute
        globals()["compute"] = compute
        return compute
    raise AttributeError(f"module 'fusionbench' has no attribute {name!r}")
