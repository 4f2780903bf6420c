"""Result store (SQLite, content-hash keys) and long-format exports."""

from fusionbench.store.export import LONG_COLUMNS, aggregate, long_frame, write_frame
from fusionbench.store.sqlite import (ResultStore, default_path, git_hash, locator, open_store, options_json,
                                      score_key)

__all__ = ["ResultStore", "open_store", "default_path", "git_hash", "score_key", "locator", "options_json",
           "LONG_COLUMNS", "aggregate", "long_frame", "write_frame"]
