"""The shared foundation: every setting (``foundation.settings``) and warehouse access
(``foundation.warehouse``: connections, the writer lock, published snapshots).

Every other package builds on this one; it imports none of them.
"""
