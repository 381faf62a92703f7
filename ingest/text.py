"""Text that Arrow and DuckDB accept: valid UTF-8, whatever a file name, a log or a git history held.

Python keeps bytes it could not decode as lone surrogates: `os.scandir` gives `notes\\udcff.txt`
for a name holding the byte 0xff, `json.loads('"\\\\ud800"')` a lone surrogate. Arrow refuses to
store either. `readable` turns them into visible escapes, so a row can say which file or value it
was, and `is_valid` tells (cheaply) whether that is needed.

>>> readable("notes\\udcff.txt"), readable("x\\ud800y"), readable("ok")
('notes\\\\xff.txt', 'x\\\\ud800y', 'ok')
"""
from __future__ import annotations


def is_valid(text: str) -> bool:
    """Whether a str encodes to UTF-8 as it is (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def readable(text: str) -> str:
    """The text with each undecodable byte as `\\xNN` and each other lone surrogate as `\\udNNN`."""
    if is_valid(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def one_line(text: str, limit: int = 500) -> str:
    """A message as one line of valid text, at most `limit` characters."""
    text = readable(text)
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
