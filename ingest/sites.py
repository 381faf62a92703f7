"""The sites file (TOML) and the attribution of every file to the site that trained it.

    [sites.SUSTech]
    authors = ["zaber", "20830726+ZaberKo@users.noreply.github.com"]   # name or email
    [sites.MSU]
    authors = ["shihuahuang"]
    paths = ["msu/**"]          # for files without git history

A file belongs to the site of the author of the commit that added it; a file without history to
the site of the first path glob that matches it; anything else to `unknown`.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

UNKNOWN = "unknown"


class SitesFileError(ValueError):
    """A sites file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Site:
    name: str
    authors: tuple[str, ...]
    paths: tuple[str, ...]


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle.lower() in line.lower():
            seen += 1
            if seen == occurrence:
                return number
    return 1


def read_sites_file(path: Path) -> list[Site]:
    """Parse and validate a sites file; raise SitesFileError naming the file and line."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SitesFileError(f"{path}: cannot read sites file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SitesFileError(f"{path}:1: sites file is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = match.group(1) if match else str(max(1, len(text.splitlines())))  # "at end of document"
        raise SitesFileError(f"{path}:{line}: TOML syntax error: {exc}") from None
    table = data.get("sites")
    if not isinstance(table, dict) or not table:
        raise SitesFileError(f"{path}:1: no [sites.<name>] tables")
    sites = []
    owner: dict[str, str] = {}
    for name, entry in table.items():
        if not isinstance(entry, dict):
            raise SitesFileError(f"{path}:{_line_of(text, name)}: sites.{name} must be a table")
        authors = entry.get("authors", [])
        paths = entry.get("paths", [])
        for key, value in (("authors", authors), ("paths", paths)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SitesFileError(f"{path}:{_line_of(text, name)}: sites.{name}.{key} must be a list of strings")
        unknown_keys = set(entry) - {"authors", "paths"}
        if unknown_keys:
            raise SitesFileError(f"{path}:{_line_of(text, name)}: sites.{name} has unknown keys {sorted(unknown_keys)}")
        for author in authors:
            key = author.lower()
            if key in owner and owner[key] != name:
                raise SitesFileError(
                    f"{path}:{_line_of(text, author, 2)}: author {author!r} is in both {owner[key]} and {name}"
                )
            owner[key] = name
        sites.append(Site(name, tuple(authors), tuple(paths)))
    if any(site.name == UNKNOWN for site in sites):
        raise SitesFileError(f"{path}:{_line_of(text, UNKNOWN)}: '{UNKNOWN}' is reserved for unattributed files")
    return sites


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern:
    """Path glob -> regex: `**` spans folders (also none), `*` and `?` stay within one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def glob_match(pattern: str, path: str) -> bool:
    """
    >>> glob_match("msu/**", "msu/logs/arch_1.log"), glob_match("**/arch_*.log", "arch_1.log")
    (True, True)
    """
    return _glob_regex(pattern).fullmatch(path) is not None


def attribute_sites(files: list[dict], sites: list[Site]) -> list[dict]:
    """Site of each file from its git authors, else path globs, else unknown.

    Each input dict has repo_path, added_author, added_email and later_authors (list of
    (name, email)); each output dict has site, site_source, last_site and site_changed.
    """
    by_author = {a.lower(): s.name for s in sites for a in s.authors}

    def author_site(name: str | None, email: str | None) -> str | None:
        return by_author.get((name or "").lower()) or by_author.get((email or "").lower())

    out = []
    for f in files:
        if f.get("added_author") is not None or f.get("added_email") is not None:
            site = author_site(f.get("added_author"), f.get("added_email"))
            source = "author" if site else "none"
            later = [author_site(n, e) for n, e in f.get("later_authors") or []]
            last = later[-1] if later else site
            changed = any(s is not None and s != site for s in later)
        else:
            site = next((s.name for s in sites for g in s.paths if glob_match(g, f.get("repo_path") or "")), None)
            source = "path" if site else "none"
            last, changed = site, False
        out.append({
            "site": site or UNKNOWN,
            "site_source": source,
            "last_site": last or (site or UNKNOWN),
            "site_changed": changed,
        })
    return out
