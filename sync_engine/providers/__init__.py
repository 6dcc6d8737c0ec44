"""Accounting side: one module per provider behind one Protocol (``base.Provider``)."""
