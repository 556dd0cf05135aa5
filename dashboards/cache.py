"""Bounded caching of page data, keyed by what the data depends on and nothing else.

The key is the query, the published snapshot file (a new publish is a new key, so a page never
shows data older than the snapshot it reads), the viewer's tenant scope (never the user name:
two viewers of the same tenants share entries, two scopes never do) and the filters.

Entries stay Python objects and every caller gets its own deep copy, so a page that changes
its frame never changes the cache. Copying is nearly free (the DataFrames' text columns are
immutable Arrow buffers the copies share), whereas pickling each result, as ``st.cache_data``
does, cost ~13 ms per store of the 68,000-row MRR movements at SF=10.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import astuple
from typing import Any, TypeVar

import streamlit as st

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.scope import forget_scopes

T = TypeVar("T")

CACHE_ENTRIES = 512
CACHE_TTL_SECONDS = 15 * 60


def viewer_scope(viewer: Viewer) -> tuple[str, ...] | None:
    return None if viewer.tenants is None else tuple(sorted(viewer.tenants))


@st.cache_resource(max_entries=CACHE_ENTRIES, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _cached_call(query_name: str, snapshot: str, scope: tuple[str, ...] | None,
                 filters_key: tuple[Any, ...], extra: tuple[Any, ...],
                 _query: Callable[..., Any], _access: DataAccess, _viewer: Viewer,
                 _filters: Filters) -> Any:
    # Underscored arguments are not hashed: the named ones above identify them.
    return _query(_access, _viewer, _filters, *extra)


def cached(query: Callable[..., T], access: DataAccess, viewer: Viewer, filters: Filters,
           *extra: Any) -> T:
    """``query(access, viewer, filters, *extra)``, served from the cache when it can be."""
    name = f"{query.__module__}.{query.__qualname__}"
    shared = _cached_call(name, str(access.snapshot), viewer_scope(viewer), astuple(filters),
                          tuple(extra), query, access, viewer, filters)
    return copy.deepcopy(shared)


def clear() -> None:
    _cached_call.clear()
    forget_scopes()
