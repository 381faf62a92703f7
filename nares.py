"""The warehouse in a notebook or a script: the checks, the views and SQL as polars DataFrames, the
report's figures as Altair charts.

    from nares import open_warehouse

    with open_warehouse() as wh:                       # ./robustnasbench.duckdb, or $RNB_DB
        wh.check("best_epoch")                         # polars DataFrame: the rows of check_best_epoch
        wh.sql("select site, count(*) as runs from runs group by site")
        wh.figure("best_epoch_msu")                    # altair chart, shown inline by Jupyter

The API is the application layer's `Warehouse` (application/reading.py), which the CLI's `sql`,
`check`, `views` and `report` read through as well, so a script sees exactly what the command
prints. A Warehouse holds one read-only connection (warehouse/query.py `open_for_reading`: file
access off, the tool's own views, an older file migrated first): one consistent snapshot, which a
later ingest does not change; open the warehouse again to see it.
"""
from __future__ import annotations

from application.reading import Warehouse, open_warehouse, tool_view_names
from warehouse import WarehouseError

__all__ = ["open_warehouse", "Warehouse", "WarehouseError", "tool_view_names"]
