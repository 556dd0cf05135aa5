"""Resources: where the warehouse and the landing folder are.

The paths are plain config so the UI shows them and tests point them at temporary folders.
Their defaults come from ``foundation.settings`` (``$OPSINTEL_WAREHOUSE``, ``$OPSINTEL_LANDING``,
else folders under the repository), the same place the CLI reads, so Dagster and
``opsintel load`` always write the same file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

from foundation import settings
from foundation.warehouse import Warehouse

LOGS_ENV = settings.LOGS_ENV


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file; writers take its inter-process lock, readers a snapshot."""

    path: str = Field(description=f"DuckDB file the pipeline writes (${settings.WAREHOUSE_ENV}).")

    @classmethod
    def from_settings(cls) -> WarehouseResource:
        return cls(path=str(settings.warehouse_path()))

    def get_warehouse(self) -> Warehouse:
        return Warehouse(Path(self.path))

    @contextmanager
    def dbt_environment(self, path: Path | str | None = None) -> Iterator[None]:
        """Point dbt (a child process reading ``$OPSINTEL_WAREHOUSE``) at ``path``.

        ``path`` is the scratch copy a build writes (``Warehouse.build_copy``), which dbt is
        then allowed to write (``$OPSINTEL_DBT_WRITER``); without it, this resource's file,
        which dbt only reads.
        """
        variables = settings.dbt_writer_environment(path) if path else {settings.WAREHOUSE_ENV: self.path}
        previous = {name: os.environ.get(name) for name in (*variables, settings.DBT_WRITER_ENV)}
        os.environ.pop(settings.DBT_WRITER_ENV, None)
        os.environ.update(variables)
        try:
            yield
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class LogsResource(dg.ConfigurableResource):
    """The folder of the pipeline's own logs (``run_failures.log``)."""

    path: str = Field(description=f"Folder of pipeline logs (${LOGS_ENV}).")

    @classmethod
    def from_settings(cls) -> LogsResource:
        return cls(path=str(settings.logs_path()))

    def get_path(self) -> Path:
        return Path(self.path)


class LandingResource(dg.ConfigurableResource):
    """The folder source exports land in: ``<path>/<source>/<entity>.<ext>``."""

    path: str = Field(description=f"Folder of source exports (${settings.LANDING_ENV}).")

    @classmethod
    def from_settings(cls) -> LandingResource:
        return cls(path=str(settings.landing_path()))

    def get_path(self) -> Path:
        return Path(self.path)
