"""Nightly reconciliation: shop ↔ state table ↔ provider, with repair through the pipeline.

``service.reconcile_store`` runs one store over one ``window.Window``; the beat task calls
``service.reconcile_all_stores``; ``cli.reconcile_command`` is ``sync-engine reconcile``.
"""
