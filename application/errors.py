"""What ends a command with one line instead of a traceback: a UserError (ingest/errors.py, its
message and exit code) or SIGTERM during a write (warehouse/swap.py `Terminated`: the write
unwound and left the old file). cli.py catches both in one place."""
from __future__ import annotations

from ingest.errors import UserError
from warehouse.swap import Terminated

STOPPED = UserError("stopped by SIGTERM; the warehouse is unchanged", exit_code=143)
"""What a command stopped by SIGTERM says (an ingest says more: application/commands.py `ingest`)."""

__all__ = ["UserError", "Terminated", "STOPPED"]
