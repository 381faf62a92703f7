"""The one reader of the tool's SQL files: every .sql file lives under `sql/`, by kind.

    sql/views/<name>/v<N>.sql       view       helper views (warehouse/viewfiles.py parses their full header)
    sql/checks/<name>/v<N>.sql      check      check views (same header), headline.sql, flagged.sql
    sql/migrations/NNN_name.sql     migration  schema migrations (warehouse/migrate.py); no header rule:
                                               an applied migration is never edited
    sql/steps/NN_name.sql           step       derivation steps of every ingest (warehouse/steps.py)
    sql/invariants/NN_name.sql      invariant  integrity queries (warehouse/invariants.py)
    sql/report/<name>.sql           report     the report's queries (reports/data.py)
    sql/queries/<module>/<name>.sql query      the queries of a Python module (`read_query`)

Every file but a migration starts with a header whose first line is `-- <kind>: <name>` (the name
is the file's name without `.sql` and its `NN_` order prefix; a query's is `<module>/<name>`) and
which says what the file is for: `-- question:` (views, checks, reports, queries), `-- does:`
(steps) or `-- holds:` (invariants). `sql/README.md` states the rules; tests/test_sqlfiles.py holds
every file to them. A file that breaks them raises WarehouseError naming the file and line.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from warehouse.errors import WarehouseError


def sql_dir() -> Path:
    """The folder of the tool's SQL (views, checks, migrations, steps, invariants, report and module
    queries): `warehouse/sql/` in an installed package (setup.py ships the repository's top-level
    `sql/` there), else the top-level `sql/` of the source checkout this module runs from (and an
    editable install's)."""
    package = Path(__file__).resolve().parent
    shipped = package / "sql"
    return shipped if (shipped / "views").is_dir() else package.parent / "sql"


SQL_DIR = sql_dir()
CODE_DIR = Path(__file__).resolve().parent.parent
"""The folder holding the tool's packages (the checkout, or site-packages)."""

KIND_FOLDERS = {
    "migration": "migrations",
    "step": "steps",
    "invariant": "invariants",
    "report": "report",
    "query": "queries",
}
"""The kinds of plain query files (views and checks have their own reader, warehouse/viewfiles.py)
and their folder under `sql/`."""
PURPOSE_KEYS = {"view": "question", "check": "question", "report": "question", "query": "question",
                "step": "does", "invariant": "holds"}
"""The header line of each kind that says what the file is for."""
_ORDER_PREFIX = re.compile(r"\d+_")
_MIGRATION = re.compile(r"(\d{3})_[\w-]+\.sql")


def relative(path: Path) -> str:
    """How messages and the `view_versions` registry name a file: `sql/...` for the tool's SQL
    wherever it is installed, `warehouse/...` for its code, else the path as given."""
    resolved = Path(path).resolve()
    for base, prefix in ((SQL_DIR, "sql"), (CODE_DIR, "")):
        try:
            return str(Path(prefix, resolved.relative_to(base)))
        except ValueError:
            continue
    return str(path)


def fail(path: Path, line: int | None, reason: str) -> WarehouseError:
    """The one error of a bad SQL file: `sql/<file>:<line>: reason`."""
    where = f"{relative(path)}:{line}" if line else relative(path)
    return WarehouseError(f"{where}: {reason}")


def file_name(kind: str, path: Path, sql_dir: Path = SQL_DIR) -> str:
    """The name a file's header must give: its name without `.sql` (and `NN_`); a query's
    `<module>/<name>`."""
    if kind == "query":
        return path.relative_to(sql_dir / KIND_FOLDERS[kind]).with_suffix("").as_posix()
    stem = path.stem
    return stem[_ORDER_PREFIX.match(stem).end():] if kind in ("step", "invariant") and _ORDER_PREFIX.match(stem) else stem


def header_fields(text: str) -> list[tuple[int, str, str]]:
    """(line number, key, value) of each `-- key: value` line of the leading comment block (keys
    are lowercase words; continuation and prose lines are left out).

    >>> header_fields("-- step: sites\\n-- does: runs take their file's site.\\n--   more\\nupdate runs set x = 1")
    [(1, 'step', 'sites'), (2, 'does', "runs take their file's site.")]
    """
    fields = []
    for number, stripped in leading_comments(text):
        match = re.fullmatch(r"-- ([a-z][a-z_ ]*):(?:\s+(.*))?", stripped)
        if match:
            fields.append((number, match.group(1), (match.group(2) or "").strip()))
    return fields


def leading_comments(text: str) -> Iterator[tuple[int, str]]:
    """(line number, the line without surrounding blanks) of each comment line of the block a SQL
    file starts with: the header every reader of a file's header reads, up to its first line of SQL."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("--"):
            if stripped:
                return
            continue
        yield number, stripped


def check_header(kind: str, path: Path, text: str, sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """The header of one file of `kind`, held to the rules of sql/README.md: first line
    `-- <kind>: <name>` naming the file, and the kind's purpose line (`question:`, `does:`,
    `holds:`). Returns key -> value of its `-- key: value` lines."""
    fields = header_fields(text)
    name = file_name(kind, path, sql_dir)
    if not fields or fields[0][0] != 1 or fields[0][1] != kind:
        raise fail(path, 1, f"header must start with `-- {kind}: {name}` (see sql/README.md)")
    if fields[0][2] != name:
        raise fail(path, 1, f"header names {fields[0][2]!r}, but the file is {name!r}")
    purpose = PURPOSE_KEYS[kind]
    values = {key: value for _, key, value in fields}
    if not values.get(purpose):
        raise fail(path, 1, f"header lacks `-- {purpose}:` saying what the {kind} is for (see sql/README.md)")
    return values


def sql_paths(kind: str, sql_dir: Path = SQL_DIR) -> list[Path]:
    """Every file of `kind`, in name order (the order steps, invariants and migrations run in)."""
    folder = sql_dir / KIND_FOLDERS[kind]
    pattern = "*/*.sql" if kind == "query" else "*.sql"
    return sorted(folder.glob(pattern))


@lru_cache(maxsize=512)
def _checked_text(kind: str, path: Path, sql_dir: Path) -> str:
    text = path.read_text()
    if kind == "migration":
        if not _MIGRATION.fullmatch(path.name):
            raise fail(path, None, "unexpected file name: migrations are NNN_name.sql")
    else:
        check_header(kind, path, text, sql_dir)
    return text


def read_sql(kind: str, path: Path, sql_dir: Path = SQL_DIR) -> str:
    """The text of one SQL file of `kind`, its header checked (read once per process: the tool's
    SQL does not change while it runs)."""
    return _checked_text(kind, Path(path), sql_dir)


def read_named(kind: str, name: str, sql_dir: Path = SQL_DIR) -> str:
    """The text of the file of `kind` named `name` (`sql/report/<name>.sql`, `sql/queries/<name>.sql`);
    one clear line when there is none."""
    path = sql_dir / KIND_FOLDERS[kind] / f"{name}.sql"
    if not path.is_file():
        raise WarehouseError(f"{kind} query {relative(path)} is missing")
    return read_sql(kind, path, sql_dir)


def read_query(name: str) -> str:
    """A Python module's query, `sql/queries/<module>/<name>.sql`: `read_query("export/release_runs")`."""
    return read_named("query", name)


def all_sql_files(sql_dir: Path = SQL_DIR) -> list[tuple[str, Path]]:
    """(kind, path) of every plain query file under `sql/` (views and checks: warehouse/viewfiles.py)."""
    return [(kind, path) for kind in KIND_FOLDERS for path in sql_paths(kind, sql_dir)]
