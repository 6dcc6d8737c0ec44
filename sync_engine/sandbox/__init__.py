"""Faithful local simulators of the providers and shop platforms (DESIGN §2).

They power the demo, the adapters' contract tests, the benchmarks and the chaos tests, and
they refuse what the real provider refuses.
"""
