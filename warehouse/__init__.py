"""The warehouse: the only code that opens the DuckDB file (schema, migrations, loading, views)."""
from warehouse.connect import connect, default_db_path
from warehouse.errors import WarehouseError

__all__ = ["connect", "default_db_path", "WarehouseError"]
