"""fusionbench: toolbox-exact, fast evaluation of infrared-visible image fusion."""

__version__ = "0.1.0"

from fusionbench.scoring import compute  # noqa: E402

__all__ = ["compute", "__version__"]
