"""Backend selection for the accelerated backends (filled in by the fast-backends work)."""


def select(name, device):
    from fusionbench.backends import NumpyBackend
    return NumpyBackend()  # placeholder until the numba/torch backends exist
