"""Every pattern the ingest applies to file contents or names runs in time linear in its input.

The registry is ingest/scanning.py's: each pattern comes with its use and its worst-case input.
For each one, the parse tree must pass the static check (no repeat that can backtrack over what
follows it), and the work counted by the wrapper (characters of every window an attempt may
examine, and of every `find` scan) must stay within WORK_PER_CHAR x the input's length on the
worst case at growing sizes. Work, not time: the numbers are the same on any machine.
Adding a pattern to the ingest = one `linear(...)` call; these tests then cover it.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ingest
from ingest.scanning import REGISTRY, LinearPattern, problems, work
from ingest.sites import GlobMatcher, Site, attribute_sites, glob_matcher

for _module in pkgutil.iter_modules(ingest.__path__):  # every module that registers patterns
    if not _module.name.startswith("_"):
        importlib.import_module(f"ingest.{_module.name}")

NAMES = sorted(REGISTRY)
SIZES = (1_000, 10_000, 100_000)
WORK_PER_CHAR = 64
INGEST = Path(ingest.__file__).parent
PENDING: set[str] = set()
"""Modules whose patterns are not registered yet."""


def apply(entry: LinearPattern, text: str) -> list:
    """Apply a pattern as the ingest does; the spans and groups it found."""
    if entry.use == "fullmatch":
        found = [entry.fullmatch(text)]
    elif entry.use == "match":
        found = [entry.match(text)]
    else:
        found = list(entry.finditer(text))
    return [(m.span(), m.groups()) if m else None for m in found]


def apply_natively(entry: LinearPattern, text: str) -> list:
    compiled = entry.compiled
    if entry.use == "fullmatch":
        found = [compiled.fullmatch(text)]
    elif entry.use == "match":
        found = [compiled.match(text)]
    else:
        found = list(compiled.finditer(text))
    return [(m.span(), m.groups()) if m else None for m in found]


def test_registry_holds_the_patterns_of_names_and_literals():
    assert {"names.train", "names.release", "pyliteral.tensor", "pyliteral.numpy_scalar", "pyliteral.special",
            "sites.toml_line"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_pattern_passes_the_static_check(name):
    assert REGISTRY[name].problems() == []


@pytest.mark.parametrize("name", NAMES)
def test_work_on_the_worst_case_is_linear(name):
    entry = REGISTRY[name]
    for size in SIZES:
        text = entry.worst_case(size)
        assert len(text) >= size // 2, "the worst case must grow with the size asked for"
        before = work()
        apply(entry, text)
        spent = work() - before
        assert spent <= WORK_PER_CHAR * len(text), (size, spent)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _alphabet(entry: LinearPattern) -> str:
    """Characters that make a pattern's matches and near-misses likely: its own, its worst case's."""
    return "".join(sorted(set(re.sub(r"\\.", "", _text(entry.compiled.pattern)) + _text(entry.worst_case(64)) + " \n")))


@pytest.mark.parametrize("name", NAMES)
def test_windows_give_the_matches_re_gives(name):
    """The windows never change a result: the wrapper finds exactly what `re` finds on the whole text."""
    entry = REGISTRY[name]
    alphabet = _alphabet(entry)
    pieces = st.sampled_from([_text(entry.literal) or "x", _text(entry.worst_case(40))[:20], *alphabet])
    as_input = (lambda text: text.encode("latin-1")) if isinstance(entry.compiled.pattern, bytes) else (lambda text: text)

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(st.lists(pieces, max_size=30).map("".join).map(as_input))
    def same(text):
        assert apply(entry, text) == apply_natively(entry, text)

    same()
    text = entry.worst_case(300)
    assert apply(entry, text) == apply_natively(entry, text)


@pytest.mark.parametrize("regex, use, literal, why", [
    (r"\btensor\(([^()]*?)(?:,\s*device=[^()]*)?\)", "search", "tensor(", "can match what follows it"),
    (r"Acc: ([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+))X", "search", "Acc: ", "can match what follows it"),
    (r"(?s:.*a.*a.*a.*b)", "fullmatch", "", "can match what follows it"),
    (r"(?:a|aa)*$", "match", "", "group that is not possessive"),
    (r"(?:a|aa){0,40}b", "match", "", "group that is not possessive"),
    (r"a*(?!a*c)", "match", "", "can match what follows it"),
    (r"(a)\1", "match", "", "backreferences"),
    (r"\d+x", "search", "x", "must start with its literal"),
    (r"x[^\n]*", "bounded", "", "bounded width"),
])
def test_static_check_rejects_backtracking_patterns(regex, use, literal, why):
    """The patterns of issue 17 (the tensor, number and glob patterns) and their relatives fail."""
    found = problems(re.compile(regex), use, literal)
    assert any(why in problem for problem in found), found


def test_work_counter_catches_attempts_that_rescan_the_text():
    """A pattern that passes the static check but rescans to the end from every `x` (O(n^2) in
    fact) shows up in the counted work: windows that overlap are counted each time."""
    entry = LinearPattern("test.rescan", re.compile(r"x[^y]*+y"), "search", "x", lambda n: "x" * n)
    assert entry.problems() == []
    before = work()
    apply(entry, "x" * 10_000)
    assert work() - before > WORK_PER_CHAR * 10_000


def test_no_ingest_module_compiles_patterns_outside_the_registry():
    """Every module of ingest/ applies its patterns through ingest/scanning.py (PENDING: not yet)."""
    raw = sorted(path.name for path in INGEST.glob("*.py")
                 if path.name not in PENDING | {"scanning.py"}
                 and re.search(r"\bre\.(?:compile|search|match|fullmatch|findall|finditer|sub)\(", path.read_text()))
    assert raw == []


@pytest.mark.parametrize("glob", ["**a**a**a**a**a**a**a**b", "*a*a*a*a*a*b", "**/a/**/a/**/b", "a?*?*?*?*b"])
def test_a_glob_reads_a_path_in_work_linear_in_both(glob):
    """A sites glob costs at most (path length x glob length); `**a**a**a**a**a**a**a**b` took 43 s per
    path as a backtracking regex."""
    matcher = GlobMatcher([("s", glob)])
    for size in SIZES:
        for path in ("a" * size, ("a/" * size)[:size], ("ab" * size)[:size] + "x"):
            before = matcher.work
            matcher.site_of(path)
            assert matcher.work - before <= (len(path) + 1) * (len(glob) + 2)


@pytest.mark.slow
def test_globs_of_a_sites_file_are_compiled_once_however_many(monkeypatch):
    """300 globs (an LRU cache of 256 compiled patterns thrashed above that) over 5,000 paths:
    one automaton, each path read once, the first matching glob wins."""
    sites = [Site(f"S{i}", (), (f"site{i}/**", f"**/only{i}.log")) for i in range(300)]
    paths = [f"site{i % 400}/run/only{i % 7}.log" for i in range(5_000)]
    glob_matcher.cache_clear()
    built = []
    original = GlobMatcher.__init__
    monkeypatch.setattr(GlobMatcher, "__init__", lambda self, globs: (built.append(1), original(self, globs))[1])
    decided = attribute_sites([{"repo_path": p} for p in paths], sites)
    first = glob_matcher(tuple(sites)).work
    again = attribute_sites([{"repo_path": p} for p in paths], sites)
    assert len(built) == 1 and decided == again
    assert glob_matcher(tuple(sites)).work - first <= sum(len(p) for p in paths)  # every state already built
    # site{j}/** is glob 2j in order, **/only{k}.log glob 2k+1
    expected = [f"S{i % 400}" if i % 400 < 300 and 2 * (i % 400) < 2 * (i % 7) + 1 else f"S{i % 7}" for i in range(5_000)]
    assert [d["site"] for d in decided] == expected
