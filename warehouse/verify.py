"""`cli.py verify`: is this warehouse file sound, and does it hold only what the tool put there?

Opens any file read-only (file system access off) and runs only catalog queries and the tool's
own invariant queries, so a file from elsewhere can be looked at safely, even one the other
commands refuse (a macro replacing one of DuckDB's functions). One line per problem:

    - the schema: version known, the tool's tables with the tool's columns (warehouse/invariants.py)
    - the invariants: one files row per path, one run per loaded training log, no orphan rows, ...
    - the tool's views as `sql/` defines them (warehouse/trust.py)
    - objects the tool did not create: views, tables, macros, sequences, types, indexes, schemas
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.connect import connect, foreign_code
from warehouse.errors import WarehouseError
from warehouse.invariants import warehouse_problems
from warehouse.trust import differing_views, stale_tool_views, unknown_objects


@dataclass
class Verification:
    db: Path
    problems: list[str] = field(default_factory=list)
    counts: tuple = ()

    def line(self) -> str:
        files, runs, evals = self.counts or (0, 0, 0)
        return f"{self.db}: every check holds ({files} files, {runs} runs, {evals} evaluations)"


def verify_warehouse(db: Path) -> Verification:
    """Check the warehouse at `db` without changing it."""
    db = Path(db)
    if not db.exists():
        raise WarehouseError(f"no warehouse at {db}")
    con = connect(db, read_only=True, inspect=True)
    try:
        result = Verification(db)
        try:
            foreign = foreign_code(con)
            # with code of the file standing in for DuckDB's functions or the tool's tables, no
            # query beyond the catalog runs: the other commands refuse such a file
            result.problems = [f"{problem}: the other commands refuse this file" for problem in foreign]
            tables, problems = (False, []) if foreign else warehouse_problems(con, db)
            result.problems += problems
            if tables:
                result.problems += [f"view {name} is missing or not as the tool defines it (sql/): "
                                    "`nares ingest` reinstalls it" for name in differing_views(con)]
                result.problems += [f"view {name} belongs to an older version of the tool: `nares ingest` "
                                    "removes it" for name in stale_tool_views(con)]
                result.counts = con.execute(
                    "select (select count(*) from main.files), (select count(*) from main.runs), "
                    "(select count(*) from main.evals)").fetchone()
            result.problems += unknown_objects(con)
        except duckdb.Error as exc:
            result.problems.append(f"cannot be checked: {str(exc).splitlines()[0]}")
        return result
    finally:
        con.close()
