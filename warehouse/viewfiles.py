"""The view files under `sql/`, read, parsed with sqlglot and checked before anything is installed.

    sql/views/<name>/v<N>.sql    helper view  <name>_v<N>        (<name> selects from the newest)
    sql/checks/<name>/v<N>.sql   check view   check_<name>_v<N>  (check_<name> selects from the newest)
    sql/checks/<name>/headline.sql   view check_<name>_headline: the one-line summary `nares check` prints
    sql/checks/<name>/flagged.sql    view check_<name>_flagged: the runs the check flags, (run_id, arch_id, site): what
                                     `export arch-list` and `--exclude-check` read (checks whose
                                     findings are not runs have none)

Every view file starts with a header that documents it and that the registry stores:

    -- check: best_epoch
    -- version: 2 (what changed from v1)
    -- grain: one row per finished training run
    -- reads: params_v1, run_summary_v1
    -- question: Did the run reach its best CW-40 checkpoint before the first lr decay?
    --   (continuation lines are indented)
    -- columns:
    --   run_id: the run (runs.run_id)

The body is one query. Its tables and views are taken from the sqlglot parse tree (CTE names left
out) and must match the header's `reads:`; a view reads other views by their versioned name, so a
new version of a helper never changes what an old check returns. Any problem raises WarehouseError
naming the file and line.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb

from warehouse.cache import cache_dir, keep
from warehouse.errors import WarehouseError
from warehouse.sqlfiles import SQL_DIR, fail, leading_comments, relative

if TYPE_CHECKING:
    from sqlglot import exp

DIALECT = "duckdb"
HEADER_KEYS = ("version", "grain", "reads", "question", "columns")
_VERSION_FILE = re.compile(r"v(\d+)\.sql")
_HEADER_KEY = re.compile(r"([a-z_]+):\s*(.*)")
_VERSION_LINE = re.compile(r"(\d+)\s*(?:\((.*)\))?\s*", re.S)
_COLUMN = re.compile(r"([a-z_][a-z0-9_]*):\s*(.*)")
# version line `1 (alias of v2, ...)`: a same-rows rewrite replaced this version's SQL; the file holds
# only `select * from <name>_v2`, so the old name keeps working
_ALIAS = re.compile(r"alias of v(\d+)\b")
# optional header line `-- requires: epochs.lr, run_settings.value`: inputs without which the view
# cannot answer (a release file has no lr, settings or sites); `cli.py check` says when they are absent
_REQUIRES = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Header:
    """What a view file says about itself."""

    subject: str
    version: int
    changes: str
    grain: str
    reads: tuple[str, ...]
    question: str
    columns: tuple[tuple[str, str], ...]
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewFile:
    """One version of one view, ready to install."""

    name: str
    version: int
    kind: str
    path: Path
    sql: str
    header: Header
    reads: tuple[str, ...]

    @property
    def view_name(self) -> str:
        return f"{self.name}_v{self.version}"

    @property
    def alias_of(self) -> str | None:
        """The version this one is an alias of (same rows), e.g. run_neighbours_v2; None for a query."""
        match = _ALIAS.match(self.header.changes)
        return f"{self.name}_v{match.group(1)}" if match else None

    @property
    def rel_path(self) -> str:
        return relative(self.path)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


_fail = fail  # the one error of a bad SQL file (warehouse/sqlfiles.py)


def parse_header(text: str, path: Path) -> Header:
    """The leading `-- key: value` comment block of a view file.

    >>> parse_header("-- view: x\\n-- version: 1 (first)\\n-- grain: g\\n-- reads: t\\n-- question: q\\n"
    ...              "-- columns:\\n--   a: the a\\nselect 1 as a", Path("x.sql")).columns
    (('a', 'the a'),)
    """
    fields: dict[str, str] = {}
    columns: list[list[str]] = []
    key = None
    for number, stripped in leading_comments(text):
        body = stripped[2:]
        indent = len(body) - len(body.lstrip())
        body = body.strip()
        if not body:
            continue
        if indent == 1 and (match := _HEADER_KEY.fullmatch(body)):
            key = match.group(1)
            if key in fields:
                raise _fail(path, number, f"header key {key}: given twice")
            fields[key] = match.group(2).strip()
        elif key == "columns" and indent == 3 and (match := _COLUMN.fullmatch(body)):
            columns.append([match.group(1), match.group(2).strip()])
        elif key and indent >= 3:
            if key == "columns" and columns:
                columns[-1][1] = f"{columns[-1][1]} {body}"
            elif key != "columns":
                fields[key] = f"{fields[key]} {body}".strip()
            else:
                raise _fail(path, number, f"header column line is not 'name: description': {stripped!r}")
        else:
            raise _fail(path, number, f"header line not understood: {stripped!r}")
    subject_keys = [k for k in ("check", "view") if k in fields]
    missing = [k for k in HEADER_KEYS if k not in fields]
    if len(subject_keys) != 1 or missing:
        what = ", ".join(missing + ([] if len(subject_keys) == 1 else ["check or view"]))
        raise _fail(path, 1, f"header lacks {what} (see sql/README.md)")
    version = _VERSION_LINE.fullmatch(fields["version"])
    if not version:
        raise _fail(path, 1, f"header version must be a number with an optional (change note): {fields['version']!r}")
    if not columns:
        raise _fail(path, 1, "header lists no columns")
    reads = tuple(sorted(r.strip() for r in fields["reads"].split(",") if r.strip()))
    requires = tuple(sorted(r.strip() for r in fields.get("requires", "").split(",") if r.strip()))
    for item in requires:
        if not _REQUIRES.fullmatch(item):
            raise _fail(path, 1, f"header requires {item!r}: list table.column inputs, e.g. epochs.lr")
    return Header(
        subject=fields[subject_keys[0]],
        version=int(version.group(1)),
        changes=(version.group(2) or "").strip(),
        grain=fields["grain"],
        reads=reads,
        question=fields["question"],
        columns=tuple((c, d) for c, d in columns),
        requires=requires,
    )


def _token_error_line(sql: str, message: str) -> int | None:
    """Line of a sqlglot tokenizer error, which names none: DuckDB's own parser points at it."""
    try:
        duckdb.connect(":memory:", config={"enable_external_access": False}).extract_statements(sql)
    except duckdb.Error as exc:
        found = re.search(r"^LINE (\d+):", str(exc), re.M)
        if found:
            return int(found.group(1))
    context = message.partition("Error tokenizing '")[2].rstrip("'")
    at = sql.find(context) if context else -1
    return sql.count("\n", 0, at + len(context)) + 1 if at >= 0 else None


def parse_query(sql: str, path: Path) -> exp.Expression:
    """The one query of a file, parsed with sqlglot's DuckDB dialect."""
    import sqlglot  # ~0.1 s to import: a command whose view files' reads are all known needs none
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise _fail(path, first.get("line"), f"SQL syntax error: {first.get('description', str(exc))}") from None
    except sqlglot.errors.TokenError as exc:
        raise _fail(path, _token_error_line(sql, str(exc)), f"SQL syntax error: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise _fail(path, None, f"holds {len(statements)} statements; a view file holds one query")
    if not isinstance(statements[0], exp.Query):
        raise _fail(path, None, f"is a {statements[0].key.upper()} statement; a view file holds one query")
    return statements[0]


_KNOWN_READS = "view-reads.json"
_KNOWN_READS_KEPT = 2000
_unsaved_reads: dict[str, list[str] | None] = {}


@lru_cache(maxsize=1)
def _sqlglot_version() -> str:
    """sqlglot's version, read from its files without importing it (a parse may differ by version)."""
    try:
        spec = importlib.util.find_spec("sqlglot")
        return (Path(spec.origin).parent / "_version.py").read_text()
    except (AttributeError, TypeError, OSError, ValueError):
        return "unknown"


def _reads_key(sql: str) -> str:
    return hashlib.sha256(f"{_sqlglot_version()}\0{sql}".encode()).hexdigest()[:32]


@lru_cache(maxsize=1)
def _known_reads() -> dict[str, list[str] | None]:
    """What earlier commands parsed (cache folder, warehouse/cache.py): query text hash -> the
    tables it reads, or None when it did not parse. Parsing every view file with sqlglot took
    ~0.6 s of every command that opens a warehouse; a damaged or foreign cache file is ignored."""
    try:
        data = json.loads((cache_dir() / _KNOWN_READS).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and (
        v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v)))}


def save_known_reads() -> None:
    """Add the reads parsed by this process to the cache file (the newest entries kept)."""
    if not _unsaved_reads:
        return
    known = {**_known_reads(), **_unsaved_reads}
    _unsaved_reads.clear()
    kept = dict(list(known.items())[-_KNOWN_READS_KEPT:])
    _known_reads().update(kept)
    keep(cache_dir() / _KNOWN_READS, json.dumps(kept))  # no cache folder: parsed again next time


@lru_cache(maxsize=512)
def _parsed_reads(sql: str) -> tuple[str, ...] | None:
    """`tables_read` of a query that parses as one query, by its text alone (the same file in a
    copy of the SQL folder, or in a later command, is not parsed again); None when it does not parse."""
    key = _reads_key(sql)
    if key in _known_reads():
        known = _known_reads()[key]
        return None if known is None else tuple(known)
    try:
        reads = tables_read(parse_query(sql, Path()))
    except WarehouseError:
        reads = None
    _unsaved_reads[key] = None if reads is None else list(reads)
    return reads


def query_reads(sql: str, path: Path) -> tuple[str, ...]:
    """What a file's query reads; a query that does not parse fails naming `path`."""
    reads = _parsed_reads(sql)
    return reads if reads is not None else tables_read(parse_query(sql, path))


def tables_read(tree: exp.Expression) -> tuple[str, ...]:
    """Tables and views a parsed query reads, without its own CTE names.

    >>> import sqlglot
    >>> tables_read(sqlglot.parse_one("with a as (select * from runs) select * from a join evals using (x)", read="duckdb"))
    ('evals', 'runs')
    """
    from sqlglot import exp

    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function: range(...), unnest(...)
        name = ".".join(p for p in (table.catalog, table.db, table.name) if p)
        if name not in ctes:
            names.add(name)
    return tuple(sorted(names))


def read_view_file(path: Path, name: str, version: int, kind: str) -> ViewFile:
    """Read, parse and cross-check one view file."""
    return _checked_view_file(Path(path), name, version, kind, path.read_text())


def view_sql(text: str) -> str:
    """The query of a view file's text, as installed (header comments kept, no final semicolon)."""
    return text.strip().rstrip(";").rstrip()


@lru_cache(maxsize=256)
def _checked_view_file(path: Path, name: str, version: int, kind: str, text: str) -> ViewFile:
    """Parsing is the slow part of an install: the same text at the same place is parsed once."""
    sql = view_sql(text)
    header = parse_header(sql, path)
    subject = name.removeprefix("check_") if kind == "check" else name
    if header.subject != subject:
        raise _fail(path, 1, f"header names {header.subject!r}, but the folder is {subject!r}")
    if header.version != version:
        raise _fail(path, 1, f"header says version {header.version}, but the file is v{version}.sql")
    reads = query_reads(sql, path)
    alias = _ALIAS.match(header.changes)
    if alias:
        target = f"{name}_v{alias.group(1)}"
        body = " ".join(" ".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).split())
        if int(alias.group(1)) <= version or body != f"select * from {target}":
            raise _fail(path, 1, f"an alias of a newer version holds only `select * from {target}` (see sql/README.md)")
    if reads != header.reads:
        raise _fail(
            path, 1,
            f"header says it reads {', '.join(header.reads) or 'nothing'}, the SQL reads {', '.join(reads) or 'nothing'}",
        )
    return ViewFile(name=name, version=version, kind=kind, path=path, sql=sql, header=header, reads=reads)


def _versions(folder: Path) -> list[tuple[int, Path]]:
    found = []
    for path in folder.glob("*.sql"):
        match = _VERSION_FILE.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
        elif path.name not in ("headline.sql", "flagged.sql"):
            raise _fail(path, None, "unexpected file name: view files are v<N>.sql (and headline.sql, flagged.sql for checks)")
    return sorted(found)


def view_paths(sql_dir: Path = SQL_DIR) -> list[tuple[str, int, str, Path]]:
    """(name, version, kind, path) of every view file: helpers, then checks, each in version order."""
    out = []
    for kind, folder, prefix in (("helper", sql_dir / "views", ""), ("check", sql_dir / "checks", "check_")):
        for sub in sorted(p for p in folder.glob("*") if p.is_dir()):
            out.extend((prefix + sub.name, n, kind, path) for n, path in _versions(sub))
    return out


def load_view_files(sql_dir: Path = SQL_DIR) -> list[ViewFile]:
    """All view files, parsed and checked, in an order in which each comes after what it reads."""
    files = [read_view_file(path, name, n, kind) for name, n, kind, path in view_paths(sql_dir)]
    save_known_reads()
    by_view = {f.view_name: f for f in files}
    aliases = {f.name for f in files}
    for f in files:
        for read in f.reads:
            if read in aliases and read not in by_view:
                newest = max(g.version for g in files if g.name == read)
                raise _fail(f.path, 1,
                            f"reads {read}: read a fixed version ({read}_v{newest}) so that new versions cannot change it")
    ordered: list[ViewFile] = []
    placed: set[str] = set()
    pending = list(files)
    while pending:
        ready = [f for f in pending if all(r in placed or r not in by_view for r in f.reads)]
        if not ready:
            cycle = ", ".join(f.rel_path for f in pending)
            raise WarehouseError(f"views read each other in a cycle: {cycle}")
        for f in ready:
            ordered.append(f)
            placed.add(f.view_name)
        pending = [f for f in pending if f.view_name not in placed]
    return ordered


def views_reached(readers: list[list[str]] | list[tuple[str, ...]], sql_dir: Path = SQL_DIR) -> list[set[str]]:
    """For each reader (the names one query reads), the tool views it reads, directly or through
    other views; a name without a version is its newest version."""
    reached = _reach(load_view_files(sql_dir))
    return [reached(reader) for reader in readers]


def tables_reached(readers: list[list[str]] | list[tuple[str, ...]], sql_dir: Path = SQL_DIR) -> list[set[str]]:
    """For each reader (the names one query reads), what it reads in the end: the names among
    them, and among what the views it reaches read, that are not tool views (the tables)."""
    files = load_view_files(sql_dir)
    views = {f.view_name for f in files} | {f.name for f in files}
    reads = {f.view_name: f.reads for f in files}
    reached = _reach(files)
    out = []
    for reader in readers:
        found = {name for name in reader if name not in views}
        for view in reached(reader):
            found.update(name for name in reads[view] if name not in views)
        out.append(found)
    return out


def _reach(files: list[ViewFile]) -> Callable[[list[str] | tuple[str, ...]], set[str]]:
    """names -> the views they are or read, directly or through other views (an unversioned name:
    its newest version)."""
    reads = {f.view_name: f.reads for f in files}
    newest = {f.name: f.view_name for f in sorted(files, key=lambda f: f.version)}  # the highest version stays

    def reached(names: list[str] | tuple[str, ...]) -> set[str]:
        seen: set[str] = set()
        todo = [newest.get(name, name) for name in names]
        while todo:
            name = todo.pop()
            if name in reads and name not in seen:
                seen.add(name)
                todo.extend(reads[name])
        return seen

    return reached


def shared_helpers(readers: list[list[str]] | list[tuple[str, ...]], sql_dir: Path = SQL_DIR) -> dict[str, tuple[str, ...]]:
    """The views that two or more readers read, directly or through other views, each with the
    others of them it reads (directly or through other views), in an order in which each comes
    after what it reads. A reader is the names one query reads (a check view, a report query's
    tables); a name without a version is its newest version. What a run of several checks or
    report queries computes once (warehouse/query.py `on_cursors`) instead of once per query."""
    files = load_view_files(sql_dir)
    reached = _reach(files)
    counts: dict[str, int] = {}
    for reader in readers:
        for name in reached(reader):
            counts[name] = counts.get(name, 0) + 1
    shared = [f.view_name for f in files if counts.get(f.view_name, 0) >= 2]
    below = {name: reached([name]) - {name} for name in shared}
    return {name: tuple(other for other in shared if other in below[name]) for name in shared}


CHECK_QUERY_COLUMNS = {
    "headline": (
        ("headline", "the check's one-line summary, the line `nares check` prints after the check's name"),
        ("findings", "how many findings the check has: what `nares check --fail-on` counts"),
    ),
    "flagged": (
        ("run_id", "a run the check flags (runs.run_id)"),
        ("arch_id", "its architecture (runs.arch_id)"),
        ("site", "its site (runs.site)"),
    ),
}
"""The two queries of a check folder besides its versions, and the columns each returns."""
CHECK_QUERY_GRAIN = {"headline": "one row", "flagged": "one row per flagged run"}


@dataclass(frozen=True)
class CheckQuery:
    """A check's headline or flagged-runs query (`sql/checks/<name>/headline.sql`, `flagged.sql`),
    installed as the view `check_<name>_headline` / `check_<name>_flagged`: not versioned (they read
    the check's current view), so the duckdb shell gets the line `nares check` prints."""

    check: str
    kind: str
    path: Path
    sql: str
    description: str
    reads: tuple[str, ...]

    @property
    def view_name(self) -> str:
        return check_query_view(self.check, self.kind)

    @property
    def rel_path(self) -> str:
        return relative(self.path)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return CHECK_QUERY_COLUMNS[self.kind]


def _query_description(sql: str) -> str:
    """The leading comment of a headline or flagged file as one sentence-ish text, without its
    `-- flagged:` line (which says which rows `--details` lists first)."""
    lines = []
    for _, stripped in leading_comments(sql):
        body = stripped[2:].strip()
        if body and not body.startswith("flagged:"):
            lines.append(body)
    return " ".join(lines)


@lru_cache(maxsize=256)
def _checked_check_query(path: Path, check: str, kind: str, text: str) -> CheckQuery:
    sql = view_sql(text)
    reads = query_reads(sql, path)
    description = _query_description(sql)
    if not description:
        raise _fail(path, 1, f"starts with no comment saying what the {kind} query shows (see sql/README.md)")
    return CheckQuery(check=check, kind=kind, path=path, sql=sql, description=description, reads=reads)


def check_query_view(check: str, kind: str) -> str:
    """The view a check's headline or flagged-runs query is installed as: check_<name>_<kind>."""
    return f"check_{check.removeprefix('check_')}_{kind}"


def check_query_views(sql_dir: Path = SQL_DIR) -> list[str]:
    """The headline and flagged-runs views of every check folder, from the file names alone."""
    return [check_query_view(folder.name, kind) for folder in sorted(p for p in (sql_dir / "checks").glob("*") if p.is_dir())
            for kind in ("headline", "flagged") if (folder / f"{kind}.sql").exists()]


def check_query_path(check: str, kind: str, sql_dir: Path = SQL_DIR) -> Path:
    return sql_dir / "checks" / check.removeprefix("check_") / f"{kind}.sql"


def headline_path(check: str, sql_dir: Path = SQL_DIR) -> Path:
    return check_query_path(check, "headline", sql_dir)


def read_check_query(check: str, kind: str, sql_dir: Path = SQL_DIR) -> CheckQuery:
    """A check's headline or flagged query, parsed with sqlglot (a syntax error names file and line)."""
    path = check_query_path(check, kind, sql_dir)
    return _checked_check_query(path, check.removeprefix("check_"), kind, path.read_text())


def load_check_queries(sql_dir: Path = SQL_DIR) -> list[CheckQuery]:
    """The headline (every check folder has one) and flagged-runs query (checks whose findings are
    runs) of every check, in check name order."""
    out = []
    for folder in sorted(p for p in (sql_dir / "checks").glob("*") if p.is_dir()):
        if not (folder / "headline.sql").exists():
            raise _fail(folder / "headline.sql", None, "missing: every check folder has a headline.sql")
        out.append(read_check_query(folder.name, "headline", sql_dir))
        if (folder / "flagged.sql").exists():
            out.append(read_check_query(folder.name, "flagged", sql_dir))
    save_known_reads()
    return out


def read_headline(check: str, sql_dir: Path = SQL_DIR) -> str:
    """The query `nares check` runs for a check's headline: its installed view (the file parsed first)."""
    name = check.removeprefix("check_")
    if not headline_path(name, sql_dir).exists():
        raise _fail(headline_path(name, sql_dir), None, "missing: every check folder has a headline.sql")
    query = read_check_query(name, "headline", sql_dir)
    return f"select headline, findings from {query.view_name}"


def flagged_checks(sql_dir: Path = SQL_DIR) -> list[str]:
    """The checks whose findings are runs: those with a flagged.sql, sorted."""
    return sorted(path.parent.name for path in (sql_dir / "checks").glob("*/flagged.sql"))


def read_flagged(check: str, sql_dir: Path = SQL_DIR) -> str:
    """The query of a check's flagged runs, (run_id, arch_id, site): its installed view
    `check_<name>_flagged`, what `export arch-list` and `--exclude-check` read; one clear line for a
    check whose findings are not runs."""
    name = check.removeprefix("check_")
    if name not in flagged_checks(sql_dir):
        raise WarehouseError(f"check {name!r} does not flag archs: use one of {', '.join(flagged_checks(sql_dir))}")
    query = read_check_query(name, "flagged", sql_dir)
    return f"select run_id, arch_id, site from {query.view_name}"


def tool_view_queries(sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """Every view the tool installs -> its query, in install order (each after what it reads):
    `<name>_v<N>` from its file, `<name>` selecting from the newest version, then each check's
    `check_<name>_headline` and `check_<name>_flagged` (as warehouse/views.py installs them)."""
    files = load_view_files(sql_dir)
    queries = {f.view_name: f.sql for f in files}
    newest: dict[str, int] = {}
    for f in files:
        newest[f.name] = max(newest.get(f.name, 0), f.version)
    for name, version in sorted(newest.items()):
        queries[name] = f"select * from {name}_v{version}"
    for q in load_check_queries(sql_dir):
        queries[q.view_name] = q.sql
    return queries


def sql_fingerprint(sql_dir: Path = SQL_DIR) -> str:
    """Hash of every file under sql/ and of the code that installs them: changes when views must be reinstalled."""
    digest = hashlib.sha256()
    files = [path for _, _, _, path in view_paths(sql_dir)] + [q.path for q in load_check_queries(sql_dir)]
    for path in files + [Path(__file__), Path(__file__).with_name("views.py")]:
        digest.update(relative(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
