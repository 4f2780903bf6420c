"""Result store (SQLite, content-hash keys) and long-format exports."""

from fusionbench.store.export import LONG_COLUMNS, aggregate, long_frame, write_frame
from fusionbench.store.sqlite import (
                                      ResultStore,
                                      backend_class,
                                      default_path,
                                      git_hash,
                                      locator,
                                      open_store,
                                      options_json,
                                      score_key,
                                      value_key,
)

__all__ = [
                                      "LONG_COLUMNS",
                                      "ResultStore",
                                      "aggregate",
                                      "backend_class",
                                      "default_path",
                                      "git_hash",
                                      "locator",
                                      "long_frame",
                                      "open_store",
                                      "options_json",
                                      "score_key",
                                      "value_key",
                                      "write_frame",
]
