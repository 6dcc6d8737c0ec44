"""Settings and the stores file: env resolution, error messages, secrecy, account keys."""

from __future__ import annotations

import copy
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sync_engine.config import (
    ConfigError,
    StoreConfig,
    get_settings,
    load_settings,
    load_stores,
    parse_stores,
)
from sync_engine.providers.faturaentegrator.config import FaturaEntegratorConfig
from sync_engine.providers.kolaybi.config import KolayBiConfig
from sync_engine.providers.sinapp.config import SinAppConfig
from sync_engine.providers.turkcell.config import TurkcellEsirketConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "stores.example.toml"

KOLAYBI_KEY = "kb-live-4f1c9e0a77d2"
WEBHOOK_SECRET = "whsec-93b1d7f2aa"

STORE_TOML = """\
[[stores]]
id = "demo-shop"
platform = "shopify"
webhook_secret = "env:DEMO_SHOP_WEBHOOK_SECRET"
shop_api_url = "http://127.0.0.1:8900/shopify/demo-shop"
shop_api_token = "env:DEMO_SHOP_API_TOKEN"

[stores.provider]
name = "kolaybi"
base_url = "http://127.0.0.1:8900/kolaybi"
api_key = "env:KOLAYBI_KEY"
channel = "sync-engine"

[stores.invoice]
prefix = "DMS"
website = "https://demo-shop.example"
seller_name = "Demo Mağazacılık A.Ş."
seller_vkn = "1000036109"
"""

ENV = {
    "DEMO_SHOP_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "DEMO_SHOP_API_TOKEN": "shpat-0c2e51",
    "KOLAYBI_KEY": KOLAYBI_KEY,
}


def store(**changes: Any) -> dict[str, Any]:
    """A valid store table (already resolved), with dotted keys changed or removed (None)."""
    table: dict[str, Any] = {
        "id": "demo-shop",
        "platform": "shopify",
        "webhook_secret": WEBHOOK_SECRET,
        "provider": {
            "name": "kolaybi",
            "base_url": "http://127.0.0.1:8900/kolaybi",
            "api_key": KOLAYBI_KEY,
            "channel": "sync-engine",
        },
        "invoice": {
            "prefix": "DMS",
            "website": "https://demo-shop.example",
            "seller_name": "Demo Mağazacılık A.Ş.",
            "seller_vkn": "1000036109",
        },
    }
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target = table
        for parent in parents:
            target = target[parent]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = copy.deepcopy(value)
    return table


def errors_of(*tables: dict[str, Any], environ: dict[str, str] | None = None) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        parse_stores({"stores": list(tables)}, environ or {})
    return info.value.errors


def one_error(**changes: Any) -> str:
    errors = errors_of(store(**changes))
    assert len(errors) == 1, errors
    return errors[0]


# --- settings --------------------------------------------------------------------------


def test_settings_defaults_follow_the_contract() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///./var/sync_engine.db"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.stores_file == Path("./stores.toml")
    assert settings.log_format == "console"
    assert settings.log_level == "INFO"
    assert settings.admin_token is None
    assert (settings.retry_base_s, settings.retry_cap_s) == (2.0, 600.0)
    assert (settings.max_attempts, settings.lease_ttl_s) == (8, 300.0)


def test_pipeline_tuning_from_the_environment() -> None:
    settings = load_settings({"SYNC_RETRY_BASE_S": "0.5", "SYNC_MAX_ATTEMPTS": "3",
                              "SYNC_LEASE_TTL_S": "60", "SYNC_RETRY_CAP_S": "30"})
    assert (settings.retry_base_s, settings.max_attempts) == (0.5, 3)
    assert (settings.lease_ttl_s, settings.retry_cap_s) == (60.0, 30.0)
    with pytest.raises(ConfigError) as info:
        load_settings({"SYNC_MAX_ATTEMPTS": "0", "SYNC_LEASE_TTL_S": "-1"})
    assert info.value.errors == (
        "SYNC_MAX_ATTEMPTS: must be at least 1, got 0",
        "SYNC_LEASE_TTL_S: must be greater than 0, got -1",
    )


def test_settings_read_sync_prefixed_variables() -> None:
    settings = load_settings(
        {
            "SYNC_DATABASE_URL": "postgresql+psycopg://sync:pg-pass-77@127.0.0.1/sync",
            "SYNC_REDIS_URL": "redis://:redis-pass-88@127.0.0.1:6379/1",
            "SYNC_STORES_FILE": "/etc/sync/stores.toml",
            "SYNC_LOG_FORMAT": "JSON",
            "sync_log_level": "debug",
            "SYNC_ADMIN_TOKEN": "adm-tok-5521",
            "DATABASE_URL": "ignored-without-prefix",
        }
    )
    assert settings.stores_file == Path("/etc/sync/stores.toml")
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "adm-tok-5521"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "adm-tok-5521" not in text
    # URLs keep their host for operators but not their passwords.
    assert "pg-pass-77" not in repr(settings) and "127.0.0.1/sync" in repr(settings)
    assert "redis-pass-88" not in repr(settings)


def test_blank_admin_token_disables_the_ops_api_instead_of_accepting_empty_bearer() -> None:
    assert load_settings({"SYNC_ADMIN_TOKEN": "  "}).admin_token is None


def test_settings_from_a_mapping_ignore_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNC_LOG_FORMAT", "json")
    assert load_settings({}).log_format == "console"
    assert load_settings().log_format == "json"


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"SYNC_LOG_FORMAT": "xml", "SYNC_LOG_LEVEL": "loud"})
    assert info.value.errors == (
        "SYNC_LOG_FORMAT: must be one of 'console' or 'json' (got 'xml')",
        "SYNC_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got 'loud')",
    )


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("SYNC_LOG_LEVEL", "WARNING")
    try:
        first = get_settings()
        monkeypatch.setenv("SYNC_LOG_LEVEL", "ERROR")
        assert get_settings() is first and first.log_level == "WARNING"
        get_settings.cache_clear()
        assert get_settings().log_level == "ERROR"
    finally:
        get_settings.cache_clear()


# --- env resolution --------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stores.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_env_references_are_resolved_at_load_time(tmp_path: Path) -> None:
    stores = load_stores(write(tmp_path, STORE_TOML), ENV)
    demo = stores["demo-shop"]
    assert isinstance(demo.provider, KolayBiConfig)
    assert demo.provider.api_key.get_secret_value() == KOLAYBI_KEY
    assert [s.get_secret_value() for s in demo.webhook_secret] == [WEBHOOK_SECRET]
    assert demo.shop_api_token is not None
    assert demo.shop_api_token.get_secret_value() == "shpat-0c2e51"


def test_any_value_may_come_from_the_environment() -> None:
    table = store(
        provider={
            "name": "faturaentegrator",
            "base_url": "env:FE_URL",
            "api_key": "env:FE_KEY",
            "sale_channel_id": "env:FE_CHANNEL",
            "invoice_integration_id": 12,
            "timeout_s": "env:FE_TIMEOUT",
        }
    )
    environ = {"FE_URL": "http://127.0.0.1:8900/fe/", "FE_KEY": "k", "FE_CHANNEL": "7",
               "FE_TIMEOUT": "2.5"}
    provider = parse_stores({"stores": [table]}, environ)["demo-shop"].provider
    assert isinstance(provider, FaturaEntegratorConfig)
    assert provider.base_url == "http://127.0.0.1:8900/fe"
    assert provider.sale_channel_id == 7  # "7" from the environment is the same id as 7
    assert provider.timeout_s == 2.5


def test_env_resolution_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNC_TEST_KB_KEY", "from-os-environ")
    table = store(provider__api_key="env:SYNC_TEST_KB_KEY")
    provider = parse_stores({"stores": [table]})["demo-shop"].provider
    assert isinstance(provider, KolayBiConfig)
    assert provider.api_key.get_secret_value() == "from-os-environ"


def test_missing_env_var_names_store_and_key_path(tmp_path: Path) -> None:
    environ = {k: v for k, v in ENV.items() if k != "KOLAYBI_KEY"}
    with pytest.raises(ConfigError) as info:
        load_stores(write(tmp_path, STORE_TOML), environ)
    # Exactly one line: the missing value is not reported a second time as "missing key".
    assert info.value.errors == (
        "stores[demo-shop].provider.api_key: env var KOLAYBI_KEY is not set",
    )
    assert info.value.source == tmp_path / "stores.toml"


def test_empty_env_var_and_malformed_reference_are_errors() -> None:
    errors = errors_of(
        store(provider__api_key="env:KB", invoice__website="env:not a name"),
        environ={"KB": ""},
    )
    assert errors == (
        "stores[demo-shop].provider.api_key: env var KB is empty",
        "stores[demo-shop].invoice.website: invalid env reference 'env:not a name': "
        "expected env:NAME",
    )


def test_missing_env_var_inside_a_secret_list_names_the_index() -> None:
    errors = errors_of(store(webhook_secret=["env:NEW", "env:OLD"]), environ={"NEW": "n"})
    assert errors == ("stores[demo-shop].webhook_secret[1]: env var OLD is not set",)


# --- error messages --------------------------------------------------------------------


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stores(tmp_path / "stores.toml", {})
    (message,) = info.value.errors
    assert message.startswith(f"stores file {tmp_path / 'stores.toml'} not found: ")
    assert "copy stores.example.toml" in message and "SYNC_STORES_FILE" in message


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[stores]]\nid = "demo-shop"\nplatform = shopify\n')
    with pytest.raises(ConfigError) as info:
        load_stores(path, {})
    (message,) = info.value.errors
    assert message.startswith(f"{path}: TOML syntax error: ")
    assert "line 3" in message


def test_duplicate_store_id() -> None:
    errors = errors_of(store(), store(platform="woocommerce"))
    assert errors == ("stores[demo-shop].id: duplicate store id (tables #1 and #2)",)


def test_unknown_platform_lists_the_allowed_ones() -> None:
    assert one_error(platform="shopfy") == (
        "stores[demo-shop].platform: unknown platform 'shopfy' "
        "(allowed: shopify, woocommerce, generic)"
    )


def test_unknown_provider_lists_the_allowed_ones() -> None:
    assert one_error(provider={"name": "parasut", "base_url": "http://x"}) == (
        "stores[demo-shop].provider.name: unknown provider 'parasut' "
        "(allowed: turkcell_esirket, kolaybi, faturaentegrator, sinapp)"
    )


def test_provider_without_name() -> None:
    assert one_error(provider__name=None).startswith(
        "stores[demo-shop].provider.name: missing required key"
    )


@pytest.mark.parametrize(
    ("removed", "path"),
    [
        ("provider__channel", "provider.channel"),
        ("provider__api_key", "provider.api_key"),
        ("invoice__seller_vkn", "invoice.seller_vkn"),
        ("invoice", "invoice"),
        ("webhook_secret", "webhook_secret"),
        ("platform", "platform"),
    ],
)
def test_missing_required_key(removed: str, path: str) -> None:
    assert one_error(**{removed: None}) == f"stores[demo-shop].{path}: missing required key"


def test_store_without_id_is_named_by_its_position() -> None:
    errors = errors_of(store(), store(id=None))
    assert errors == ("stores[#2].id: missing required key",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"provider__channel": 5}, "provider.channel: wrong type: expected a string, got integer"),
        ({"provider__timeout_s": "fast"},
         "provider.timeout_s: wrong type: expected a number, got string 'fast'"),
        ({"provider": "kolaybi"}, "provider: wrong type: expected a table, got string"),
        ({"webhook_secret": 42},
         "webhook_secret: wrong type: expected a string or an array of strings, got integer"),
        # A VKN may start with 0: an unquoted number would silently lose it.
        ({"invoice__seller_vkn": 1000036109},
         "invoice.seller_vkn: wrong type: expected a string, got integer"),
        ({"provider__timeout_s": 0}, "provider.timeout_s: must be greater than 0, got 0"),
        ({"provider__max_requests_per_s": -1.5},
         "provider.max_requests_per_s: must be greater than 0, got -1.5"),
        ({"provider__timeout_s": float("inf")}, "provider.timeout_s: must be a finite number"),
        ({"webhook_secret": []}, "webhook_secret: at least one value is required"),
        ({"webhook_secret": "  "}, "webhook_secret[0]: must not be empty"),
        ({"invoice__seller_name": ""}, "invoice.seller_name: must not be empty"),
        ({"shop_api_url": "ftp://127.0.0.1/x"},
         "shop_api_url: must be an http(s) URL, got 'ftp://127.0.0.1/x'"),
        ({"timezone": "Europe/Istambul"},
         "timezone: unknown time zone 'Europe/Istambul' (an IANA name, e.g. Europe/Istanbul)"),
        ({"id": "demo shop"},
         "id: store id must be 1-64 letters, digits, '.', '_' or '-' (got 'demo shop')"),
        ({"invoice__carrier_name": "Örnek Kargo"},
         "invoice: carrier_name and carrier_vkn go together: set both, or neither"),
    ],
)
def test_wrong_values_name_the_key(change: dict[str, Any], expected: str) -> None:
    label = "stores[demo shop]" if change.get("id") == "demo shop" else "stores[demo-shop]"
    assert one_error(**change) == f"{label}.{expected}"


def test_unknown_key_suggests_the_close_one() -> None:
    assert one_error(provider__apikey="x") == (
        "stores[demo-shop].provider.apikey: unknown key (allowed: api_key, base_url, channel, "
        "max_requests_per_s, name, timeout_s); did you mean 'api_key'?"
    )
    assert one_error(invoice__carrier="x").startswith("stores[demo-shop].invoice.carrier: unknown key")


@pytest.mark.parametrize("prefix", ["AB", "ABCD", "abc", "AĞB", "A-B", " AB"])
def test_bad_invoice_prefix(prefix: str) -> None:
    assert one_error(invoice__prefix=prefix) == (
        "stores[demo-shop].invoice.prefix: invoice prefix must be exactly 3 characters, "
        f"uppercase letters A-Z or digits (GİB series), got {prefix!r}"
    )


@pytest.mark.parametrize("prefix", ["DMS", "A1B", "123"])
def test_good_invoice_prefix(prefix: str) -> None:
    stores = parse_stores({"stores": [store(invoice__prefix=prefix)]}, {})
    assert stores["demo-shop"].invoice.prefix == prefix


@pytest.mark.parametrize("field", ["seller_vkn", "carrier_vkn"])
def test_bad_vkn(field: str) -> None:
    changes: dict[str, Any] = {f"invoice__{field}": "1000036108"}
    if field == "carrier_vkn":
        changes["invoice__carrier_name"] = "Örnek Kargo A.Ş."
    message = one_error(**changes)
    assert message.startswith(f"stores[demo-shop].invoice.{field}: '1000036108': invalid VKN")


def test_all_errors_of_a_file_come_in_one_config_error(tmp_path: Path) -> None:
    text = STORE_TOML.replace('prefix = "DMS"', 'prefix = "dm"').replace(
        'platform = "shopify"', 'platform = "magento"'
    )
    text += '\n[[stores]]\nid = "second"\nplatform = "generic"\nwebhook_secret = "s"\n'
    with pytest.raises(ConfigError) as info:
        load_stores(write(tmp_path, text), {k: v for k, v in ENV.items() if k != "KOLAYBI_KEY"})
    lines = str(info.value).splitlines()
    assert lines == list(info.value.errors)
    assert lines[0] == "stores[demo-shop].provider.api_key: env var KOLAYBI_KEY is not set"
    assert any(line.startswith("stores[demo-shop].platform: unknown platform") for line in lines)
    assert any(line.startswith("stores[demo-shop].invoice.prefix: ") for line in lines)
    assert "stores[second].provider: missing required key" in lines
    assert "stores[second].invoice: missing required key" in lines


def test_stores_written_as_a_single_table_or_absent() -> None:
    with pytest.raises(ConfigError) as info:
        parse_stores({"stores": {"id": "x"}}, {})
    assert info.value.errors == (
        "stores: must be an array of tables, written [[stores]] (not [stores])",
    )
    with pytest.raises(ConfigError) as info:
        parse_stores({"store": []}, {})
    assert info.value.errors == (
        "store: unknown top-level key (expected [[stores]] tables, [alerts] and [console])",
        "stores: no [[stores]] table: add one per shop (see stores.example.toml)",
    )


# --- values, defaults, derived properties ------------------------------------------------


def test_defaults_and_normalisation() -> None:
    demo = parse_stores({"stores": [store(provider__base_url="HTTP://127.0.0.1:8900/kolaybi/")]},
                        {})["demo-shop"]
    assert demo.timezone == "Europe/Istanbul" and demo.zone.key == "Europe/Istanbul"
    assert demo.shop_api_url is None and demo.shop_api_token is None
    assert demo.provider.timeout_s == 10.0 and demo.provider.max_requests_per_s == 10.0
    # Paths are appended to base_url as documented: no trailing slash to double up.
    assert demo.provider.base_url == "http://127.0.0.1:8900/kolaybi"


def test_carrier_defaults_to_the_seller() -> None:
    invoice = parse_stores({"stores": [store()]}, {})["demo-shop"].invoice
    assert invoice.effective_carrier_name == "Demo Mağazacılık A.Ş."
    assert invoice.effective_carrier_vkn == "1000036109"
    invoice = parse_stores(
        {"stores": [store(invoice__carrier_name="Örnek Kargo A.Ş.",
                          invoice__carrier_vkn="4567890128")]}, {}
    )["demo-shop"].invoice
    assert (invoice.effective_carrier_name, invoice.effective_carrier_vkn) == (
        "Örnek Kargo A.Ş.", "4567890128")


def test_webhook_secret_accepts_a_rotation_list() -> None:
    demo = parse_stores({"stores": [store(webhook_secret=["new-s", "old-s"])]}, {})["demo-shop"]
    assert [s.get_secret_value() for s in demo.webhook_secret] == ["new-s", "old-s"]


# --- secrecy ---------------------------------------------------------------------------

PROVIDER_TABLES: dict[str, dict[str, Any]] = {
    "turkcell_esirket": {
        "name": "turkcell_esirket", "base_url": "http://127.0.0.1:8900/turkcell",
        "efatura_base_url": "http://127.0.0.1:8900/turkcell/efatura",
        "token_url": "http://127.0.0.1:8900/turkcell/v1/token", "username": "demo-user",
        "password": "tc-pass-SECRET-1", "pool_account_code": "120.01",
    },
    "kolaybi": {"name": "kolaybi", "base_url": "http://127.0.0.1:8900/kolaybi",
                "api_key": "kb-key-SECRET-2", "channel": "sync-engine"},
    "faturaentegrator": {"name": "faturaentegrator",
                         "base_url": "http://127.0.0.1:8900/faturaentegrator",
                         "api_key": "fe-key-SECRET-3", "sale_channel_id": 1,
                         "invoice_integration_id": 2},
    "sinapp": {"name": "sinapp", "base_url": "http://127.0.0.1:8900/sinapp",
               "api_key": "sa-key-SECRET-4", "api_secret": "sa-secret-SECRET-5",
               "website": "https://sinapp-shop.example", "company_name": "Sinapp Ltd."},
}
MODELS = {"turkcell_esirket": TurkcellEsirketConfig, "kolaybi": KolayBiConfig,
          "faturaentegrator": FaturaEntegratorConfig, "sinapp": SinAppConfig}


def secret_store(name: str) -> StoreConfig:
    table = store(provider=PROVIDER_TABLES[name], webhook_secret=["wh-SECRET-a", "wh-SECRET-b"],
                  shop_api_token="shop-SECRET-c")
    demo = parse_stores({"stores": [table]}, {})["demo-shop"]
    assert isinstance(demo.provider, MODELS[name])
    return demo


@pytest.mark.parametrize("name", sorted(PROVIDER_TABLES))
def test_secrets_never_show_in_repr_str_or_json(name: str) -> None:
    demo = secret_store(name)
    renderings = [repr(demo), str(demo), demo.model_dump_json(), repr(demo.provider),
                  str(demo.provider), demo.provider.model_dump_json(), str(demo.model_dump()),
                  f"{demo}", f"{demo.provider!r}"]
    for text in renderings:
        assert "SECRET" not in text, text
    assert "**********" in demo.model_dump_json()


@pytest.mark.parametrize("name", sorted(PROVIDER_TABLES))
def test_config_errors_do_not_echo_secrets(name: str) -> None:
    table = store(provider=PROVIDER_TABLES[name], invoice__prefix="bad",
                  shop_api_token="shop-SECRET-c", webhook_secret=["wh-SECRET-a", 7])
    errors = errors_of(table)
    assert len(errors) == 2
    assert all("SECRET" not in line for line in errors)


@pytest.mark.parametrize("name", sorted(PROVIDER_TABLES))
def test_account_key_is_stable_and_never_contains_the_secret(name: str) -> None:
    first, second = secret_store(name).provider, secret_store(name).provider
    key = first.account_key()
    assert key == second.account_key()
    assert key.startswith(f"{name}|http://127.0.0.1:8900/")
    assert "SECRET" not in key
    for secret in ("password", "api_key", "api_secret"):
        value = PROVIDER_TABLES[name].get(secret)
        if value:
            assert hashlib.sha256(value.encode()).hexdigest() not in key
    # Tuning knobs are not part of the account's identity.
    retuned = parse_stores({"stores": [store(provider={**PROVIDER_TABLES[name], "timeout_s": 3})]},
                           {})["demo-shop"].provider
    assert retuned.account_key() == key


@pytest.mark.parametrize("name", ["kolaybi", "faturaentegrator", "sinapp"])
def test_account_key_tells_api_keys_apart(name: str) -> None:
    other = {**PROVIDER_TABLES[name], "api_key": "another-account-key"}
    provider = parse_stores({"stores": [store(provider=other)]}, {})["demo-shop"].provider
    assert provider.account_key() != secret_store(name).provider.account_key()


def test_turkcell_account_key_is_base_url_and_username() -> None:
    key = secret_store("turkcell_esirket").provider.account_key()
    assert key == "turkcell_esirket|http://127.0.0.1:8900/turkcell|demo-user"


# --- the shipped example -----------------------------------------------------------------


def env_references(value: Any) -> set[str]:
    if isinstance(value, str) and value.startswith("env:"):
        return {value[4:]}
    if isinstance(value, dict):
        return set().union(*(env_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(env_references(v) for v in value))
    return set()


def test_example_file_loads_with_its_env_vars_set() -> None:
    names = env_references(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    environ = {name: f"value-of-{name.lower()}" for name in names}
    stores = load_stores(EXAMPLE, environ)
    assert sorted(s.provider.name for s in stores.values()) == sorted(PROVIDER_TABLES)
    for store_id, config in stores.items():
        assert config.provider.base_url.startswith("http://127.0.0.1:8900/")
        if config.shop_api_url is not None:
            assert config.shop_api_url == f"http://127.0.0.1:8900/{config.platform}/{store_id}"
        assert re.fullmatch(r"[A-Z0-9]{3}", config.invoice.prefix)
        # Every secret of the example comes from the environment, none is written inline.
        for secret in (*config.webhook_secret, config.shop_api_token):
            assert secret is None or secret.get_secret_value().startswith("value-of-")
    turkcell = next(s.provider for s in stores.values() if s.provider.name == "turkcell_esirket")
    assert isinstance(turkcell, TurkcellEsirketConfig)
    assert turkcell.efatura_base_url == "http://127.0.0.1:8900/turkcell/efatura"
    assert turkcell.token_url == "http://127.0.0.1:8900/turkcell/v1/token"


def test_example_file_without_its_env_vars_names_each_one() -> None:
    names = env_references(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    with pytest.raises(ConfigError) as info:
        load_stores(EXAMPLE, {})
    assert len(info.value.errors) == len(names)
    assert all(re.fullmatch(r"stores\[[a-z-]+\]\.[\w.\[\]]+: env var [A-Z_]+ is not set", line)
               for line in info.value.errors)


# --- [stores.buyer_fields] and invalid_tax_id ------------------------------------------------


def test_buyer_fields_and_invalid_tax_id_reach_the_buyer_rules() -> None:
    from sync_engine.platforms.identity import InvalidTaxId, rules_for

    (config,) = parse_stores({"stores": [store(
        buyer_fields={"tckn": ["Müşteri TC"], "vkn": ["fatura_vkn"], "invoice_type": ["fatura_tipi"]},
        invoice__invalid_tax_id="anonymous",
    )]}, {}).values()
    rules = rules_for(config)
    assert (rules.tckn_keys, rules.vkn_keys, rules.tax_office_keys, rules.invoice_type_keys) == (
        ("Müşteri TC",), ("fatura_vkn",), (), ("fatura_tipi",))
    assert rules.invalid_tax_id is InvalidTaxId.ANONYMOUS
    (plain,) = parse_stores({"stores": [store()]}, {}).values()
    assert rules_for(plain).invalid_tax_id is InvalidTaxId.NEEDS_ATTENTION  # the default stops


def test_buyer_fields_errors_name_the_key() -> None:
    assert one_error(buyer_fields={"tckn_key": ["x"]}).startswith(
        "stores[demo-shop].buyer_fields.tckn_key: unknown key (allowed: invoice_type, tax_office, tckn, vkn)")
    assert one_error(invoice__invalid_tax_id="ignore") == (
        "stores[demo-shop].invoice.invalid_tax_id: must be one of 'needs_attention' or 'anonymous' (got 'ignore')")
