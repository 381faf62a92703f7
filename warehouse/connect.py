"""The one way to open the warehouse file.

New files are written in DuckDB's v1.0.0 storage format: DuckDB 2.0 defaults to storage version 69,
which the DuckDB CLI users have (1.5.x) and older releases refuse to open. The version sticks when
the file is reopened.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError

STORAGE_VERSION = "v1.0.0"
DEFAULT_DB = Path(__file__).resolve().parent / "robustnasbench.duckdb"
_MAGIC = b"DUCK"


def default_db_path() -> Path:
    """`--db` default: $RNB_DB, else warehouse/robustnasbench.duckdb in the project."""
    env = os.environ.get("RNB_DB")
    return Path(env) if env else DEFAULT_DB


def check_duckdb_file(path: Path) -> None:
    """Refuse, with one clear line, a path that exists but is not a DuckDB database file."""
    if not path.exists():
        return
    if path.is_dir():
        raise WarehouseError(f"{path} is a directory, not a DuckDB database file")
    with open(path, "rb") as handle:
        head = handle.read(16)
    if len(head) < 12 or head[8:12] != _MAGIC:
        raise WarehouseError(f"{path} is not a DuckDB database file (no DUCK header); refusing to touch it")


def connect(path: Path | str, read_only: bool = False, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a new file is created in the compatible storage format."""
    path = Path(path)
    check_duckdb_file(path)
    config = {}
    if not path.exists() and not read_only:
        config["storage_compatibility_version"] = STORAGE_VERSION
    if threads:
        config["threads"] = threads
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        if "lock" in first.lower():
            raise WarehouseError(f"{path} is locked by another process that writes to it: {first}") from None
        raise WarehouseError(f"cannot open {path}: {first}") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open {path}: {str(exc).splitlines()[0]}") from None
