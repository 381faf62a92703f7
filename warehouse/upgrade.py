"""Bring an existing warehouse to this tool's schema and views, atomically, without reading any log.

The reading policy (warehouse/query.py `open_for_reading`) calls this when a file is older than the
tool, so that upgrading the tool needs no re-ingest. It writes a private copy and swaps it in
(warehouse/swap.py `writable_copy`), like an ingest: a failed upgrade leaves the file as it was.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.invariants import require_invariants
from warehouse.migrate import migrate
from warehouse.steps import run_steps
from warehouse.swap import writable_copy
from warehouse.views import install_views


def upgrade_warehouse(db: Path) -> list[str]:
    """Migrate an existing warehouse to this tool's schema and reinstall the views, atomically.
    Returns the migrations applied."""
    with writable_copy(Path(db)) as tmp:
        con = connect(tmp)
        try:
            applied = migrate(con, db)
            if applied:
                run_steps(con)  # derived columns and tables a migration added get their rows
            install_views(con)
            con.execute("delete from meta where key = 'views_fingerprint'")
            require_invariants(con, db)
            con.execute("checkpoint")
        except duckdb.Error as exc:
            raise WarehouseError(f"upgrading {db} failed, it is unchanged: {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
    return applied
