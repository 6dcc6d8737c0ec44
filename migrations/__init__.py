"""Alembic migrations of the state store; run them with `sync-engine db upgrade`.

A package (not just a folder) so it ships in the wheel and `sync_engine.store.db` can find
the script directory from an installed copy.
"""
