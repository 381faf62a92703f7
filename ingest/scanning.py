"""Regular expressions applied in time linear in the text, with a registry that lets the tests prove it.

Python's `re` backtracks. `\\d+\\.?\\d*` on a run of n digits tries O(n^2) splits; `.*a.*a.*b`
(a sites glob) is exponential. Every pattern the ingest applies to untrusted text is declared here
with the worst input it could meet, and applied through the wrapper:

    _TENSOR = linear("pyliteral.tensor", r"tensor\\((...)\\)", literal="tensor(",
                     worst_case=lambda n: "GPU List: [tensor(" + ", device=x" * (n // 10))
    cleaned = _TENSOR.sub(r"\\1", text)

Linear means two things, both checked by tests/test_linear_time.py for every registered pattern:

1. One attempt costs at most a constant times the characters it may examine. `problems()` checks
   the pattern's parse tree (`re._parser`): every unbounded repeat (`*`, `+`, `{m,}`, greedy or
   lazy) is possessive (`*+`, `++`, `{m,}+`), or is the last thing of an atomic group `(?>...)`,
   or repeats one character class that cannot match what may follow it (then each character it
   gives back fails the rest at once); no backreferences. A search starts with its literal.
2. All attempts together examine each character a bounded number of times: `work()` counts them.
   A search finds its literal with `str.find` and tries the pattern only there, through
   `pattern.match(text, pos, endpos)`, with `endpos` just past the next *stop character*: a
   character of the literal, or a newline, that the pattern can never match after its literal.
   So one attempt's window ends about where the next attempt's literal starts. Work is the size
   of every window plus every `find` scan; the test asserts work <= c x len(text) on the worst
   case at growing sizes. A pattern of bounded width (`use="bounded"`, e.g. `nan` with look-
   arounds) is applied by `re`'s own search: each position costs at most its width.

Adding a pattern is one `linear(...)` call with its worst-case input generator; nothing else.
A pattern over bytes (the log parsers read bytes) is declared with a bytes regex, literal and worst
case, and applied to bytes the same way.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from re import _compiler, _parser  # the parse tree the static check reads
from re import _constants as sre
from typing import Callable, Iterator

USES = ("search", "match", "fullmatch", "bounded")
"""How the ingest applies a pattern: `search`/`finditer`/`sub` from a literal prefix, `match` at a
position the caller chooses, `fullmatch` of a whole (short) string, or `bounded`: any search of a
pattern whose matches have a bounded width."""

SHORT_WINDOW = 256
"""A `match` window this short (the newline, the first stop, usually makes it one line) is not
narrowed by the other stop characters: an attempt examines at most this many characters past its
literal, and finding the others cost more than that saved (~1 us of ~4 per match, a few hundred
thousand matches in a full-scale ingest)."""
_WORK = [0]
_DONE = "<done>"  # in a set of first characters: the attempt succeeds here (end of a match, of an atomic part)
_FAILS = "<test>"  # a test that consumes nothing and can fail: `$`, `\\b`, a lookaround, fullmatch's end
_SINGLE = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_PROBES = "".join(map(chr, range(0x250))) + "\u0660\u06f0\u0966\u2028\u2029\u3000\ufeff\uff10\U0001d7ce\U0001f600"
"""Characters on which character classes are compared (Latin-1, Latin Extended, and a few
non-ASCII digits and spaces that `\\d`, `\\s`, `\\w` match)."""


def work() -> int:
    """Characters examined so far by the registered patterns of this process (read differences)."""
    return _WORK[0]


class _Occurrences:
    """Where a character occurs in a text, found with `str.find` once each and handed out in order."""

    __slots__ = ("text", "char", "end", "queue", "scanned")

    def __init__(self, text: str | bytes, char: str, end: int):
        if isinstance(text, bytes):
            char = char.encode("latin-1")
        self.text, self.char, self.end = text, char, end
        self.queue: deque[int] = deque()
        self.scanned = 0  # the text before this is searched

    def nth_from(self, start: int, n: int) -> int:
        """Position of the n-th (1-based) occurrence at or after `start`, or -1 when there is none."""
        queue = self.queue
        while queue and queue[0] < start:
            queue.popleft()
        if self.scanned < start:
            self.scanned = start
        while len(queue) < n and self.scanned < self.end:
            found = self.text.find(self.char, self.scanned, self.end)
            _WORK[0] += (found + 1 if found >= 0 else self.end) - self.scanned
            if found < 0:
                self.scanned = self.end
                break
            queue.append(found)
            self.scanned = found + 1
        return queue[n - 1] if len(queue) >= n else -1


@dataclass(eq=False)
class LinearPattern:
    """A compiled pattern with its use and worst case; apply it through these methods only."""

    name: str
    compiled: re.Pattern
    use: str
    literal: str
    worst_case: Callable[[int], str]

    @cached_property
    def literal_text(self) -> str:
        """The literal as text (a bytes literal read as Latin-1: one character per byte)."""
        return self.literal.decode("latin-1") if isinstance(self.literal, bytes) else self.literal

    @cached_property
    def stops(self) -> dict[str, int]:
        """Characters (of the literal, newline, the pattern's literal characters) that the pattern
        can match at most k times after its literal, with that k: an attempt never examines text
        past the (k+1)-th occurrence."""
        return _stops(_parser.parse(self.compiled.pattern, self.compiled.flags).data, self.compiled.flags, self.literal_text)

    @cached_property
    def plan(self) -> list[tuple[re.Pattern, dict[str, int]]]:
        """What an attempt runs, in order: gates (prefixes of the pattern whose windows are tighter,
        up to an unbounded part: when a prefix fails, so does the pattern), then the pattern."""
        gates = []
        flags = self.compiled.flags
        parsed = _parser.parse(self.compiled.pattern, flags)
        tail = _tail(parsed.data, flags, self.literal_text)
        lead = len(parsed.data) - len(tail) if tail is not None else len(parsed.data)
        for i in range(lead + 1, len(parsed.data)):
            if _width(parsed.data[i])[1] < sre.MAXREPEAT:
                continue
            gate = _compiler.compile(_parser.SubPattern(parsed.state, parsed.data[:i]), flags)
            stops = _stops(parsed.data[:i], flags, self.literal_text)
            if any(k < min([self.stops.get(c, _MANY), *(s.get(c, _MANY) for _, s in gates)]) for c, k in stops.items()):
                gates.append((gate, stops))
        return [*gates, (self.compiled, self.stops)]

    @cached_property
    def reach(self) -> int:
        """Characters one attempt may examine outside its window: behind it, by lookbehinds (and
        for a bounded pattern, applied at every position: its width and its lookarounds)."""
        parsed = _parser.parse(self.compiled.pattern, self.compiled.flags)
        bounded = self.use == "bounded"
        around = sum(min(av[1].getwidth()[1], _MANY) for op, av in _walk(parsed.data)
                     if op in (sre.ASSERT, sre.ASSERT_NOT) and (bounded or av[0] == -1))
        return around + (parsed.getwidth()[1] + 1 if bounded else 0)

    def fullmatch(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match | None:
        end = len(text) if endpos is None else min(endpos, len(text))
        _WORK[0] += max(0, end - pos) + 1
        return self.compiled.fullmatch(text, pos, end)

    @cached_property
    def _match_stops(self) -> list[tuple[str | bytes, int]]:
        """The stop characters one `match` searches for (the pattern alone runs: gates pay off only
        when occurrences are reused across attempts), in the text's own type with the number of
        occurrences that ends the window, newline first (it usually ends the window at once, and
        later stops are searched only inside it)."""
        as_bytes = isinstance(self.compiled.pattern, bytes)
        stops = self.stops  # the last step of `plan`, without its gates
        chars = sorted(stops, key=lambda c: c != "\n")
        return [(c.encode("latin-1") if as_bytes else c, stops[c] + 1) for c in chars]

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match | None:
        """The match starting exactly at `pos`, examining text up to the stop characters only.
        One attempt: each stop character is found with `find` inside the window the earlier ones
        left (until the window is at most SHORT_WINDOW characters), nothing is kept for later
        attempts. (`_attempt` with one step, written out: the parsers call it once per line of some
        logs.)"""
        limit = len(text) if endpos is None else min(endpos, len(text))
        start = pos + len(self.literal)
        examined = 0
        find = text.find
        for c, n in self._match_stops:  # the n-th occurrence of c, found with `find` (each scan counted)
            if limit - start <= SHORT_WINDOW:
                break
            at = start
            while True:
                found = find(c, at, limit)
                if found < 0:
                    examined += limit - at
                    break
                examined += found + 1 - at
                n -= 1
                if not n:
                    if found < limit - 2:
                        limit = found + 2
                    break
                at = found + 1
        _WORK[0] += examined + max(0, limit - pos) + self.reach
        return self.compiled.match(text, pos, limit)

    def _attempt(self, text: str, pos: int, end: int, plan: list, nth: Callable[[str, int, int, int], int]) -> re.Match | None:
        """Run `plan` at `pos`, each pattern inside the window its stop characters leave: up to two
        characters past the (k+1)-th occurrence of a character it can match at most k times
        (`nth(char, start, k + 1, limit)`: its position, or -1)."""
        start = pos + len(self.literal)
        match = None
        for compiled, stops in plan:
            limit = end
            for c, k in stops:
                at = nth(c, start, k + 1, limit)
                if 0 <= at < limit - 2:
                    limit = at + 2
            _WORK[0] += max(0, limit - pos) + self.reach
            match = compiled.match(text, pos, limit)
            if match is None:
                return None
        return match

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match]:
        """Non-overlapping matches in order, as `re.finditer` gives them."""
        end = len(text) if endpos is None else min(endpos, len(text))
        if self.use == "bounded":
            _WORK[0] += max(0, end - pos) * self.reach
            yield from self.compiled.finditer(text, pos, end)
            return
        if self.use != "search":
            raise TypeError(f"{self.name} is registered for {self.use}, not for searching")
        literal = self.literal
        if text.find(literal, pos, end) < 0:  # most texts have no match at all: one scan, nothing set up
            _WORK[0] += max(0, end - pos)
            return
        found = _Occurrences(text, self.literal_text[0], end) if len(literal) == 1 else None
        occurrences = {c: _Occurrences(text, c, end) for _, stops in self.plan for c in stops}
        plan = [(compiled, list(stops.items())) for compiled, stops in self.plan]

        def nth(c: str, start: int, n: int, limit: int) -> int:
            return occurrences[c].nth_from(start, n)
        at = pos
        while at <= end:
            if found is not None:
                p = found.nth_from(at, 1)
            else:
                p = text.find(literal, at, end)
                _WORK[0] += (p + len(literal) if p >= 0 else end) - at
            if p < 0:
                return
            match = self._attempt(text, p, end, plan, nth)
            if match is None:
                at = p + 1
                continue
            yield match
            at = max(match.end(), p + 1)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match | None:
        return next(self.finditer(text, pos, endpos), None)

    def sub(self, repl: str | Callable[[re.Match], str], text: str) -> str:
        """`re.sub` of every match (a string template with \\1, or a function of the match)."""
        if self.use == "bounded":
            _WORK[0] += len(text) * self.reach
            return self.compiled.sub(repl, text)
        parts, last = [], 0
        for match in self.finditer(text):
            parts.append(text[last:match.start()])
            parts.append(repl(match) if callable(repl) else match.expand(repl))
            last = match.end()
        if not parts:
            return text
        parts.append(text[last:])
        return "".join(parts)

    def problems(self) -> list[str]:
        """Why this pattern may not run in linear time under its use; empty when it does."""
        return problems(self.compiled, self.use, self.literal_text)


REGISTRY: dict[str, LinearPattern] = {}
"""Every pattern the ingest applies to file contents or names, by name (`<module>.<what>`)."""


def linear(name: str, regex: str | bytes, flags: int = 0, *, use: str = "search", literal: str | bytes = "",
           worst_case: Callable[[int], str | bytes]) -> LinearPattern:
    """Compile and register a pattern; `worst_case(n)` returns an input of about n characters
    that would make a backtracking version of it slow."""
    if use not in USES:
        raise ValueError(f"use must be one of {USES}")
    if use == "search" and not literal:
        raise ValueError(f"{name}: a search needs the literal every match starts with")
    if isinstance(regex, bytes) and isinstance(literal, str):
        literal = literal.encode("latin-1")
    entry = LinearPattern(name, re.compile(regex, flags), use, literal, worst_case)
    REGISTRY[name] = entry
    return entry


# --- the static check ------------------------------------------------------------------------

def problems(compiled: re.Pattern, use: str, literal: str = "") -> list[str]:
    """Reasons a pattern is not linear under `use` (see the module docstring); empty when it is."""
    parsed = _parser.parse(compiled.pattern, compiled.flags)
    found: list[str] = []
    _check(parsed.data, frozenset({_FAILS if use == "fullmatch" else _DONE}), compiled.flags, found)
    if use == "search":
        if compiled.flags & re.IGNORECASE:
            found.append("a search ignoring case cannot find its literal with str.find")
        elif _tail(parsed.data, compiled.flags, literal) is None:
            found.append(f"a search must start with its literal {literal!r} (after lookbehinds)")
    if use == "bounded" and parsed.getwidth()[1] >= sre.MAXREPEAT:
        found.append("a bounded search needs a pattern whose matches have a bounded width")
    for op, av in _walk(parsed.data):
        if op in (sre.ASSERT, sre.ASSERT_NOT) and av[1].getwidth()[1] >= sre.MAXREPEAT and use == "bounded":
            found.append("a bounded search needs lookarounds of bounded width")
    return found


def _check(items: list, follow: frozenset, flags: int, found: list[str]) -> None:
    """Walk a sequence; `follow` holds the first characters of what comes after it, with _DONE
    when nothing may follow that could fail and make the engine backtrack into it."""
    for i, (op, av) in enumerate(items):
        after = _first_of_sequence(items[i + 1:], follow, flags)
        if op in _REPEATS:
            low, high, body = av
            if op == sre.POSSESSIVE_REPEAT:
                _check(body.data, frozenset({_DONE}), flags, found)
                continue
            single = _single(body)
            if (high == sre.MAXREPEAT or high - low > 1 and single is None) and after != {_DONE}:
                if single is None:
                    found.append(f"{_show(op, av)} repeat of a group that is not possessive")
                elif _char_set(single, flags) & after:
                    found.append(f"{_show(op, av)} repeat of a character class that can match what follows it")
            again = _first_of_sequence(body.data, frozenset(), flags) if high > 1 else frozenset()
            _check(body.data, again | after, flags, found)
        elif op == sre.ATOMIC_GROUP:
            _check(av.data, frozenset({_DONE}), flags, found)
        elif op == sre.SUBPATTERN:
            _check(av[3].data, after, flags, found)
        elif op == sre.BRANCH:
            for branch in av[1]:
                _check(branch.data, after, flags, found)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _check(av[1].data, frozenset({_DONE}), flags, found)
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS, sre.GROUPREF_IGNORE, sre.GROUPREF_LOC_IGNORE, sre.GROUPREF_UNI_IGNORE):
            found.append("backreferences are not allowed")


def _first(op, av, flags: int) -> tuple[frozenset, bool]:
    """First characters one item can consume, and whether it can match the empty string."""
    if op in _SINGLE:
        return _char_set((op, av), flags), False
    if op == sre.SUBPATTERN:
        return _first_and_empty(av[3].data, flags)
    if op == sre.ATOMIC_GROUP:
        return _first_and_empty(av.data, flags)
    if op == sre.BRANCH:
        chars, empty = frozenset(), False
        for branch in av[1]:
            c, e = _first_and_empty(branch.data, flags)
            chars, empty = chars | c, empty or e
        return chars, empty
    if op in _REPEATS:
        chars, empty = _first_and_empty(av[2].data, flags)
        return chars, empty or av[0] == 0
    if op == sre.AT:
        return frozenset({_FAILS}), True
    if op in (sre.ASSERT, sre.ASSERT_NOT):  # a lookahead reads what follows; a lookbehind, a fixed width before
        return (_first_and_empty(av[1].data, flags)[0] if av[0] == 1 else frozenset()) | {_FAILS}, True
    return frozenset(_PROBES), True  # a backreference: anything


def _first_and_empty(items: list, flags: int) -> tuple[frozenset, bool]:
    chars: frozenset = frozenset()
    for op, av in items:
        c, empty = _first(op, av, flags)
        chars |= c
        if not empty:
            return chars, False
    return chars, True


def _first_of_sequence(items: list, follow: frozenset, flags: int) -> frozenset:
    chars, empty = _first_and_empty(items, flags)
    return chars | follow if empty else chars


def _single(body) -> tuple | None:
    """The one single-character item a repeat repeats, if that is all it repeats."""
    data = body.data
    while len(data) == 1 and data[0][0] == sre.SUBPATTERN:
        data = data[0][1][3].data
    return data[0] if len(data) == 1 and data[0][0] in _SINGLE else None


_COMPILED_ITEMS: dict[tuple, re.Pattern] = {}


def _item_pattern(item: tuple, flags: int) -> re.Pattern:
    key = (repr(item), flags)
    if key not in _COMPILED_ITEMS:
        state = _parser.State()
        state.flags = flags
        _COMPILED_ITEMS[key] = _compiler.compile(_parser.SubPattern(state, [item]), flags)
    return _COMPILED_ITEMS[key]


def _matches(item: tuple, flags: int, char: str) -> bool:
    return _item_pattern(item, flags).fullmatch(char) is not None


def _char_set(item: tuple, flags: int) -> frozenset:
    compiled = _item_pattern(item, flags)
    return frozenset(c for c in _PROBES if compiled.fullmatch(c))


def _walk(items: list) -> Iterator[tuple]:
    """Every item of a parse tree, depth first."""
    for op, av in items:
        yield op, av
        if op == sre.SUBPATTERN:
            yield from _walk(av[3].data)
        elif op == sre.ATOMIC_GROUP:
            yield from _walk(av.data)
        elif op in _REPEATS:
            yield from _walk(av[2].data)
        elif op == sre.BRANCH:
            for branch in av[1]:
                yield from _walk(branch.data)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            yield from _walk(av[1].data)


def _tail(items: list, flags: int, literal: str) -> list | None:
    """The items after the leading lookbehinds, anchors and `literal`; None when the pattern does
    not start with the literal."""
    i = 0
    while i < len(items) and (items[i][0] == sre.AT or items[i][0] in (sre.ASSERT, sre.ASSERT_NOT) and items[i][1][0] == -1):
        i += 1
    if flags & re.IGNORECASE and literal:
        return None
    for ch in literal:
        if i >= len(items) or items[i] != (sre.LITERAL, ord(ch)):
            return None
        i += 1
    return list(items[i:])


_MANY = 1 << 30  # "unbounded" in occurrence counts


def _stops(items: list, flags: int, literal: str) -> dict[str, int]:
    tail = _tail(items, flags, literal)
    if tail is None:
        return {}
    candidates = dict.fromkeys(literal + "\n" + "".join(chr(av) for op, av in _walk(tail) if op == sre.LITERAL and av < 0x110000))
    counts = [(k, i, c) for i, c in enumerate(list(candidates)[:32]) for k in [_count(tail, c, flags)] if k < 64]
    return {c: k for k, _, c in sorted(counts)[:4]}


def _count(items: list, char: str, flags: int) -> int:
    """How many times a sequence can match (or look at, in a lookaround) `char`, at most."""
    total = 0
    for op, av in items:
        if op in _SINGLE:
            n = 1 if _matches((op, av), flags, char) else 0
        elif op == sre.SUBPATTERN:
            n = _count(av[3].data, char, flags)
        elif op == sre.ATOMIC_GROUP:
            n = _count(av.data, char, flags)
        elif op == sre.BRANCH:
            n = max(_count(branch.data, char, flags) for branch in av[1])
        elif op in _REPEATS:
            n = _count(av[2].data, char, flags)
            n = 0 if n == 0 else _MANY if av[1] == sre.MAXREPEAT else n * av[1]
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            n = _count(av[1].data, char, flags)
        elif op == sre.AT:
            n = 0
        else:
            n = _MANY
        total = min(_MANY, total + n)
    return total


def _width(item: tuple) -> tuple[int, int]:
    state = _parser.State()
    return _parser.SubPattern(state, [item]).getwidth()


def _show(op, av) -> str:
    low, high, _ = av
    kind = {sre.MAX_REPEAT: "greedy", sre.MIN_REPEAT: "lazy"}.get(op, "possessive")
    return f"{kind} {{{low},{'' if high == sre.MAXREPEAT else high}}}"
