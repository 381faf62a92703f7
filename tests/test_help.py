"""Every command of the command line has a help page that says what the command and each of its
arguments and options are for: the commands are walked from the Typer app itself, so a command is
covered the moment it is registered (no list here to forget)."""
from __future__ import annotations

import re
from functools import lru_cache

import pytest
import typer
from typer.testing import CliRunner

from cli import app

BOX = re.compile(r"[│╭╮╰╯─]+")
"""The frame Rich draws around the arguments and options (its lines split a wrapped help text)."""



def registered_commands(command=None, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    """(command words, click command) of the app and of every command and sub-command registered in it."""
    command = command if command is not None else typer.main.get_command(app)
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += registered_commands(sub, path + (name,))
    return found


COMMANDS = registered_commands()


def flat(text: str) -> str:
    """Help text as words: the frame, the wrapping and runs of spaces taken out."""
    return " ".join(BOX.sub(" ", text).split())


@lru_cache(maxsize=None)
def help_page(path: tuple[str, ...]) -> str:
    """The `--help` page of a command, as words; the command must accept `--help`."""
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    return flat(result.output)


def parameter_cases() -> list:
    cases = []
    for path, command in COMMANDS:
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            cases.append(pytest.param(path, param, id=f"{' '.join(path)} {param.name}"))
    return cases


def test_the_walk_finds_the_commands_and_sub_commands():
    paths = {path for path, _ in COMMANDS}
    assert {(), ("ingest",), ("check",), ("export",), ("export", "parquet"), ("export", "arch-list")} <= paths
    assert len(paths) >= 12


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(path) or "nares" for path, _ in COMMANDS])
def test_help_page_says_what_the_command_is_for(path, command):
    page = help_page(path)
    assert page.startswith("Usage: ")
    assert command.help and flat(command.help) in page


@pytest.mark.parametrize("path, param", parameter_cases())
def test_help_page_names_and_explains_each_argument_and_option(path, param):
    page = help_page(path)
    if param.param_type_name == "option":
        assert set(param.opts) <= set(page.split()), page
    # a help text writes a literal '[' as '\[' (Rich reads '[...]' as markup and drops it); the page shows '['
    assert param.help and flat(param.help.replace("\\[", "[")) in page, page


GROUPS = [(path, command) for path, command in COMMANDS if getattr(command, "commands", None)]


@pytest.mark.parametrize("path, group", GROUPS, ids=[" ".join(path) or "nares" for path, _ in GROUPS])
def test_command_lists_give_each_command_its_summary_on_one_line(path, group):
    """The list of a group's commands shows the first paragraph of each command's help as written:
    Rich keeps its line breaks, so a summary wrapped in the source shows broken mid-sentence even on
    a terminal wide enough for it."""
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    rows = {" ".join(BOX.sub(" ", line).split()) for line in result.output.splitlines()}
    for name, sub in group.commands.items():
        summary = flat((sub.short_help or sub.help).split("\n\n")[0])
        assert f"{name} {summary}" in rows, (name, summary)


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(path) or "nares" for path, _ in COMMANDS])
def test_no_paragraph_of_a_help_text_is_broken_where_the_source_wraps(path, command):
    """Rich prints the paragraphs after a help text's first with their line breaks: a paragraph
    wrapped in the source shows broken mid-sentence on the help page."""
    import inspect

    broken = [p for p in inspect.cleandoc(command.help or "").split("\n\n") if "\n" in p]
    assert not broken, broken
