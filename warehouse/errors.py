"""The domain error of the warehouse: a UserError (ingest/errors.py), so the CLI prints its message
as one line and exits non-zero."""
from __future__ import annotations

from ingest.errors import UserError


class WarehouseError(UserError):
    """Something the user can act on: a missing folder, a foreign file, a newer schema, a lock."""
