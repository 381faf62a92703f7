"""The registry of views: every `.sql` file under `sql/` installed into the warehouse.

Minimal for now: `sql/views/<name>.sql` becomes view `<name>`; `sql/checks/<name>/v<N>.sql` becomes
`check_<name>_v<N>`, and `check_<name>` points at the highest N.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_VERSION = re.compile(r"v(\d+)\.sql")


def view_files() -> list[tuple[str, Path]]:
    """(view name, file) for every view, helpers first, checks in version order."""
    out = [(p.stem, p) for p in sorted((SQL_DIR / "views").glob("*.sql"))]
    for folder in sorted(p for p in (SQL_DIR / "checks").glob("*") if p.is_dir()):
        versions = sorted(
            (int(m.group(1)), p) for p in folder.glob("v*.sql") if (m := _VERSION.fullmatch(p.name))
        )
        out.extend((f"check_{folder.name}_v{n}", p) for n, p in versions)
    return out


def views_fingerprint() -> str:
    digest = hashlib.sha256()
    for name, path in view_files():
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def install_views(con: duckdb.DuckDBPyConnection) -> None:
    latest: dict[str, str] = {}
    for name, path in view_files():
        con.execute(f"create or replace view {name} as\n{path.read_text()}")
        if name.startswith("check_"):
            latest[name.rsplit("_v", 1)[0]] = name
    for alias, target in latest.items():
        con.execute(f"create or replace view {alias} as select * from {target}")
