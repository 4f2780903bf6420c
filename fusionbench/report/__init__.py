"""Reports: paper-style tables, significance, figures, published-vs-reproduced and leaderboards.

Everything works on per-image results in long format (columns dataset, method, image,
profile, metric, value), as a DataFrame or a CSV / JSON / Parquet file.
"""

from fusionbench.report.ranking import cd_diagram, friedman_nemenyi, friedman_table
from fusionbench.report.results import LONG_COLUMNS, as_long, load_results, select, summarise
from fusionbench.report.significance import bootstrap_ci, compare_to_best, holm, significance_table
from fusionbench.report.tables import build_table, latex_escape, rank_marks, render_table

__all__ = [
    "LONG_COLUMNS",
    "as_long",
    "bootstrap_ci",
    "build_table",
    "cd_diagram",
    "compare_to_best",
    "friedman_nemenyi",
    "friedman_table",
    "holm",
    "latex_escape",
    "load_results",
    "rank_marks",
    "render_table",
    "select",
    "significance_table",
    "summarise",
]
