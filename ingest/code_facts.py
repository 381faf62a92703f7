"""What an entry script of the benchmark's code prints: its argument names and its line templates.

Read from the script's source with Python's `ast` (nothing is run):

- `arguments`: the dests of its `add_argument` calls in declaration order (`--apex-amp` is
  `apex_amp`), then the attributes the code sets on `args` after parsing (`args.device = device`),
  in the order they appear: what `for arg in vars(args)` logs.
- `templates`: the line templates of its logging calls (`logger.info(...)`: %-format strings, their
  lazy `logger.info(fmt, x)` form, f-strings, `str.format`, and a `payload` variable assigned from
  one of these), written with `%n` where a number is printed, `%s` where any text is, `%%` for a
  percent sign: `Natural Correct Count: %n/%n Acc: %n `.

A template matches a log message (`matches`) by a dynamic programme over the message's positions,
never by a backtracking regex: a repository of code is untrusted input too, and a template of many
`%s` would make a regex exponential.

>>> facts = script_facts('''
... parser.add_argument('--model-path', type=str)
... args = parser.parse_args()
... args.device = 'cpu'
... logger.info('LIP Avg: %.4f ' % lip)
... ''')
>>> facts.arguments, facts.templates, facts.matches("LIP Avg: 0.1234 ")
(('model_path', 'device'), ('LIP Avg: %n ',), True)
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ingest.pyliteral import syntax_tree

_LOG_METHODS = frozenset({"info", "warning", "error", "debug", "critical", "exception"})
MIN_LITERAL = 6
"""Characters of literal text a template needs before it counts: `%s: %s` would match any line."""
_NUMBER_CONVERSIONS = frozenset("diouxXeEfFgG")
_FLAGS = frozenset("-+ #0")


@dataclass(frozen=True)
class ScriptFacts:
    arguments: tuple[str, ...]
    templates: tuple[str, ...]
    log_names: tuple[str, ...] | None = None
    """Templates of the name of the log file the script writes (`%s`: any text), one per value of
    the options with `choices` it is made of; None when the script does not say it plainly."""

    def matches(self, message: str) -> bool:
        """Whether one of the script's line templates prints exactly this message."""
        return any(template_matches(t, message) for t in self.templates)


def _escaped(text: str) -> str:
    return text.replace("%", "%%")


def _printf_template(text: str) -> tuple[str, int]:
    """A %-format string in the template notation, and its count of literal characters."""
    out, literal, i, n = [], 0, 0, len(text)
    while i < n:
        if text[i] != "%":
            out.append(_escaped(text[i]))
            literal += 1
            i += 1
            continue
        j = i + 1
        if j < n and text[j] == "(":  # %(name)s
            close = text.find(")", j)
            j = n if close < 0 else close + 1
        while j < n and text[j] in _FLAGS:
            j += 1
        while j < n and (text[j].isdigit() or text[j] == "*"):
            j += 1
        if j < n and text[j] == ".":
            j += 1
            while j < n and (text[j].isdigit() or text[j] == "*"):
                j += 1
        if j < n and text[j] in "hlL":
            j += 1
        if j >= n:  # a lone % at the end: printed as it is
            out.append("%%")
            literal += 1
            break
        kind = text[j]
        out.append("%%" if kind == "%" else "%n" if kind in _NUMBER_CONVERSIONS else "%s")
        literal += kind == "%"
        i = j + 1
    return "".join(out), literal


def _is_number_spec(spec: str) -> bool:
    return spec[-1:] in ("e", "E", "f", "F", "g", "G", "d", "%")


def _format_template(text: str) -> tuple[str, int]:
    """A `str.format` string (`{}`, `{0}`, `{name:.2f}`, `{{`) in the template notation."""
    out, literal, i, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if c in "{}" and i + 1 < n and text[i + 1] == c:
            out.append(c)
            literal += 1
            i += 2
        elif c == "{":
            close = text.find("}", i)
            if close < 0:
                out.append(_escaped(text[i:]))
                literal += n - i
                break
            field = text[i + 1:close]
            out.append("%n" if _is_number_spec(field.partition(":")[2]) else "%s")
            i = close + 1
        else:
            out.append(_escaped(c))
            literal += 1
            i += 1
    return "".join(out), literal


def _fstring_template(node: ast.JoinedStr) -> tuple[str, int]:
    out, literal = [], 0
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            out.append(_escaped(part.value))
            literal += len(part.value)
        elif isinstance(part, ast.FormattedValue):
            spec = ""
            if isinstance(part.format_spec, ast.JoinedStr):
                spec = "".join(p.value for p in part.format_spec.values if isinstance(p, ast.Constant))
            out.append("%n" if part.conversion == -1 and _is_number_spec(spec) else "%s")
    return "".join(out), literal


def _template(node: ast.AST) -> tuple[str, int] | None:
    """The template of a string-producing expression: `'..' % x`, `'..'.format(x)`, an f-string, a constant."""
    if isinstance(node, ast.JoinedStr):
        return _fstring_template(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        return _printf_template(node.left.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        return _format_template(node.func.value.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _escaped(node.value), len(node.value)
    return None


# --- matching a message against a template, in time (template parts x message length) ----------

@lru_cache(maxsize=4096)
def _parts(template: str) -> tuple[tuple[str, str], ...]:
    """A template as (kind, text) parts: ("lit", text), ("num", ""), ("any", "")."""
    parts, literal, i = [], [], 0
    while i < len(template):
        c = template[i]
        if c == "%" and i + 1 < len(template):
            nxt = template[i + 1]
            if nxt == "%":
                literal.append("%")
            else:
                if literal:
                    parts.append(("lit", "".join(literal)))
                    literal = []
                parts.append(("num" if nxt == "n" else "any", ""))
            i += 2
            continue
        literal.append(c)
        i += 1
    if literal:
        parts.append(("lit", "".join(literal)))
    return tuple(parts)


def _number_end(text: str, pos: int) -> int:
    """End of the longest number at `pos` (as Python prints one: digits with a point and an exponent,
    nan, inf, with a sign), or -1 when there is none."""
    i, n = pos, len(text)
    if i < n and text[i] in "+-":
        i += 1
    for word in ("nan", "inf"):
        if text.startswith(word, i):
            return i + 3
    start = i
    while i < n and text[i].isascii() and text[i].isdigit():
        i += 1
    digits = i > start
    if i < n and text[i] == ".":
        j = i + 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
        if j > i + 1 or digits:
            digits, i = True, j
    if not digits:
        return -1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        k = j
        while k < n and text[k].isascii() and text[k].isdigit():
            k += 1
        if k > j:
            i = k
    return i


def like_pattern(template: str) -> str:
    """A template as a SQL LIKE pattern with escape character `\\`: `%n` and `%s` are `%`, literal text
    is escaped (`_` and `%` match themselves only).

    >>> like_pattern("%s_eval_Linf_AA.log")
    '%\\\\_eval\\\\_Linf\\\\_AA.log'
    """
    out = []
    for kind, text in _parts(template):
        out.append("%" if kind != "lit" else text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return "".join(out)


def template_matches(template: str, message: str) -> bool:
    """Whether `message` is what `template` prints, for some values of its `%n` and `%s`.

    The positions the template's parts can have reached so far are a set (or, after a `%s`, every
    position from the smallest on): each part moves them on once, so a literal part costs at most
    the message's length times its own, and a `%n` after a `%s` the square of the message's
    length (the sample lines matched are at most 400 characters). A `%n` reads the longest number
    there (what follows a number in a template is never part of one).

    >>> template_matches("Acc: %n %s done", "Acc: 12.50 of 3 done"), template_matches("Acc: %n", "Acc: x")
    (True, False)
    """
    n = len(message)
    reach: set[int] | int = {0}  # a set of positions, or an int p: every position from p on
    for kind, text in _parts(template):
        if kind == "any":
            low = reach if isinstance(reach, int) else min(reach, default=None)
            if low is None:
                return False
            reach = low
            continue
        positions = range(reach, n + 1) if isinstance(reach, int) else sorted(reach)
        nxt: set[int] = set()
        if kind == "lit":
            if isinstance(reach, int):
                at = message.find(text, reach)
                while at >= 0:
                    nxt.add(at + len(text))
                    at = message.find(text, at + 1)
            else:
                nxt = {p + len(text) for p in positions if message.startswith(text, p)}
        else:
            for p in positions:
                end = _number_end(message, p)
                if end > p:
                    nxt.add(end)
        if not nxt:
            return False
        reach = nxt
    return reach <= n if isinstance(reach, int) else n in reach


# --- reading a script ------------------------------------------------------------------------------

def _in_order(nodes) -> list:
    return sorted(nodes, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))


def _dest(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "dest" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return keyword.value.value
    names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    long_names = [n for n in names if n.startswith("--")]
    if long_names:
        return long_names[0][2:].replace("-", "_")
    if names and not names[0].startswith("-"):
        return names[0]
    return names[0].lstrip("-").replace("-", "_") if names else None


def _arguments(tree: ast.AST) -> tuple[str, ...]:
    nodes = list(ast.walk(tree))
    dests: list[str] = []
    for node in _in_order(n for n in nodes if isinstance(n, ast.Call)):
        if isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            dest = _dest(node)
            if dest and dest not in dests:
                dests.append(dest)
    later: list[str] = []
    for node in _in_order(n for n in nodes if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        flat = []
        for target in targets:
            flat.extend(target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target])
        for target in flat:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "args" \
                    and target.attr not in dests and target.attr not in later:
                later.append(target.attr)
    return tuple(dests + later)


def _templates(tree: ast.AST) -> tuple[str, ...]:
    """Templates of the logging calls; a Name argument is resolved to what is assigned to that name."""
    assigned: dict[str, list[ast.AST]] = {}
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _LOG_METHODS \
                and node.args:
            calls.append(node)
    found: list[str] = []
    for call in _in_order(calls):
        first = call.args[0]
        candidates = assigned.get(first.id, []) if isinstance(first, ast.Name) else [first]
        for candidate in candidates:
            if len(call.args) > 1 and isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
                template = _printf_template(candidate.value)  # logging's own %-formatting of its arguments
            else:
                template = _template(candidate)
            if template and template[1] >= MIN_LITERAL and template[0] not in found:
                found.append(template[0])
    return tuple(found)


MAX_LOG_NAMES = 64
"""More templates than this for a log file's name (options with many choices) count as unknown."""
MAX_LOG_NAME_CHARS = 512
"""A longer template for a log file's name counts as unknown: no file name is that long, and a
repository from elsewhere must not make the steps match names against huge LIKE patterns."""


def _choices(tree: ast.AST) -> dict[str, tuple[str, ...] | None]:
    """dest -> the `choices` of its add_argument call when they are a literal list of strings (None:
    the option has none, or is declared more than once)."""
    found: dict[str, tuple[str, ...] | None] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"):
            continue
        dest = _dest(node)
        if dest is None:
            continue
        values = None
        for keyword in node.keywords:
            if keyword.arg == "choices" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                items = keyword.value.elts
                if items and all(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
                    values = tuple(dict.fromkeys(i.value for i in items))
        found[dest] = None if dest in found else values
    return found


def _assigned_once(tree: ast.AST) -> dict[str, ast.AST]:
    """name -> the value of its assignment, for each name the script binds exactly once, with a
    plain `name = value` (any other binding of the name, anywhere, makes its value unknown)."""
    bindings: Counter[str] = Counter()
    values: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bindings[node.id] += 1
        elif isinstance(node, ast.arg):
            bindings[node.arg] += 1
        elif isinstance(node, ast.alias):
            bindings[(node.asname or node.name).partition(".")[0]] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings[node.name] += 1
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bindings[node.name] += 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    return {name: value for name, value in values.items() if bindings[name] == 1}


def _log_names(tree: ast.AST) -> tuple[str, ...] | None:
    """Templates of the name of the file the script's logger writes to.

    Read from its one `setup_logger(..., log_file=...)` call: `str(path)`, a name assigned once, a
    path joined with `/` (its last part) and an f-string or string constant. A field of the f-string
    that is an option with `choices` (`{args.attack_choice}`, or a name assigned it once) stands for
    each of them; any other field is `%s`. Anything else, a script with more than one such call, or
    more than MAX_LOG_NAMES names or one of more than MAX_LOG_NAME_CHARS says nothing (None)."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and any(k.arg == "log_file" for k in node.keywords)
             and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "setup_logger"]
    if len(calls) != 1:
        return None
    node = next(k.value for k in calls[0].keywords if k.arg == "log_file")
    assigned = _assigned_once(tree)
    for _ in range(8):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" \
                and len(node.args) == 1 and not node.keywords:
            node = node.args[0]
        elif isinstance(node, ast.Name) and node.id in assigned:
            node = assigned[node.id]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            node = node.right
        else:
            break
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts: list[tuple[str, ...]] = [(_escaped(node.value),)]
    elif isinstance(node, ast.JoinedStr):
        choices = _choices(tree)
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append((_escaped(part.value),))
                continue
            value = part.value if isinstance(part, ast.FormattedValue) else None
            if isinstance(value, ast.Name) and value.id in assigned:  # `attack_name = args.attack_choice`
                value = assigned[value.id]
            plain = isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None
            option = value.attr if plain and isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
                and value.value.id == "args" else None
            parts.append(tuple(_escaped(c) for c in choices[option]) if choices.get(option) else ("%s",))
    else:
        return None
    names = [""]
    for alternatives in parts:
        if len(names) * len(alternatives) > MAX_LOG_NAMES:
            return None
        names = [name + alternative for name in names for alternative in alternatives]
        if any(len(name) > MAX_LOG_NAME_CHARS for name in names):
            return None
    # the file's name is what follows the last `/` of the path
    return tuple(dict.fromkeys(name.rpartition("/")[2] for name in names))


KEPT_SOURCE_CHARS = 1 << 20
"""Scripts up to this size have their facts kept (`script_facts`); the benchmark's are ~10-30 kB."""


def script_facts(source: str) -> ScriptFacts | None:
    """The argument names and line templates of a script, or None when it is not valid Python.

    Kept per source text (the facts are immutable) for scripts up to KEPT_SOURCE_CHARS: a process
    that reads the same code repositories again (a series of ingests from scratch, through the
    Python API or the tests) parses each version of a script once (~3.4 ms each on the demo's
    scripts). A larger script, which only a repository from elsewhere would hold, is not kept."""
    return _kept_facts(source) if len(source) <= KEPT_SOURCE_CHARS else _facts(source)


@lru_cache(maxsize=512)
def _kept_facts(source: str) -> ScriptFacts | None:
    return _facts(source)


def _facts(source: str) -> ScriptFacts | None:
    try:
        tree = syntax_tree(source, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return ScriptFacts(_arguments(tree), _templates(tree), _log_names(tree))
