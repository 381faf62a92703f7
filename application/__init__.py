"""The application layer: what each command does, in the words a user reads.

    ingest/, demo/   read and write files, never the database
    warehouse/       owns the database (the ingest pipeline, queries, exports)
    reports/         turns views into figures and text
    application/     the commands: open the warehouse, call the layers below, say the result
    nares.py         the Python API (application/reading.py `Warehouse`, re-exported)
    cli.py           wires Typer to application/commands.py; one place prints any UserError

A command function here returns an `Output` (application/output.py): the lines for stdout and
stderr in the order they are printed, and the exit code. It raises `UserError`
(ingest/errors.py) for anything the user can act on; the CLI turns that into `error: <message>`.

Opening a warehouse to read has one policy, for every command, export and the API alike:
warehouse/query.py `open_for_reading` (an older file is migrated first, atomically; a newer one
is refused). It lives in warehouse/ because warehouse/checks.py and reports/ open files too.
"""
