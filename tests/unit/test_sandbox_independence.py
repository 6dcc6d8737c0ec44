"""The simulators model the providers, not our adapters: no module of the sandbox imports
product code, so a bug shared with the adapters (a tax-id check, a JSON writer) cannot hide
in a contract test. The order factories (``devtools/orders/``) keep to it too: they do their
own shop-side rounding and tax-id checks, since the payloads they make are the product's input.
They live in the dev tools (``devtools/orders/``) and may use the sandbox, never the product."""

from __future__ import annotations

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sync_engine" / "sandbox"
ORDERS = Path(__file__).resolve().parents[2] / "sync_engine" / "devtools" / "orders"


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # function-level ones too
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_simulator_imports_product_code() -> None:
    offending = {
        f"{path.relative_to(SANDBOX)}: {name}"
        for path in SANDBOX.rglob("*.py")
        for name in _imports(path)
        if name.startswith("sync_engine") and not name.startswith("sync_engine.sandbox")
    }
    assert not offending, sorted(offending)


def test_the_order_factories_import_no_product_code() -> None:
    offending = {
        f"{path.relative_to(ORDERS)}: {name}"
        for path in ORDERS.rglob("*.py")
        for name in _imports(path)
        if name.startswith("sync_engine")
        and not name.startswith(("sync_engine.sandbox", "sync_engine.devtools.orders"))
    }
    assert not offending, sorted(offending)


def test_the_scan_sees_the_simulators() -> None:
    scanned = {p.relative_to(SANDBOX).parts[0] for p in SANDBOX.rglob("*.py")}
    assert {"turkcell", "kolaybi", "faturaentegrator", "sinapp"} <= scanned
    assert {"spec.py", "shopify_payload.py", "woo_payload.py"} <= {p.name for p in ORDERS.rglob("*.py")}
