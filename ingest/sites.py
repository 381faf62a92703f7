"""The sites file (TOML) and the attribution of every file to the site that trained it.

    [sites.SUSTech]
    authors = ["zaber", "20830726+ZaberKo@users.noreply.github.com"]   # name or email
    [sites.MSU]
    authors = ["shihuahuang"]
    paths = ["msu/**"]          # for files without git history

A file belongs to the site of the author of the commit that added it; a file without history to
the site of the first path glob that matches it; anything else to `unknown`.

The globs of a sites file are compiled once into one automaton (`GlobMatcher`) that reads each
path once, whatever the globs: no backtracking (`**a**a**a**b` took 43 s per path as a regex)
and no per-glob cache (above 256 globs one thrashed).
"""
from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.errors import UserError
from ingest.scanning import linear

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

UNKNOWN = "unknown"


class SitesFileError(UserError, ValueError):
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


MAX_SITES_BYTES = 16 << 20
_TOML_LINE = linear("sites.toml_line", r"line ([0-9]++)", literal="line ", worst_case=lambda n: "line 1" * (n // 6))


def read_sites_text(path: Path) -> str:
    """The text of a sites file: a regular file of at most MAX_SITES_BYTES, in UTF-8 (a folder or
    a FIFO given as the sites file is refused, never waited on); SitesFileError otherwise. For
    whoever needs the text itself (the ingest fingerprints it) as `read_sites_file` reads it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SitesFileError(f"{path}: cannot read sites file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SitesFileError(f"{path}: the sites file is not a regular file")
        if info.st_size > MAX_SITES_BYTES:
            raise SitesFileError(f"{path}: sites file larger than {MAX_SITES_BYTES >> 20} MB")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_SITES_BYTES + 1)
    except OSError as exc:
        raise SitesFileError(f"{path}: cannot read sites file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_SITES_BYTES:
        raise SitesFileError(f"{path}: sites file larger than {MAX_SITES_BYTES >> 20} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SitesFileError(f"{path}:1: sites file is not UTF-8 text") from None


def _parse_toml(text: str, path: Path) -> dict:
    """The TOML of a sites file's text; SitesFileError naming the file and line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        line = match.group(1) if match else str(max(1, len(text.splitlines())))  # "at end of document"
        raise SitesFileError(f"{path}:{line}: TOML syntax error: {str(exc).splitlines()[0]}") from None
    except (RecursionError, MemoryError):
        raise SitesFileError(f"{path}:1: TOML nested too deeply to read") from None


@dataclass(frozen=True)
class SitesFile:
    """What a sites file says: its sites, and the repositories of the benchmark's code it names."""

    sites: tuple[Site, ...]
    code_repos: tuple[Path, ...]
    synthetic: bool = False
    """`[demo] synthetic = true`: the logs under the file are synthetic (`cli.py demo` writes it)."""


def parse_sites_text(text: str, path: Path) -> SitesFile:
    """Parse and validate the text of the sites file at `path` (read once, by the caller); raise
    SitesFileError naming the file and line. Code repositories are relative to the file's folder:

        [code]
        repos = ["code/train", "code/eval"]   # git repositories of the training and evaluation code
        [demo]
        synthetic = true                      # the demo corpus: reports and checks say it is not real
    """
    data = _parse_toml(text, path)
    return SitesFile(tuple(_sites(text, data, path)), tuple(_code_repos(text, data, path)),
                     _synthetic(text, data, path))


def _synthetic(text: str, data: dict, path: Path) -> bool:
    demo = data.get("demo")
    if demo is None:
        return False
    if not isinstance(demo, dict) or set(demo) - {"synthetic"} or not isinstance(demo.get("synthetic", False), bool):
        raise SitesFileError(f"{path}:{_line_of(text, 'demo')}: [demo] holds one key, synthetic = true or false")
    return demo.get("synthetic", False)


def read_sites_file(path: Path) -> list[Site]:
    """Read, parse and validate a sites file's sites; raise SitesFileError naming the file and line."""
    return list(parse_sites_text(read_sites_text(path), path).sites)


def _code_repos(text: str, data: dict, path: Path) -> list[Path]:
    code = data.get("code")
    if code is None:
        return []
    repos = code.get("repos", []) if isinstance(code, dict) else None
    if not isinstance(repos, list) or not all(isinstance(r, str) and r for r in repos):
        raise SitesFileError(f"{path}:{_line_of(text, 'repos')}: code.repos must be a list of folder names")
    folder = Path(path).resolve().parent
    out = []
    for repo in repos:
        # a sites file may come with logs from elsewhere: it names repositories of its own tree only
        # (a repository anywhere else is given with --code-repo), and none that is not there
        try:
            found = (folder / repo).resolve()
        except (OSError, ValueError):  # a NUL in the name, a loop of links
            raise SitesFileError(f"{path}:{_line_of(text, 'repos')}: code.repos {repo!r} is not a folder") from None
        if found != folder and folder not in found.parents:
            raise SitesFileError(f"{path}:{_line_of(text, 'repos')}: code.repos {repo!r} is outside the sites file's folder: "
                                 "name a repository below it, or give it with --code-repo")
        if not found.is_dir():
            raise SitesFileError(f"{path}:{_line_of(text, 'repos')}: code.repos {repo!r} is not a folder")
        out.append(found)
    return out


def _sites(text: str, data: dict, path: Path) -> list[Site]:
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


# --- path globs -------------------------------------------------------------------------------

_LITERAL, _ONE, _STAR, _ANY, _FOLDERS, _IN_FOLDERS, _ACCEPT = range(7)
"""Glob tokens: a character, `?` (one character but /), `*` (a run without /), `**` (any run),
`**/` (two tokens: a choice between nothing and a run ending with /, and that run), the end."""


def _glob_tokens(pattern: str) -> list[tuple[int, str]]:
    tokens, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            tokens += [(_FOLDERS, ""), (_IN_FOLDERS, "")]
            i += 3
        elif pattern.startswith("**", i):
            tokens.append((_ANY, ""))
            i += 2
        elif pattern[i] in "*?":
            tokens.append((_STAR if pattern[i] == "*" else _ONE, ""))
            i += 1
        else:
            tokens.append((_LITERAL, pattern[i]))
            i += 1
    return tokens


class _State:
    """A set of glob positions reached after some path prefix (a state of the automaton)."""

    __slots__ = ("positions", "moves", "site", "dead")

    def __init__(self, positions: frozenset[int], site: str | None):
        self.positions = positions
        self.moves: dict[str, _State] = {}
        self.site = site
        self.dead = not positions


class GlobMatcher:
    """The site of the first matching glob, for (site, glob) pairs in priority order.

    All globs are one automaton over their positions, read one path character at a time; each
    state (set of positions) is built the first time a path reaches it and then reused, so a path
    costs one dictionary lookup per character, and at most (its length x the globs' total length)
    the first time. `work` counts both, for the tests. Past MAX_STATES states, all are dropped and
built again as paths need them.

    >>> GlobMatcher([("MSU", "msu/**"), ("any", "**/arch_*.log")]).site_of("arch_1.log")
    'any'
    """

    MAX_STATES = 20_000

    def __init__(self, globs: list[tuple[str, str]]):
        self.kinds: list[int] = []
        self.chars: list[str] = []
        self.owner: dict[int, tuple[int, str]] = {}  # accepting position -> (priority, site)
        starts = []
        for priority, (site, pattern) in enumerate(globs):
            starts.append(len(self.kinds))
            for kind, char in _glob_tokens(pattern):
                self.kinds.append(kind)
                self.chars.append(char)
            self.owner[len(self.kinds)] = (priority, site)
            self.kinds.append(_ACCEPT)
            self.chars.append("")
        self.starts = frozenset(starts)
        self.work = 0
        self._reset()

    def _reset(self) -> None:
        self._states: dict[frozenset[int], _State] = {}
        self._folders: dict[str, _State] = {}
        self.start = self._state(self._closure(set(self.starts)))

    def _closure(self, positions: set[int]) -> frozenset[int]:
        """Add the positions reachable without reading: past a `*` or `**` (they match nothing too);
        from `**/` into its run or past it."""
        todo = list(positions)
        while todo:
            position = todo.pop()
            kind = self.kinds[position]
            targets = (position + 1,) if kind in (_STAR, _ANY) else (position + 1, position + 2) if kind == _FOLDERS else ()
            for target in targets:
                if target not in positions:
                    positions.add(target)
                    todo.append(target)
        return frozenset(positions)

    def _state(self, positions: frozenset[int]) -> _State:
        state = self._states.get(positions)
        if state is None:
            accepting = [self.owner[p] for p in positions if p in self.owner]
            state = self._states[positions] = _State(positions, min(accepting)[1] if accepting else None)
        return state

    def _move(self, state: _State, char: str) -> _State:
        kinds, chars = self.kinds, self.chars
        nxt = set()
        for p in state.positions:
            kind = kinds[p]
            if kind == _LITERAL:
                if chars[p] == char:
                    nxt.add(p + 1)
            elif kind == _ANY:
                nxt.add(p)
            elif kind == _IN_FOLDERS:
                nxt.add(p)
                if char == "/":
                    nxt.add(p + 1)
            elif kind in (_ONE, _STAR) and char != "/":  # `*` stays, `?` moves on
                nxt.add(p if kind == _STAR else p + 1)
        self.work += len(state.positions)
        target = self._state(self._closure(nxt))
        state.moves[char] = target
        return target

    def _run(self, state: _State, text: str) -> _State:
        self.work += len(text)
        for char in text:
            if state.dead:
                break
            nxt = state.moves.get(char)
            state = nxt if nxt is not None else self._move(state, char)
        return state

    def site_of(self, path: str) -> str | None:
        """Site of the first glob that matches the whole path, or None."""
        if len(self._states) > self.MAX_STATES:
            self._reset()
        cut = path.rfind("/") + 1
        folder = self._folders.get(path[:cut])
        if folder is None:
            folder = self._folders[path[:cut]] = self._run(self.start, path[:cut])
        return self._run(folder, path[cut:]).site


@lru_cache(maxsize=8)
def glob_matcher(sites: tuple[Site, ...]) -> GlobMatcher:
    """The globs of a sites file, compiled once (an ingest attributes its files in more than one pass)."""
    return GlobMatcher([(site.name, glob) for site in sites for glob in site.paths])


def glob_match(pattern: str, path: str) -> bool:
    """Whether one glob matches a whole path: `**` spans folders (also none), `*` and `?` stay within one.

    >>> glob_match("msu/**", "msu/logs/arch_1.log"), glob_match("**/arch_*.log", "arch_1.log")
    (True, True)
    """
    return GlobMatcher([("", pattern)]).site_of(path) is not None


def attribute_sites(files: list[dict], sites: list[Site]) -> list[dict]:
    """Site of each file from its git authors, else path globs, else unknown.

    Each input dict has repo_path, added_author, added_email and later_authors (list of
    (name, email)); each output dict has site, site_source, last_site and site_changed.
    """
    by_author = {a.lower(): s.name for s in sites for a in s.authors}
    globs = glob_matcher(tuple(sites))

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
            site = globs.site_of(f.get("repo_path") or "")
            source = "path" if site else "none"
            last, changed = site, False
        out.append({
            "site": site or UNKNOWN,
            "site_source": source,
            "last_site": last or (site or UNKNOWN),
            "site_changed": changed,
        })
    return out
