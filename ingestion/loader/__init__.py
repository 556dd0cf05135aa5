"""The contract-validating loader: export files -> DuckDB schema ``raw`` (+ quarantine, audit)."""

from ingestion.loader.batch import load_landing, load_source
from ingestion.loader.discovery import discover_files
from ingestion.loader.errors import SourceStopped
from ingestion.loader.results import FileLoadResult, SourceLoadResult, TableLoadResult

__all__ = [
    "FileLoadResult",
    "SourceLoadResult",
    "SourceStopped",
    "TableLoadResult",
    "discover_files",
    "load_landing",
    "load_source",
]
