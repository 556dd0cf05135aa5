"""dbt's ``api.Relation.create`` as the relation name it renders to."""

from __future__ import annotations


class Relation:
    @staticmethod
    def create(database: str | None = None, schema: str | None = None,
               identifier: str | None = None) -> str:
        return ".".join(part for part in (schema, identifier) if part)
