"""The landing sensor: one run per changed source, never twice for the same change."""

import json
import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from models import contracts_by_source
from orchestration.defs.ingestion import raw_asset_key
from orchestration.defs.sensors import landing_sensor
from orchestration.resources import LandingResource

WriteExport = Callable[..., Path]


def evaluate(landing: Path, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"landing": LandingResource(path=str(landing))}
    )
    return landing_sensor(context)


def run_requests(result: dg.SensorResult | dg.SkipReason) -> list[dg.RunRequest]:
    return list(result.run_requests or []) if isinstance(result, dg.SensorResult) else []


def test_skips_when_the_landing_folder_is_missing(tmp_path: Path) -> None:
    result = evaluate(tmp_path / "missing", None)
    assert isinstance(result, dg.SkipReason)
    assert "does not exist" in result.skip_message


def test_skips_when_there_are_no_files(tmp_path: Path) -> None:
    result = evaluate(tmp_path, None)
    assert not run_requests(result)
    assert "no new or changed files" in result.skip_reason.skip_message


def test_new_file_requests_a_run_of_that_source_only(
    tmp_path: Path, write_export: WriteExport
) -> None:
    write_export(tmp_path, "billing/invoices.csv", "tenant_id\nt1\n")
    write_export(tmp_path, "billing/ignored_no_contract.csv", "x\n1\n")

    result = evaluate(tmp_path, None)

    (request,) = run_requests(result)
    assert set(request.asset_selection) == {
        raw_asset_key(c.name) for c in contracts_by_source()["billing"]
    }
    assert request.tags["opsintel/source"] == "billing"
    assert request.run_key.startswith("billing:")
    assert list(json.loads(result.cursor)) == ["billing/invoices.csv"]


def test_same_state_again_requests_nothing(tmp_path: Path, write_export: WriteExport) -> None:
    write_export(tmp_path, "crm/customers.csv", "tenant_id\nt1\n")
    first = evaluate(tmp_path, None)
    assert len(run_requests(first)) == 1

    again = evaluate(tmp_path, first.cursor)

    assert not run_requests(again)
    assert again.cursor == first.cursor


def test_changed_file_requests_a_new_run(tmp_path: Path, write_export: WriteExport) -> None:
    path = write_export(tmp_path, "crm/customers.csv", "tenant_id\nt1\n")
    first = evaluate(tmp_path, None)

    write_export(tmp_path, "crm/customers.csv", "tenant_id\nt1\nt2\n", age_s=30)
    second = evaluate(tmp_path, first.cursor)

    (request,) = run_requests(second)
    assert request.tags["opsintel/source"] == "crm"
    assert request.run_key != run_requests(first)[0].run_key
    assert path.exists()


def test_only_the_changed_source_runs_and_parts_count(
    tmp_path: Path, write_export: WriteExport
) -> None:
    write_export(tmp_path, "finance/tenants.csv", "tenant_id\nt1\n")
    write_export(tmp_path, "usage/usage_events/part-0001.jsonl", "{}\n")
    first = evaluate(tmp_path, None)
    assert sorted(r.tags["opsintel/source"] for r in run_requests(first)) == ["finance", "usage"]

    write_export(tmp_path, "usage/usage_events/part-0002.jsonl", "{}\n")
    second = evaluate(tmp_path, first.cursor)

    assert [r.tags["opsintel/source"] for r in run_requests(second)] == ["usage"]


def test_a_file_still_being_written_waits_for_the_next_tick(
    tmp_path: Path, write_export: WriteExport
) -> None:
    write_export(tmp_path, "support/support_tickets.csv", "tenant_id\n", age_s=0)

    result = evaluate(tmp_path, None)

    assert not run_requests(result)
    assert "still being written" in result.skip_reason.skip_message
    path = tmp_path / "support/support_tickets.csv"
    past = path.stat().st_mtime_ns - 60 * 10**9
    os.utime(path, ns=(past, past))
    assert len(run_requests(evaluate(tmp_path, result.cursor))) == 1


@pytest.mark.parametrize("cursor", [None, "{}"])
def test_deleted_files_leave_the_cursor_without_a_run(
    tmp_path: Path, cursor: str | None, write_export: WriteExport
) -> None:
    path = write_export(tmp_path, "partners/partners.csv", "tenant_id\nt1\n")
    first = evaluate(tmp_path, cursor)
    path.unlink()

    second = evaluate(tmp_path, first.cursor)

    assert not run_requests(second)
    assert second.cursor == "{}"
