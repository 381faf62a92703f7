"""What an entry script of the benchmark's code prints: its argument names and its line templates.

Read from the script's source with Python's `ast` (nothing is run):

- `arguments`: the dests of its `add_argument` calls in declaration order (`--apex-amp` is
  `apex_amp`), then the attributes the code sets on `args` after parsing (`args.device = device`),
  in the order they appear: what `for arg in vars(args)` logs.
- `templates`: the line templates of its logging calls (`logger.info(...)`: %-format strings, their
  lazy `logger.info(fmt, x)` form, f-strings, `str.format`, and a `payload` variable assigned from
  one of these), as regular expressions over a log record's message.

>>> facts = script_facts('''
... parser.add_argument('--model-path', type=str)
... args = parser.parse_args()
... args.device = 'cpu'
... logger.info('LIP Avg: %.4f ' % lip)
... ''')
>>> facts.arguments, facts.matches("LIP Avg: 0.1234 ")
(('model_path', 'device'), True)
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+|nan|inf)"
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlL]?([diouxXeEfFgGcrsa%])")
_LOG_METHODS = frozenset({"info", "warning", "error", "debug", "critical", "exception"})
MIN_LITERAL = 6
"""Characters of literal text a template needs before it counts: `%s: %s` would match any line."""


@dataclass(frozen=True)
class ScriptFacts:
    arguments: tuple[str, ...]
    templates: tuple[str, ...]

    def matches(self, message: str) -> bool:
        """Whether one of the script's line templates prints exactly this message."""
        return any(_compiled(t).fullmatch(message) for t in self.templates)


_CACHE: dict[str, re.Pattern] = {}


def _compiled(template: str) -> re.Pattern:
    pattern = _CACHE.get(template)
    if pattern is None:
        pattern = _CACHE[template] = re.compile(template, re.S)
    return pattern


def _printf_regex(text: str) -> tuple[str, int]:
    """A %-format string as a regex (and its count of literal characters)."""
    out, literal, pos = [], 0, 0
    for match in _PRINTF.finditer(text):
        out.append(re.escape(text[pos:match.start()]))
        literal += match.start() - pos
        kind = match.group(1)
        out.append("%" if kind == "%" else r"[-+]?\d+" if kind in "diouxX" else _NUMBER if kind in "eEfFgG" else ".*?")
        pos = match.end()
    out.append(re.escape(text[pos:]))
    return "".join(out), literal + len(text) - pos


def _format_regex(text: str) -> tuple[str, int]:
    """A `str.format` string (`{}`, `{0}`, `{name:.2f}`) as a regex."""
    out, literal, pos = [], 0, 0
    for match in re.finditer(r"\{\{|\}\}|\{([^{}]*)\}", text):
        out.append(re.escape(text[pos:match.start()]))
        literal += match.start() - pos
        whole = match.group(0)
        if whole in ("{{", "}}"):
            out.append(re.escape(whole[0]))
        else:
            spec = (match.group(1) or "").partition(":")[2]
            out.append(_NUMBER if spec[-1:] in tuple("eEfFgGd%") else ".*?")
        pos = match.end()
    out.append(re.escape(text[pos:]))
    return "".join(out), literal + len(text) - pos


def _fstring_regex(node: ast.JoinedStr) -> tuple[str, int]:
    out, literal = [], 0
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            out.append(re.escape(part.value))
            literal += len(part.value)
        elif isinstance(part, ast.FormattedValue):
            spec = ""
            if isinstance(part.format_spec, ast.JoinedStr):
                spec = "".join(p.value for p in part.format_spec.values if isinstance(p, ast.Constant))
            out.append(_NUMBER if part.conversion == -1 and spec[-1:] in tuple("eEfFgGd%") else ".*?")
    return "".join(out), literal


def _template(node: ast.AST) -> tuple[str, int] | None:
    """The regex of a string-producing expression: `'..' % x`, `'..'.format(x)`, an f-string, a constant."""
    if isinstance(node, ast.JoinedStr):
        return _fstring_regex(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        return _printf_regex(node.left.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        return _format_regex(node.func.value.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value), len(node.value)
    return None


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
                template = _printf_regex(candidate.value)  # logging's own %-formatting of its arguments
            else:
                template = _template(candidate)
            if template and template[1] >= MIN_LITERAL and template[0] not in found:
                found.append(template[0])
    return tuple(found)


def script_facts(source: str) -> ScriptFacts | None:
    """The argument names and line templates of a script, or None when it is not valid Python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return ScriptFacts(_arguments(tree), _templates(tree))
