"""The domain error of the warehouse: the CLI prints its message as one line and exits non-zero."""


class WarehouseError(Exception):
    """Something the user can act on: a missing folder, a foreign file, a newer schema, a lock."""
