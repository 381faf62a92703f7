"""An empty warehouse of this version of the tool, made once and copied for every new warehouse.

A new warehouse needs every migration and every view installed before its first row: about a
second of DuckDB binding ~80 views, the larger part of a small ingest. That work depends only on
the tool's SQL files, its installing code and the DuckDB version, so it is done once per version
into a file in the user's cache folder (`$XDG_CACHE_HOME/nares`, else `~/.cache/nares`), named by
the hash of all of those (`template_key`). An ingest that starts a warehouse copies it, then dates
its `migrations` and `view_versions` rows as its own. A cached file is used only when its SHA-256
is the one recorded when it was made; anything else (no cache folder, a damaged or foreign file)
is made again or, failing that, the warehouse is built in place as before.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.cache import cache_dir, made_meanwhile
from warehouse.connect import connect
from warehouse.migrate import MIGRATIONS_DIR, migrate
from warehouse.viewfiles import SQL_DIR
from warehouse.views import install_views

SHAPING_CODE = ("connect.py", "migrate.py", "params.py", "registry.py", "sqlfiles.py", "viewfiles.py", "views.py")
"""The modules whose code decides what an empty warehouse holds (besides the SQL files)."""


def template_key(sql_dir: Path = SQL_DIR, migrations_dir: Path = MIGRATIONS_DIR) -> str:
    """The hash of everything an empty warehouse is made from: every file under the SQL folder
    and the migrations, the modules that install them, and the DuckDB version."""
    digest = hashlib.sha256(f"duckdb {duckdb.__version__}\0".encode())
    here = Path(__file__).parent
    files = {p for folder in (sql_dir, migrations_dir) for p in folder.rglob("*") if p.is_file()}
    files |= {here / name for name in SHAPING_CODE if (here / name).exists()}
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build(folder: Path, key: str) -> Path:
    """Make the empty warehouse under a private name, then give it (and its hash) the key's name."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=f"{key}.", suffix=".part")
    os.close(handle)
    part = Path(name)
    part.unlink()  # DuckDB makes the file itself
    try:
        con = connect(part)
        try:
            migrate(con, part)
            install_views(con)
            con.execute("checkpoint")
        finally:
            con.close()
        digest = part.with_name(part.name + ".sha256")
        digest.write_text(_sha256(part))
        os.replace(digest, folder / f"{key}.sha256")
        os.replace(part, folder / f"{key}.duckdb")
    finally:
        for leftover in (part, part.with_name(part.name + ".wal"), part.with_name(part.name + ".sha256")):
            leftover.unlink(missing_ok=True)
    return folder / f"{key}.duckdb"


def empty_warehouse() -> Path | None:
    """The cached empty warehouse of this tool version, made when missing or not as recorded;
    None when it can be neither read nor made (the caller builds the warehouse in place)."""
    made_meanwhile(empty_warehouse)
    key, folder = template_key(), cache_dir()
    path = folder / f"{key}.duckdb"
    try:
        if path.is_file() and (folder / f"{key}.sha256").read_text().strip() == _sha256(path):
            return path
    except OSError:
        pass
    try:
        return _build(folder, key)
    except (OSError, duckdb.Error):
        return None


def start_from_template(target: Path) -> bool:
    """Copy the empty warehouse to `target` (a path with no file yet); False when there is none."""
    template = empty_warehouse()
    if template is None:
        return False
    try:
        shutil.copyfile(template, target)
    except OSError:
        target.unlink(missing_ok=True)
        return False
    return True


def date_as_new(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """A warehouse started from the template: its migrations were applied, and its views
    installed, now."""
    con.execute("update migrations set applied_at = ?", [now])
    con.execute("update view_versions set installed_at = ?", [now])
