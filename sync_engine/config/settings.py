"""Process-wide settings from the environment (``SYNC_*``), and the error every configuration
problem is reported with (the stores file, ``config/stores.py``, uses it too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync_engine.config_types import _fail, _toml_type, redact_url
from sync_engine.store.db import DEFAULT_DATABASE_URL

ENV_PREFIX = "SYNC_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The value of SYNC_REDIS_URL (or ``demo --redis-url``) that asks the demo for its embedded
# server (devtools/embedded_redis.py) whether or not a Redis answers elsewhere. Defined here,
# not in the dev tools, because the production commands must recognise it to refuse it.
EMBEDDED_REDIS = "embedded"


class ConfigError(Exception):
    """A configuration that cannot be used; one line per problem, each naming its key."""

    def __init__(self, errors: Sequence[str], source: Path | None = None) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        self.source = source
        super().__init__("\n".join(self.errors))


# --- environment settings ---------------------------------------------------------------


class Settings(BaseSettings):
    """Process-wide settings, read from ``SYNC_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL  # the embedded SQLite of a first run
    redis_url: str = "redis://127.0.0.1:6379/0"
    stores_file: Path = Path("./stores.toml")
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    admin_token: SecretStr | None = None
    # Job pipeline tuning; the defaults are the pipeline's own (RetryPolicy, JobRunner).
    retry_base_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 2.0
    retry_cap_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 600.0
    max_attempts: Annotated[int, Field(ge=1)] = 8
    lease_ttl_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 300.0
    # How often beat runs the sweeper; a lost wake-up call delays a job by at most this.
    sweep_interval_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 60.0
    # How long a GİB send may stay without GİB's final answer (queued / processing) before
    # the job goes to an operator; until then its status is polled with backoff.
    gib_answer_wait_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 48 * 3600.0
    # How long a return job of an e-Fatura waits for the buyer's return (İADE) invoice before
    # an operator is asked: 8 days, GİB's window for the buyer's answer / objection (FACTS §5.5).
    buyer_return_wait_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 8 * 24 * 3600.0

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise _fail(f"must be one of {', '.join(LOG_LEVELS)} (got {value!r})")
        return level

    @field_validator("admin_token")
    @classmethod
    def _blank_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        # An exported-but-empty SYNC_ADMIN_TOKEN must not become a valid bearer token "".
        return value if value is not None and value.get_secret_value().strip() else None

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name in ("database_url", "redis_url") else value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` afresh (never cached) from ``os.environ`` or the given mapping."""
    try:
        if environ is None:
            return Settings()
        # Every field is passed explicitly (init values outrank the environment), so the
        # process environment cannot leak into settings built from a test's mapping.
        given = {key.upper(): value for key, value in environ.items()}
        values = {
            name: given.get(f"{ENV_PREFIX}{name.upper()}", field.default)
            for name, field in Settings.model_fields.items()
        }
        return Settings(**values)
    except ValidationError as exc:
        lines = [
            f"{ENV_PREFIX}{str(err['loc'][0]).upper()}: {describe_error(err)}"
            for err in exc.errors()
        ]
        raise ConfigError(lines) from None


def is_embedded_redis(url: str | None) -> bool:
    return (url or "").strip().lower() == EMBEDDED_REDIS


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests use ``load_settings`` or ``cache_clear()``."""
    return load_settings()


def describe_error(err: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence an operator can act on (the key is added by the caller)."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "sync_config":
        return str(ctx["reason"])
    if kind == "missing":
        return "missing required key"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')} (got {value!r})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"wrong type: expected a table, got {_toml_type(value)}"
    if kind in ("string_type", "string_sub_type"):
        return f"wrong type: expected a string, got {_toml_type(value)}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing"):
        return f"wrong type: expected a number, got {_toml_type(value)} {value!r}"
    if kind in ("tuple_type", "list_type"):
        return f"wrong type: expected a string or an array of strings, got {_toml_type(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"wrong type: expected true or false, got {_toml_type(value)} {value!r}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, got {value}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt'):g}, got {value}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, got {value}"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "too_short":
        return "at least one value is required"
    return str(err["msg"])
