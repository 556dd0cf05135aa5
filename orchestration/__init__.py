"""Dagster project: every step of the pipeline as assets with lineage, schedules and sensors.

The single entry point is ``orchestration.definitions``:
``dagster dev -m orchestration.definitions``.
"""
