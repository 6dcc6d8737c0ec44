"""Celery app and thin task wrappers around ``sync_engine.pipeline``."""
