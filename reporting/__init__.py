"""The read side: what the warehouse holds and how healthy it is (``status``, ``health``,
``freshness``) and where a KPI figure comes from (``explain``). Reads only, never writes.
"""
