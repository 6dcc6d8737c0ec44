"""Tools for developing and demonstrating the product, never run in production: the order
factories (``orders/``), the webhook sender, the dev stack that runs sandbox + web + worker +
beat as subprocesses, the demo, the benchmarks and the embedded Redis.

They may import the product and the sandbox; the product imports neither (an import-linter
contract in pyproject.toml), except the CLI's dev commands, inside their bodies.
"""
