"""The one registration a provider package exports (``SPEC`` in its ``__init__``).

Config, registry, sandbox, demo, feature matrix and test tables are all built from the specs
listed in ``providers/registry.py``; nothing else names a provider.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync_engine.providers.base import BaseProvider
    from sync_engine.providers.config import ProviderConfigBase


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # the value of [stores.provider] name
    title: str  # how people write it
    config: type[ProviderConfigBase]  # the [stores.provider] model
    adapter: str  # "module:Class", imported on first use (a heavy adapter slows no one)
    simulator: str  # the sandbox module whose SIMULATOR models this provider
    sandbox_prefix: str  # the simulator's mount point on the sandbox, e.g. "/kolaybi"

    def adapter_class(self) -> type[BaseProvider]:
        module, _, cls = self.adapter.partition(":")
        return getattr(importlib.import_module(module), cls)


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving ``names`` ({name: "module[:attr]"}) from the package's
    submodules on first use: the config loader imports every SPEC, and the adapters import
    the config, so a package must not import its adapter when it is imported."""

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(name)
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(f"{package}.{module}"), attr or name)

    return __getattr__
