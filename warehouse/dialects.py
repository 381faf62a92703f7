"""The views in other SQL engines' dialects (Spark, Trino, PostgreSQL), transpiled by sqlglot.

Views are written in DuckDB SQL; sqlglot rewrites what it knows (list functions, casts, string
aggregates, `filter` clauses, ...). A function sqlglot does not know is DuckDB-only (it would reach
the other engine unchanged and fail there): a view that calls one, or reads a view that does, is
listed as not portable instead of being printed.

>>> [v.view_name for v in transpile_views("spark") if not v.portable]
['check_duplicate_paired_v1', 'check_duplicate_paired']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from warehouse.errors import WarehouseError
from warehouse.viewfiles import DIALECT, SQL_DIR, load_view_files

DIALECTS = ("spark", "trino", "postgres")


@dataclass(frozen=True)
class DialectView:
    """One view in another dialect: its SQL there, or why it has none."""

    view_name: str
    kind: str
    sql: str | None
    reason: str | None = None

    @property
    def portable(self) -> bool:
        return self.sql is not None

    def statement(self) -> str:
        if self.portable:
            return f"create or replace view {self.view_name} as\n{self.sql};"
        return f"-- not portable: {self.view_name} {self.reason}"


def zip_parallel_unnests(tree: exp.Expression) -> exp.Expression:
    """DuckDB zips several `unnest(list) as x` of one select list; Spark would cross them.

    select id, unnest(a) as x, unnest(b) as y  ->  select id, inline(arrays_zip(a, b)) as (x, y)
    """
    for select in list(tree.find_all(exp.Select)):
        items = [e for e in select.expressions if isinstance(e, exp.Alias) and isinstance(e.this, (exp.Explode, exp.Unnest))]
        if len(items) < 2:
            continue
        arrays = [item.this.this if isinstance(item.this, exp.Explode) else item.this.expressions[0] for item in items]
        zipped = exp.Aliases(
            this=exp.Anonymous(this="inline", expressions=[exp.Anonymous(this="arrays_zip", expressions=arrays)]),
            expressions=[exp.to_identifier(item.alias) for item in items],
        )
        first = select.expressions.index(items[0])
        rest = [e for e in select.expressions if e not in items]
        select.set("expressions", rest[:first] + [zipped] + rest[first:])
    return tree


def dollar_backreferences(tree: exp.Expression) -> exp.Expression:
    r"""regexp_replace's `\1` in the replacement is `$1` in Java and Trino regular expressions."""
    for node in tree.find_all(exp.RegexpReplace):
        replacement = node.args.get("replacement")
        if isinstance(replacement, exp.Literal) and replacement.is_string:
            node.set("replacement", exp.Literal.string(re.sub(r"\\(\d)", r"$\1", replacement.this)))
    return tree


def global_replace_without_flag(tree: exp.Expression) -> exp.Expression:
    """Trino's regexp_replace replaces every match and takes no 'g' flag argument."""
    for node in tree.find_all(exp.RegexpReplace):
        modifiers = node.args.get("modifiers")
        if isinstance(modifiers, exp.Literal) and modifiers.this == "g":
            node.set("modifiers", None)
    return tree


# what each dialect needs beyond sqlglot's own transpiling, in order
REWRITES = {
    "spark": (zip_parallel_unnests, dollar_backreferences),
    "trino": (dollar_backreferences, global_replace_without_flag),
    "postgres": (),
}


def duckdb_only_functions(tree: exp.Expression) -> list[str]:
    """Functions sqlglot does not know (parsed as Anonymous): DuckDB's own."""
    return sorted({node.name.lower() for node in tree.find_all(exp.Anonymous)})


def transpile_views(dialect: str, sql_dir=SQL_DIR) -> list[DialectView]:
    """Every view version and current alias, in install order, in `dialect`."""
    if dialect not in DIALECTS:
        raise WarehouseError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    files = load_view_files(sql_dir)
    out: list[DialectView] = []
    blocked: dict[str, str] = {}
    newest = {}
    for f in files:
        tree = sqlglot.parse_one(f.sql, read=DIALECT)
        own = duckdb_only_functions(tree)
        upstream = sorted(r for r in f.reads if r in blocked)
        if own:
            blocked[f.view_name] = f"uses DuckDB-only functions: {', '.join(own)}"
        elif upstream:
            blocked[f.view_name] = f"reads {', '.join(upstream)}, which is not portable"
        if f.view_name in blocked:
            out.append(DialectView(f.view_name, f.kind, None, blocked[f.view_name]))
        else:
            for rewrite in REWRITES[dialect]:
                tree = rewrite(tree)
            out.append(DialectView(f.view_name, f.kind, tree.sql(dialect=dialect, pretty=True)))
        if f.name not in newest or f.version > newest[f.name].version:
            newest[f.name] = f
    for name, f in newest.items():
        if f.view_name in blocked:
            out.append(DialectView(name, f.kind, None, f"selects from {f.view_name}, which is not portable"))
        else:
            out.append(DialectView(name, f.kind, f"select * from {f.view_name}"))
    return out


def render_dialect(dialect: str) -> str:
    """The script `cli.py views --dialect` prints: a header, then one statement per view."""
    views = transpile_views(dialect)
    skipped = [v.view_name for v in views if not v.portable]
    head = [
        f"-- RobustNASBench warehouse views for {dialect}, transpiled from DuckDB SQL by sqlglot {sqlglot.__version__}.",
        "-- Tables: load `nares export parquet DIR` (DIR/<table>/, Hive-partitioned by site) under the same names.",
        f"-- {len(views) - len(skipped)} views portable; not portable: {', '.join(skipped) or 'none'}.",
    ]
    return "\n".join(head) + "\n\n" + "\n\n".join(v.statement() for v in views) + "\n"
