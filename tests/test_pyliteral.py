"""The reader of logged Python reprs: its fast path against `ast.literal_eval`, which it must equal."""
from __future__ import annotations

import ast
import random
import re

import pytest
from conftest import TRAIN_LOG
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.pyliteral import _canonical_literal, _NotCanonical, read_config, read_literal


def reference(text: str):
    """What ast.literal_eval says: a value, or the exception type it raises."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError) as exc:
        return type(exc)


def same(a, b) -> bool:
    """Equal values of the same types all the way down (so -0.0 is not 0.0 and (1,) is not [1])."""
    return repr(a) == repr(b) and type(a) is type(b)


def agrees(text: str) -> bool:
    """The fast path either declines or gives exactly literal_eval's value; returns whether it answered."""
    try:
        fast = _canonical_literal(text)
    except (_NotCanonical, RecursionError):
        return False
    assert same(fast, reference(text)), text
    return True


def test_every_config_line_of_the_sample_log_is_read_by_the_fast_path():
    lines = re.findall(r": (Config\(\[.*\]\))\n", TRAIN_LOG.read_text())
    assert len(lines) >= 5
    for line in lines:
        assert agrees(line[len("Config("):-1]), line
        assert read_config(line) == dict(ast.literal_eval(line[len("Config("):-1]))


@pytest.mark.parametrize("text", [
    "[('a', 1), ('b', [1, 2.5, -3]), ('e', None), ('g', 1e-05), ('h', -0.0), ('i', True)]",
    "[]", "[[[]]]", "[False, None]", "['NVIDIA GeForce RTX 3090', 'NVIDIA GeForce RTX 3090']",
    "[123456789012345678901234567890, 1e+16, 0.1]",
])
def test_canonical_reprs_are_read_as_literal_eval_reads_them(text):
    assert agrees(text)


@pytest.mark.parametrize("text", [
    "[('c', (1,))]", "[('d', ())]", "[('f', \"it's\")]", "[('x', 'TrueType')]", "[('x', 'a(b)')]",
    "[NaN]", "[Infinity]", "[1e999]", "[1,]", "[ 1 ,\t2 ]", "[1.]", "[1.50]", "[1E5]", "['a\\nb']",
    "(1)", "'a' 'b'", "007", "00", "1_000", "- 5", "{1: 2}", "", "[1 2]", "(,)", "[,]", "1,2", ".5", "1j",
    "[1]]", "[[1]", "(1]", "'a\r'", "[1,\u00a02]", "[\u0661]", "[1\n]", "x", "Truex", "[1][0]", "'ab'[0]",
    "[true]", "[null]", '["a"]', "[('a', 1), ['b', 2]]", "[('a', [('b', 1)])]",
])
def test_other_forms_are_declined(text):
    assert not agrees(text)
    # and read_literal still answers as literal_eval does
    expected = reference(text)
    if isinstance(expected, type):
        with pytest.raises(ValueError):
            read_literal(text)
    else:
        assert same(read_literal(text), expected)


ATOMS = ["1", "-2", "0", "3.5", "-0.0", "1e-05", "2.", "'a'", "\"it's\"", "''", "True", "False", "None", "'x y'"]
DAMAGE = list("[](),'\" \t\n\\.-+e0123456789_xj{}:") + ["True", "None", "\r", "\u00a0", "\u0661"]


def literal(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(ATOMS)
    items = [literal(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    sep = rng.choice([", ", ",", " , "])
    trailing = "," if items and rng.random() < 0.2 else ""
    open_, close = rng.choice(["[]", "()"])
    return open_ + sep.join(items) + trailing + close


@settings(max_examples=600, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), damage=st.integers(0, 4))
def test_random_and_damaged_literals_agree_with_literal_eval(seed, damage):
    rng = random.Random(seed)
    text = list(literal(rng))
    for _ in range(damage):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and text:
            del text[min(at, len(text) - 1)]
        else:
            text[at:at] = [rng.choice(DAMAGE)]
    agrees("".join(text))


def test_reprs_of_random_values_take_the_fast_path():
    rng = random.Random(0)
    for _ in range(500):
        value = ast.literal_eval(literal(rng).replace("(", "[").replace(")", "]"))
        if isinstance(value, list):
            if rng.random() < 0.5:  # a list of pairs, as a Config prints them
                value = [(str(i), v) for i, v in enumerate(value)]
            text = repr(value)
            assert agrees(text) or '"' in text, text  # a string with a quote in it is left to ast


def test_text_with_an_invalid_escape_is_read_without_a_warning():
    """`'\\i'` in a logged string or a code repository's source: the compiler warns (a SyntaxWarning,
    printed on the terminal, from Python 3.12); the tool reads it quietly."""
    import warnings

    from ingest.code_facts import script_facts
    from ingest.header import namespace_names

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_literal("['a\\i', 1]") == ["a\\i", 1]
        assert namespace_names(b"Namespace(a='x\\i', b=2)\n", 0) == ["a", "b"]
        assert script_facts("import re\nlogger.info('%d rows in \\d' % n)\n").templates == ("%n rows in \\d",)
