"""The per-shop stores file (TOML), validated into ``StoreConfig`` models.

The stores file holds one ``[[stores]]`` table per shop (DESIGN §4). Any string value may be
``env:NAME``, resolved from the environment at load time, so secrets stay out of the file.
Every secret is a ``SecretStr``: configs can be printed and logged without revealing them.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from sync_engine.config.settings import ENV_PREFIX, ConfigError, describe_error
from sync_engine.config_types import (
    HttpUrl,
    Secret,
    Text,
    Vkn,
    _fail,
    _invoice_prefix,
    _Model,
    _secret_list,
    _store_id,
)
from sync_engine.providers.config import ProviderConfigBase
from sync_engine.providers.registry import SPECS

ENV_REFERENCE = "env:"
PLATFORMS = ("shopify", "woocommerce", "generic")
PROVIDERS = tuple(SPECS)  # every registered provider (providers/registry.py)


# --- [stores.provider]: each provider's model lives in its package (providers/<name>/config.py)

PROVIDER_MODELS: dict[str, type[ProviderConfigBase]] = {name: spec.config for name, spec in SPECS.items()}
ProviderConfig = Annotated[
    Union[tuple(PROVIDER_MODELS.values())],  # noqa: UP007 - a Union built from the registry
    Field(discriminator="name"),
]


# --- [stores.invoice] and [[stores]] -----------------------------------------------------


class InvoiceConfig(_Model):
    prefix: Annotated[str, AfterValidator(_invoice_prefix)]
    website: Text  # e-Arşiv internet sales must name the website the sale was made on
    seller_name: Text
    seller_vkn: Vkn
    carrier_name: Text | None = None
    carrier_vkn: Vkn | None = None
    # Used where a provider requires a contact field the shop did not give (SinApp's
    # contact_phone is marked required): billing → shipping → customer → this default.
    default_contact_phone: Text | None = None
    default_contact_email: Text | None = None
    # An order that arrives unpaid (bank transfer) gets a proforma to pay against; the
    # provider must offer proformas (checked at load). Its payment term in days.
    proforma_for_pending: StrictBool = False
    proforma_due_days: Annotated[int, Field(ge=0, le=365)] = 3
    # A buyer whose TCKN fails its checksum: "needs_attention" (an operator asks the buyer)
    # or "anonymous" (invoiced as the anonymous consumer 11111111111); the job says which.
    invalid_tax_id: Literal["needs_attention", "anonymous"] = "needs_attention"
    # How long after its GİB send a sent e-Arşiv is still cancelled at GİB when its order is
    # cancelled or fully refunded (I, FACTS §5.5: the portal's 8-day window); later the sale
    # stands and the refund is answered with a return (İADE) invoice. 0: always return.
    e_archive_cancel_days: Annotated[int, Field(ge=0, le=365)] = 8
    # An order edited at the shop after its invoice went to GİB: false — the job is flagged
    # with the difference for an operator; true — the invoice is returned in full (a return
    # job) and the edited order invoiced anew (a new sale job). An e-Fatura is only flagged.
    reissue_on_edit: StrictBool = False

    @model_validator(mode="after")
    def _carrier_pair(self) -> InvoiceConfig:
        # Half a carrier would print one company's name next to another's VKN on a legal
        # document: both or neither (neither = the merchant ships itself).
        if (self.carrier_name is None) != (self.carrier_vkn is None):
            raise _fail("carrier_name and carrier_vkn go together: set both, or neither")
        return self

    @property
    def effective_carrier_name(self) -> str:
        return self.carrier_name or self.seller_name

    @property
    def effective_carrier_vkn(self) -> str:
        return self.carrier_vkn or self.seller_vkn


class BuyerFieldsConfig(_Model):
    """Where this shop keeps the buyer's identity, when its checkout plugin or theme uses
    names of its own: Shopify note / cart attribute names, WooCommerce order meta keys.
    Tried before the built-in keys of the common plugins (docs/configuration.md lists them);
    case, spaces, dots and underscores do not matter."""

    tckn: tuple[Text, ...] = ()
    vkn: tuple[Text, ...] = ()
    tax_office: tuple[Text, ...] = ()
    invoice_type: tuple[Text, ...] = ()  # "company"/"kurumsal" or "person"/"bireysel"


class StoreConfig(_Model):
    id: Annotated[str, AfterValidator(_store_id)]
    platform: Literal["shopify", "woocommerce", "generic"]
    # Several secrets let a shop rotate its signing key (Shopify): any one may match.
    webhook_secret: Annotated[
        tuple[Secret, ...], BeforeValidator(_secret_list), Field(min_length=1)
    ]
    shop_api_url: HttpUrl | None = None
    shop_api_token: Secret | None = None
    timezone: str = "Europe/Istanbul"
    provider: ProviderConfig
    invoice: InvoiceConfig
    buyer_fields: BuyerFieldsConfig = Field(default_factory=BuyerFieldsConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            reason = f"unknown time zone {value!r} (an IANA name, e.g. Europe/Istanbul)"
            raise _fail(reason) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_SECTIONS: dict[str, type[BaseModel]] = {
    "": StoreConfig, "invoice": InvoiceConfig, "buyer_fields": BuyerFieldsConfig,
}


# --- loading ------------------------------------------------------------------------------

Loc = tuple[str | int, ...]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _resolve_env(
    value: Any, env: Mapping[str, str], loc: Loc, errors: list[tuple[Loc, str]]
) -> Any:
    if isinstance(value, str) and value.startswith(ENV_REFERENCE):
        name = value[len(ENV_REFERENCE) :]
        if not _ENV_NAME.fullmatch(name):
            errors.append((loc, f"invalid env reference {value!r}: expected env:NAME"))
        elif name not in env:
            errors.append((loc, f"env var {name} is not set"))
        elif not env[name]:
            errors.append((loc, f"env var {name} is empty"))
        else:
            return env[name]
        return value
    if isinstance(value, dict):
        return {key: _resolve_env(item, env, (*loc, key), errors) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_env(item, env, (*loc, i), errors) for i, item in enumerate(value)]
    return value


def _format_loc(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)




def _allowed_keys(section: Loc, raw: Mapping[str, Any]) -> list[str]:
    if section == ("provider",):
        provider = raw.get("provider")
        name = provider.get("name") if isinstance(provider, dict) else None
        model = PROVIDER_MODELS.get(name) if isinstance(name, str) else None
        return sorted(model.model_fields) if model else []
    model = _SECTIONS.get(".".join(str(part) for part in section))
    return sorted(model.model_fields) if model else []


def _describe(err: Mapping[str, Any], loc: Loc, raw: Mapping[str, Any] | None = None) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], raw or {})
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        if not allowed:
            return "unknown key"
        return f"unknown key (allowed: {', '.join(allowed)}){suggestion}"
    if kind == "union_tag_invalid":
        return f"unknown provider {ctx.get('tag')!r} (allowed: {', '.join(PROVIDERS)})"
    if kind == "union_tag_not_found":
        return f"missing required key (the provider: one of {', '.join(PROVIDERS)})"
    if kind == "literal_error" and loc == ("platform",):
        return f"unknown platform {value!r} (allowed: {', '.join(PLATFORMS)})"
    return describe_error(err)

def _clean_loc(loc: Sequence[str | int]) -> Loc:
    # The discriminated union puts the chosen tag into the path; the file has no such level.
    parts = list(loc)
    if len(parts) > 1 and parts[0] == "provider" and parts[1] in PROVIDERS:
        del parts[1]
    return tuple(parts)


def _validate_store(
    table: dict[str, Any], label: str, env: Mapping[str, str], errors: list[str]
) -> StoreConfig | None:
    env_errors: list[tuple[Loc, str]] = []
    resolved = _resolve_env(table, env, (), env_errors)
    errors.extend(f"{label}{_format_loc(loc)}: {message}" for loc, message in env_errors)
    try:
        store = StoreConfig.model_validate(resolved)
    except ValidationError as exc:
        reported = {loc for loc, _ in env_errors}
        for err in exc.errors():
            loc = _clean_loc(err["loc"])
            if err["type"].startswith("union_tag"):
                loc = (*loc, "name")
            # An unresolved env reference was already reported; its placeholder value
            # would only add a second, misleading complaint about the same key.
            if loc in reported:
                continue
            errors.append(f"{label}{_format_loc(loc)}: {_describe(err, loc, resolved)}")
        return None
    problems = _capability_problems(store)
    errors.extend(f"{label}.{key}: {message}" for key, message in problems)
    return None if problems else store


def _capability_problems(store: StoreConfig) -> list[tuple[str, str]]:
    """Settings that need a capability the store's provider does not declare."""
    from sync_engine.providers.base import Capability
    from sync_engine.providers.registry import provider_class

    capabilities = provider_class(store.provider.name).capabilities
    problems = []
    if store.invoice.proforma_for_pending and Capability.PROFORMA not in capabilities:
        problems.append((
            "invoice.proforma_for_pending",
            f"provider {store.provider.name} offers no proformas (see docs/providers.md); "
            "remove the key or choose a provider that has them",
        ))
    return problems


def parse_stores(
    data: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    source: Path | None = None,
) -> dict[str, StoreConfig]:
    """Validate a parsed stores document; raise one ``ConfigError`` listing every problem."""
    env = os.environ if environ is None else environ
    errors = [
        f"{key}: unknown top-level key (expected [[stores]] tables, [alerts] and [console])"
        for key in data
        # [alerts] and [console] have models of their own (sync_engine.alerts.config,
        # sync_engine.web.ui.config), read from the same file.
        if key not in ("stores", "alerts", "console")
    ]
    tables = data.get("stores", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        errors.append("stores: must be an array of tables, written [[stores]] (not [stores])")
        tables = []
    elif not tables:
        errors.append("stores: no [[stores]] table: add one per shop (see stores.example.toml)")

    stores: dict[str, StoreConfig] = {}
    first_seen: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        raw_id = _resolve_env(table.get("id"), env, ("id",), [])
        named = isinstance(raw_id, str) and bool(raw_id.strip())
        label = f"stores[{raw_id}]" if named else f"stores[#{number}]"
        if isinstance(raw_id, str) and raw_id in first_seen:
            first = first_seen[raw_id]
            errors.append(f"{label}.id: duplicate store id (tables #{first} and #{number})")
            continue
        if isinstance(raw_id, str):
            first_seen[raw_id] = number
        store = _validate_store(table, label, env, errors)
        if store is not None:
            stores[store.id] = store
    if errors:
        raise ConfigError(errors, source)
    return stores


def load_stores(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> dict[str, StoreConfig]:
    """Read and validate the stores file; ``env:NAME`` values come from ``environ``."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                f"stores file {path} not found: copy stores.example.toml to {path} (or set "
                f"{ENV_PREFIX}STORES_FILE to your file) and describe one [[stores]] table per shop"
            ],
            path,
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"], path) from None
    except OSError as exc:
        raise ConfigError([f"stores file {path} cannot be read: {exc.strerror}"], path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message already carries "(at line N, column M)".
        raise ConfigError([f"{path}: TOML syntax error: {exc}"], path) from None
    return parse_stores(data, environ, path)
