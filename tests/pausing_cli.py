"""Run cli.py holding the writer at one named point (warehouse/points.py) until stdin has a line.

    python tests/pausing_cli.py POINT ingest LOGS --db W.duckdb

At POINT it prints `paused at POINT` on stderr and reads a line from stdin. A test reads that
stderr line, so it knows exactly where the process is, then starts another writer, changes files
or sends a signal, and writes a line (or closes stdin) to let it go on. No sleep decides anything.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli import app  # noqa: E402
from warehouse import points  # noqa: E402


def main() -> None:
    wanted = sys.argv[1]
    held = []

    def hold(point: str, db) -> None:
        if point == wanted and not held:
            held.append(point)
            print(f"paused at {point}", file=sys.stderr, flush=True)
            sys.stdin.readline()

    with points.listening(hold):
        app(args=sys.argv[2:], prog_name="cli.py")


if __name__ == "__main__":
    main()
