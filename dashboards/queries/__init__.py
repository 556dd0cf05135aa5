"""Page data: one module per page, pure functions ``(access, viewer, filters) -> DataFrame``.

No Streamlit here, so every figure can be tested against the marts without an app. Tenant
scope is added by ``DataAccess``; ``scope.resolve_scope`` decides which marts and which
currency columns a query reads.
"""
