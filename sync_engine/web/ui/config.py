"""``[console]`` in the stores file: per-operator tokens, so the audit log names a person.

    [console]
    operators = { ayse = "env:CONSOLE_TOKEN_AYSE", mehmet = "env:CONSOLE_TOKEN_MEHMET" }

SYNC_ADMIN_TOKEN logs in as ``admin``. A separate model from the stores' (issue #15).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync_engine.config import ConfigError

ENV_REFERENCE = "env:"


def resolve_env(value: Any, environ: Mapping[str, str], where: str) -> Any:
    """``env:NAME`` → the variable's value (a missing one is a ConfigError naming it)."""
    if isinstance(value, str) and value.startswith(ENV_REFERENCE):
        name = value[len(ENV_REFERENCE):]
        if name not in environ:
            raise ConfigError([f"{where}: environment variable {name} is not set"])
        return environ[name]
    return value


def operator_tokens(data: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    section = data.get("console") or {}
    if not isinstance(section, dict):
        raise ConfigError(["console: must be a table, written [console]"])
    unknown = sorted(set(section) - {"operators"})
    if unknown:
        raise ConfigError([f"console.{k}: unknown key (expected only operators)" for k in unknown])
    operators = section.get("operators") or {}
    if not isinstance(operators, dict):
        raise ConfigError(["console.operators: must be a table of name = token"])
    out: dict[str, str] = {}
    for name, token in operators.items():
        token = resolve_env(token, env, f"console.operators.{name}")
        if not isinstance(token, str) or len(token) < 16:
            raise ConfigError([f"console.operators.{name}: a token of at least 16 characters"])
        if name == "admin":
            raise ConfigError(["console.operators.admin: reserved for SYNC_ADMIN_TOKEN"])
        out[str(name)] = token
    return out


def load_operator_tokens(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}  # load_stores reports the file's problems; no operators then
    return operator_tokens(data, environ)
