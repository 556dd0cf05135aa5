"""The dbt project's SQL lints clean: every model and data test, and the staging SQL rendered
from the contracts (what ``opsintel contracts dbt`` writes for a new entity).

The rules are ``dbt_project/.sqlfluff`` (jinja templater with the project's macros and the
stand-ins of ``dbt_project/lint_context``, so it runs offline without a profile); the same
check from a shell is ``sqlfluff lint dbt_project``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_runner import DBT_PROJECT
from sqlfluff.core import FluffConfig, Linter
from sqlfluff.core.linter import LintingResult

from models import load_contracts
from models.dbt_sources import REPO_ROOT, render_staging_sql, staging_sql_path

SQLFLUFF_CONFIG = DBT_PROJECT / ".sqlfluff"
LINTED_FOLDERS = ("models", "tests")


@pytest.fixture(scope="module")
def linter() -> Linter:
    assert SQLFLUFF_CONFIG.is_file(), f"{SQLFLUFF_CONFIG.relative_to(REPO_ROOT)} is missing"
    return Linter(config=FluffConfig.from_path(str(DBT_PROJECT)))


def findings(result: LintingResult) -> list[str]:
    """``file:line: RULE description`` for every violation, paths relative to the repository."""
    lines = []
    for record in result.as_records():
        path = Path(record["filepath"])
        shown = path.relative_to(REPO_ROOT) if path.is_absolute() else path
        lines += [f"{shown}:{v['start_line_no']}: {v['code']} {v['description']}"
                  for v in record["violations"]]
    return lines


def test_every_model_and_data_test_lints_clean(linter: Linter) -> None:
    result = linter.lint_paths(tuple(str(DBT_PROJECT / folder) for folder in LINTED_FOLDERS))
    linted = {Path(record["filepath"]).name for record in result.as_records()}
    assert "fct_mrr.sql" in linted and "assert_mrr_bridge_closes.sql" in linted
    problems = findings(result)
    assert problems == [], f"{len(problems)} sqlfluff findings:\n" + "\n".join(problems)


def test_the_rendered_staging_sql_lints_clean(linter: Linter) -> None:
    contracts = load_contracts()
    problems = []
    for contract in contracts.values():
        path = staging_sql_path(contract)  # its folder's config applies, as for the real file
        linted = linter.lint_string(render_staging_sql(contract, contracts), fname=str(path))
        problems += [f"render_staging_sql({contract.name!r}):{v.line_no}: {v.rule_code()} {v.desc()}"
                     for v in linted.get_violations()]
    assert problems == [], "\n".join(problems)


def test_the_rules_catch_uppercase_leading_commas_and_long_lines(linter: Linter) -> None:
    sql = (
        "with\n\norders as (\n\n    select * from {{ ref('stg_billing__invoices') }}\n\n)\n\n"
        "SELECT\n    invoice_id\n    , tenant_id,\n"
        f"    {' + '.join(['total_amount'] * 8)} as padded_amount\nfrom orders\n"
    )
    linted = linter.lint_string(sql, fname=str(DBT_PROJECT / "models" / "marts" / "example.sql"))
    codes = {v.rule_code() for v in linted.get_violations()}
    assert {"CP01", "LT04", "LT05"} <= codes, codes
