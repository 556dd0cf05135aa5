"""``opsintel contracts``: inspect the entity contracts; keep the dbt YAML in step."""

from __future__ import annotations

import click

from opsintel.console import fail


@click.group()
def contracts() -> None:
    """Inspect the entity contracts and keep the dbt sources in step with them."""


@contracts.command("list")
def contracts_list() -> None:
    """List every entity with its source system, key and field count."""
    from models import load_contracts, load_order

    all_contracts = load_contracts()
    for name in load_order():
        c = all_contracts[name]
        click.echo(f"{c.source:<12} {name:<26} key=({', '.join(c.primary_key)}) fields={len(c.fields)}")


@contracts.command("dbt")
@click.option("--check", is_flag=True, help="Only check: exit 1 if the dbt YAML differs from the contracts.")
def contracts_dbt(check: bool) -> None:
    """Write the dbt sources and staging models YAML from the contracts.

    Also creates the staging model SQL of a new contract (existing models are never
    overwritten).
    """
    from models import load_contracts
    from models.dbt_sources import disagreements, read_sources_yaml, stale_files, write_dbt_yaml

    if check:
        problems = disagreements(load_contracts(), read_sources_yaml()) + stale_files()
        for problem in problems:
            click.echo(f"differs: {problem}", err=True)
        if problems:
            fail("the dbt YAML disagrees with the contracts; run `opsintel contracts dbt`")
        click.echo("dbt sources and staging models agree with the contracts")
        return
    for path in write_dbt_yaml():
        click.echo(f"wrote {path}")
