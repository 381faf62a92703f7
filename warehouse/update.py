"""The stable names of the ingest: `ingest_paths` and its summary (warehouse/pipeline.py, the
ingest as an ordered list of stages) and `upgrade_warehouse` (warehouse/upgrade.py).

Scripts, tests and benchmarks import them from here; the code lives in those two modules.
"""
from __future__ import annotations

from warehouse.pipeline import STAGES, TOOL, IngestSummary, Progress, ingest_paths
from warehouse.upgrade import upgrade_warehouse

__all__ = ["ingest_paths", "IngestSummary", "Progress", "STAGES", "TOOL", "upgrade_warehouse"]
