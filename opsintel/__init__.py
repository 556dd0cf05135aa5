"""The ``opsintel`` command: thin command modules (``opsintel.commands``) over the packages
that do the work, and the two runners only the command uses (``launcher`` for ``serve``,
``dbt_build`` for ``opsintel dbt``). Nothing below imports this package.
"""
