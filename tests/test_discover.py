"""Finding the files of a log repository (ingest/discover.py): the compiled walk
(ingest/_scan.c `walk_files`) lists what a plain-Python walk of the same rules lists, on trees
with every kind of entry a repository can hold."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from ingest._scan import walk_files
from ingest.discover import NOT_UTF8, FoundFile, discover

LINK = "a symbolic link: not followed (it may point anywhere); ingest what it points to"
SPECIAL = "not a regular file (a FIFO, socket or device): not read"


def python_walk(folder: str, root: str, prefix: str = "") -> list[tuple]:
    """The rules in plain Python: the files below `folder` as (path, root, rel_path, name, size,
    mtime_ns, skip); symbolic links listed as they are, not followed, and so are FIFOs (skip says
    why they are not read; None for a regular file); `.git` folders not entered; what cannot be
    listed or stat'ed passed over."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    rows = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != ".git":
                rows += python_walk(entry.path, root, f"{prefix}{entry.name}/")
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        skip = None if entry.is_file(follow_symlinks=False) else LINK if entry.is_symlink() else SPECIAL
        rows.append((entry.path, root, prefix + entry.name, entry.name, st.st_size, st.st_mtime_ns, skip))
    return sorted(rows)


def odd_tree(root: Path) -> None:
    """A folder with what repositories hold besides logs: nested and empty folders, `.git`, links
    to files and folders (also dangling and looping), a FIFO, names that are not UTF-8 or hold
    spaces, newlines and backslashes."""
    (root / "msu" / "large" / "deep" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "objects" / "arch_1.log").write_text("not a log of the repository")
    (root / "msu" / ".git").write_text("gitdir: elsewhere\n")  # a file named .git is a file
    (root / "msu" / "arch_1.log").write_text("x" * 10)
    (root / "msu" / "large" / "deep" / "deeper" / "arch_2_eval_Linf_Base.log").write_text("y")
    (root / "with space\nand newline\\.log").write_text("z")
    os.mkfifo(root / "a fifo")
    (root / "link to file").symlink_to(root / "msu" / "arch_1.log")
    (root / "link to folder").symlink_to(root / "msu", target_is_directory=True)
    (root / "dangling").symlink_to(root / "nowhere")
    (root / "msu" / "loop").symlink_to(root, target_is_directory=True)
    raw = os.fsencode(root)
    os.mkdir(raw + b"/d\xfe")
    with open(raw + b"/d\xfe/arch_3\xff.log", "wb") as handle:
        handle.write(b"w")
    with open(raw + b"/caf\xc3\xa9.txt", "wb") as handle:
        handle.write(b"v")
    os.utime(root / "msu" / "arch_1.log", ns=(5, 1_700_000_000_123_456_789))


def walked(root: str) -> list[tuple]:
    """The compiled walk's rows as the plain-Python walk gives them, and in the order of their
    paths' bytes (FoundFile tuples, their last two items as for a path that is text)."""
    found = walk_files(root, FoundFile)
    assert all(type(f) is FoundFile and f[6:8] == ("", None) for f in found)
    assert [os.fsencode(f.path) for f in found] == sorted(os.fsencode(f.path) for f in found)
    return sorted((*f[:6], f.skip) for f in found)


def test_the_compiled_walk_lists_what_the_python_walk_lists(tmp_path):
    odd_tree(tmp_path)
    root = str(tmp_path)
    rows = walked(root)
    assert rows == python_walk(root, root)
    names = {row[2] for row in rows}
    assert "msu/arch_1.log" in names and "msu/.git" in names and ".git/objects/arch_1.log" not in names
    skipped = {row[2]: row[6] for row in rows if row[6] is not None}
    assert skipped == {"a fifo": SPECIAL, "link to file": LINK, "link to folder": LINK, "dangling": LINK, "msu/loop": LINK}
    assert not any(n.startswith("link to folder/") for n in names)  # not followed
    assert ("msu/arch_1.log", 10, 1_700_000_000_123_456_789) in {(r[2], r[4], r[5]) for r in rows}
    assert os.fsdecode(b"d\xfe/arch_3\xff.log") in names  # undecodable bytes as os.fsdecode gives them


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_walk_agrees_on_random_trees(tmp_path, seed):
    rng = random.Random(seed)
    folders = [tmp_path]
    for i in range(200):
        parent = rng.choice(folders)
        what = rng.random()
        name = rng.choice(["arch_{}.log", "arch_{}_eval_L2_AA.log", "notes {}.txt", ".git", "d{}", "x\udcff{}"]).format(i)
        target = parent / name
        if os.path.lexists(target):
            continue
        if what < 0.25:
            target.mkdir()
            folders.append(target)
        elif what < 0.3:
            target.symlink_to(rng.choice(folders), target_is_directory=True)
        else:
            target.write_bytes(b"a" * rng.randrange(100))
    for folder in [tmp_path, *rng.sample(folders, 3)]:
        assert walked(str(folder)) == python_walk(str(folder), str(folder))


def test_discover_sorts_by_path_and_gives_a_file_under_two_roots_to_the_first(tmp_path):
    odd_tree(tmp_path)
    inner = tmp_path / "msu"
    found = discover([inner, tmp_path, inner / "arch_1.log"])
    paths = [f.path for f in found]
    assert paths == sorted(paths) and len(paths) == len(set(paths))
    by_path = {f.path: f for f in found}
    nested = str((inner / "large" / "deep" / "deeper" / "arch_2_eval_Linf_Base.log").resolve())
    assert by_path[nested].root == str(inner.resolve())
    assert by_path[nested].rel_path == "large/deep/deeper/arch_2_eval_Linf_Base.log"
    single = by_path[str((inner / "arch_1.log").resolve())]  # a file given as a root is its own root
    assert (single.root, single.rel_path, single.size) == (single.path, "arch_1.log", 10)
    assert by_path[nested].kind.kind == "eval" and single.kind.kind == "train"
    escaped = [f for f in found if f.note == NOT_UTF8]
    assert {f.name for f in escaped} == {"arch_3\\xff.log"}
    assert all(f.os_path and os.path.exists(f.os_path) for f in escaped)
    assert discover([tmp_path / "nowhere"]) == []
