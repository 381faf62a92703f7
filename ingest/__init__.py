"""Readers of the benchmark's log files. They yield records and never open the database. Beside
them, ingest/write.py writes the files people read (report, lists, cache) whole or not at all.

`ingest/kinds.py` is the registry of the kinds of files and their parsers. This file imports
nothing, so that a command that only reads a warehouse (`check`, `report`, `sql`) does not load
the parsers when it needs one of their small modules (ingest/errors.py).
"""
