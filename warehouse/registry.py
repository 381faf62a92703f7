"""The registry of checks: every folder `sql/checks/<name>/` is one check, found by `checks()`.

Nothing lists the checks anywhere else: `nares check`, the exports (`--check`, `--exclude-check`),
the installer and the report read them from here, so adding a check is adding a folder:

    sql/checks/<name>/v<N>.sql        its view versions (check_<name>_v<N>, check_<name> the newest)
    sql/checks/<name>/headline.sql    the line `nares check` prints (view check_<name>_headline)
    sql/checks/<name>/flagged.sql     the runs it flags, when its findings are runs (check_<name>_flagged)
    sql/checks/<name>/params.toml     its thresholds: defaults of the table check_params (optional)
    sql/checks/<name>/check.toml      its title, report section, figures and verdicts

A helper view's thresholds live next to it the same way (`sql/views/<name>/params.toml`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the tomli backport (pyproject.toml)
    import tomli as tomllib

from warehouse.errors import WarehouseError
from warehouse.viewfiles import SQL_DIR, relative, view_paths

MANIFEST = "check.toml"
PARAMS = "params.toml"
_MANIFEST_KEYS = {"title": str, "section": str, "figures": list, "verdicts": list}
_PARAM_KEYS = {"value": (int, float), "unit": str, "read_by": str, "description": str}


@dataclass(frozen=True)
class Param:
    """One parameter of check_params as its folder's params.toml defines it."""

    name: str
    value: float
    unit: str
    read_by: str
    description: str
    path: Path


@dataclass(frozen=True)
class Check:
    """One registered check: its folder and what its manifest says."""

    name: str
    folder: Path
    title: str
    section: str
    figures: tuple[str, ...]
    verdicts: tuple[str, ...]
    newest_version: int
    flags_runs: bool
    params: tuple[Param, ...]

    @property
    def view(self) -> str:
        return f"check_{self.name}"

    @property
    def newest_view(self) -> str:
        return f"check_{self.name}_v{self.newest_version}"


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WarehouseError(f"{relative(path)}: cannot be read: {exc}") from None


def read_params(path: Path) -> tuple[Param, ...]:
    """The parameters of one params.toml: a table per parameter with value, unit, read_by, description."""
    params = []
    for name, fields in _toml(path).items():
        if not isinstance(fields, dict) or set(fields) != set(_PARAM_KEYS) or not all(
                isinstance(fields[k], t) and not isinstance(fields[k], bool) for k, t in _PARAM_KEYS.items()):
            raise WarehouseError(f"{relative(path)}: parameter {name!r} needs exactly {', '.join(_PARAM_KEYS)} "
                                 "(a number and three texts; see sql/README.md)")
        prefix, dot, what = name.partition(".")
        if not (dot and prefix.replace("_", "").isalnum() and what.replace("_", "").isalnum()
                and name == name.lower() and math.isfinite(fields["value"])):
            raise WarehouseError(f"{relative(path)}: parameter {name!r}: names are <check>.<what> in lowercase, "
                                 "values finite numbers")
        params.append(Param(name=name, value=float(fields["value"]), unit=fields["unit"],
                            read_by=fields["read_by"], description=fields["description"], path=path))
    return tuple(params)


def default_params(sql_dir: Path = SQL_DIR) -> list[Param]:
    """Every parameter of every check and helper view folder, in folder order; a name defined twice
    is refused."""
    out: list[Param] = []
    for kind in ("views", "checks"):
        for path in sorted((sql_dir / kind).glob(f"*/{PARAMS}")):
            out.extend(read_params(path))
    seen: dict[str, Param] = {}
    for p in out:
        if p.name in seen:
            raise WarehouseError(f"{relative(p.path)}: parameter {p.name!r} is also defined in {relative(seen[p.name].path)}")
        seen[p.name] = p
    return out


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        raise WarehouseError(f"{relative(path)}: missing: every check folder has a {MANIFEST} (see sql/README.md)")
    fields = _toml(path)
    wrong = [k for k, t in _MANIFEST_KEYS.items() if not isinstance(fields.get(k), t)]
    if wrong or set(fields) - set(_MANIFEST_KEYS) or not all(
            isinstance(x, str) for k in ("figures", "verdicts") for x in fields[k]):
        raise WarehouseError(f"{relative(path)}: needs title and section (texts) and figures and verdicts "
                             f"(lists of texts), nothing else; wrong or missing: {', '.join(wrong) or 'list items'}")
    return fields


def checks(sql_dir: Path = SQL_DIR) -> list[Check]:
    """The registered checks, by name: one per folder of `sql/checks/` (the one place that says which
    checks exist)."""
    newest: dict[str, int] = {}
    for name, version, kind, _ in view_paths(sql_dir):
        if kind == "check":
            newest[name.removeprefix("check_")] = max(newest.get(name.removeprefix("check_"), 0), version)
    out = []
    for folder in sorted(p for p in (sql_dir / "checks").glob("*") if p.is_dir()):
        if folder.name not in newest:
            raise WarehouseError(f"{relative(folder)}: a check folder holds its view as v1.sql (see sql/README.md)")
        fields = _manifest(folder)
        out.append(Check(
            name=folder.name,
            folder=folder,
            title=fields["title"],
            section=fields["section"],
            figures=tuple(fields["figures"]),
            verdicts=tuple(fields["verdicts"]),
            newest_version=newest[folder.name],
            flags_runs=(folder / "flagged.sql").exists(),
            params=read_params(folder / PARAMS) if (folder / PARAMS).exists() else (),
        ))
    return out


def check_names(sql_dir: Path = SQL_DIR) -> list[str]:
    return [c.name for c in checks(sql_dir)]
