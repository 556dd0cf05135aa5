"""The ``opsintel`` command line: one group, with a command module each under
``opsintel.commands``. Exit codes are in ``opsintel.console``."""

from __future__ import annotations

import click

from opsintel.commands import contracts, dbt, explain, generate, load, ml, serve, status, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opsintel")
def cli() -> None:
    """opsintel: operational intelligence for SaaS and service-led companies.

    Typical flow: `opsintel generate` (sample exports) -> `opsintel load` (into the
    warehouse) -> `opsintel status`. Paths default to data/ under the repository and follow
    $OPSINTEL_LANDING, $OPSINTEL_WAREHOUSE and $OPSINTEL_GROUND_TRUTH.
    """


for command in (generate.generate, load.load, status.status, dbt.dbt, serve.serve,
                explain.explain, contracts.contracts, ml.ml, users.users):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="opsintel")


if __name__ == "__main__":
    main()
