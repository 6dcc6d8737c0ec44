"""Reconciliation's decisions on their own: windows, matching an invoice to its job, and what
each difference leads to. No database, no HTTP: the live scenarios are in test_reconcile.py;
these pin the rules the scenarios cannot all reach (not sent, duplicates, GİB in doubt…)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.providers.base import Capability, RemoteInvoice
from sync_engine.reconcile.classify import classify_invoiced, classify_stuck
from sync_engine.reconcile.findings import Action, Category
from sync_engine.reconcile.matching import JobIndex, match, reference_key
from sync_engine.reconcile.repository import JobSnapshot, OrderFacts, order_facts
from sync_engine.reconcile.shop import resource_body
from sync_engine.reconcile.window import choose_window, day_window, previous_day, range_window

IST = ZoneInfo("Europe/Istanbul")
NOW = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)  # 03:30 in Istanbul, after the nightly run
DAY = date(2026, 3, 10)
WINDOW = day_window(DAY, IST)
TURKCELL = frozenset(Capability) - {Capability.PROFORMA}
FATURAENTEGRATOR = frozenset({Capability.CUSTOMER, Capability.INVOICE, Capability.E_DOCUMENT,
                              Capability.E_DOCUMENT_STATE, Capability.FIND_INVOICE, Capability.LIST_INVOICES})
NO_PROBE = FATURAENTEGRATOR - {Capability.E_DOCUMENT_STATE}


def job(order_id: str = "1001", **changes: object) -> JobSnapshot:
    key = sale_key("demo-shop", order_id)
    base = JobSnapshot(
        id=int(order_id), idempotency_key=key, store_id="demo-shop", platform="shopify",
        order_id=order_id, order_name=f"#{order_id}", kind="sale", provider="turkcell_esirket",
        status="completed", step_customer="done", step_invoice="done", step_e_document="done",
        step_journal="done", invoice_id=ettn_for(key), ettn=ettn_for(key), invoice_number="DMS2026000000001",
        gib_uuid=ettn_for(key), journal_ref=ettn_for(key), attention_category=None, attempt_count=1,
        lease_owner=None, lease_expires_at=None, next_attempt_at=None, rounding_difference=Decimal("0.00"),
        created_at=NOW - timedelta(hours=10), updated_at=NOW - timedelta(hours=10), closed_at=None,
        facts=OrderFacts(issue_date=DAY, paid_total=Decimal("442.15"), vat_rates=2),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def invoice(of: JobSnapshot | None = None, **changes: object) -> RemoteInvoice:
    j = of or job()
    base = RemoteInvoice(
        invoice_id=j.invoice_id or "77", ettn=j.ettn, invoice_number=j.invoice_number, order_ref=None,
        issue_date=DAY, total=Decimal("442.15"), sent=True, journaled=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def decide(j: JobSnapshot, invoices: list[RemoteInvoice], caps: frozenset[Capability] = TURKCELL):
    return classify_invoiced(j, invoices, capabilities=caps, window=WINDOW, now=NOW)


# -- windows ----------------------------------------------------------------------------------


def test_previous_day_is_the_stores_yesterday_with_overlap_on_the_shop_side_only() -> None:
    w = previous_day(NOW, IST)
    assert (w.first_day, w.last_day) == (DAY, DAY)
    assert w.start == datetime(2026, 3, 10, tzinfo=IST) and w.end == datetime(2026, 3, 11, tzinfo=IST)
    assert w.shop_start == datetime(2026, 3, 9, 19, tzinfo=UTC)  # 00:00 +03:00 minus 2 h
    assert w.shop_end == datetime(2026, 3, 10, 23, tzinfo=UTC)
    # Just after midnight UTC it is already 03:00 the next day in Istanbul.
    assert previous_day(datetime(2026, 3, 10, 21, 30, tzinfo=UTC), IST).first_day == DAY


def test_a_day_across_a_dst_change_is_23_hours_and_still_one_day() -> None:
    w = day_window(date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert w.end - w.start == timedelta(hours=23)
    assert (w.first_day, w.last_day) == (date(2026, 3, 29), date(2026, 3, 29))


def test_cli_windows() -> None:
    w = range_window("2026-03-01", "2026-03-03", IST)
    assert (w.first_day, w.last_day) == (date(2026, 3, 1), date(2026, 3, 3))
    exact = range_window("2026-03-01T10:00", "2026-03-01T12:00:00+00:00", IST)
    assert exact.start == datetime(2026, 3, 1, 7, tzinfo=UTC) and exact.end == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert choose_window(zone=IST, now=NOW, day="2026-03-05").first_day == date(2026, 3, 5)
    for bad in ({"day": "2026-03-05", "start": "2026-03-01"}, {"start": "2026-03-01"}, {"day": "yesterday"}):
        with pytest.raises(ValueError):
            choose_window(zone=IST, now=NOW, **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        range_window("2026-03-03", "2026-03-01", IST)


# -- matching ---------------------------------------------------------------------------------


def test_reference_keys_are_ours_only_for_this_store_and_platform() -> None:
    assert reference_key("demo-shop:1001:sale", "demo-shop", "shopify") == sale_key("demo-shop", "1001")
    assert reference_key("#1001 (shopify 820982911946154508)", "demo-shop", "shopify") == \
        sale_key("demo-shop", "820982911946154508")
    assert reference_key("#1001 (woocommerce 1001)", "demo-shop", "shopify") is None
    assert reference_key("other-shop:1001:sale", "demo-shop", "shopify") is None
    assert reference_key("Fatura elle kesildi", "demo-shop", "shopify") is None
    assert reference_key(None, "demo-shop", "shopify") is None


def test_invoices_match_by_id_ettn_key_or_reference_and_others_are_foreign() -> None:
    turkcell = job("1")  # our ETTN, known before any call
    kolaybi = job("2", invoice_id="555", ettn=None, gib_uuid=None)
    fe_new = job("3", invoice_id=None, ettn=None, gib_uuid=None, step_invoice="in_progress")
    index = JobIndex()
    for j in (turkcell, kolaybi, fe_new):
        index.add(j)
    found = match(index, [
        invoice(turkcell, invoice_id=turkcell.ettn.upper(), ettn=turkcell.ettn.upper()),
        invoice(kolaybi, invoice_id="555", ettn="c0ffee00-0000-4000-8000-000000000000"),
        invoice(fe_new, invoice_id="9", ettn=None, order_ref=sale_key("demo-shop", "3")),
        invoice(invoice_id="10", ettn=None, order_ref="#4 (shopify 4)"),  # ours, job not in view
        invoice(invoice_id="11", ettn=None, order_ref="Kırtasiye, elle"),  # the merchant's own
    ], store_id="demo-shop", platform="shopify")
    assert {j: [i.invoice_id for i in v] for j, v in found.by_job.items()} == \
        {1: [turkcell.ettn.upper()], 2: ["555"], 3: ["9"]}
    assert list(found.unresolved) == [sale_key("demo-shop", "4")]
    assert found.foreign == 1


# -- provider side ----------------------------------------------------------------------------


def test_a_job_that_matches_its_invoice_is_no_difference() -> None:
    assert decide(job(), [invoice()]) is None


def test_missing_at_provider_is_flagged_once_and_only_for_listed_days() -> None:
    planned = decide(job(), [])
    assert planned is not None and planned.repair is not None and not planned.repair.enqueue
    (finding,) = planned.findings
    assert (finding.category, finding.action) == (Category.MISSING_AT_PROVIDER, Action.FLAGGED)
    assert planned.repair.fields["status"] == "needs_attention"
    assert planned.repair.fields["attention_category"] == "missing_at_provider"
    flagged = job(status="needs_attention", attention_category="missing_at_provider")
    (again,) = decide(flagged, []).findings  # type: ignore[union-attr]
    assert again.action is Action.ALREADY_FLAGGED
    other_day = job(facts=OrderFacts(issue_date=DAY - timedelta(days=1), paid_total=Decimal("1"), vat_rates=1))
    assert decide(other_day, []) is None  # its day was not listed
    assert decide(job(step_invoice="in_progress", status="running"), []) is None  # not invoiced yet


def test_not_sent_redrives_the_send_through_the_probe() -> None:
    planned = decide(job(), [invoice(sent=False)])
    assert planned is not None and planned.repair is not None
    assert [(f.category, f.action) for f in planned.findings] == [(Category.NOT_SENT, Action.REDRIVEN)]
    fields = planned.repair.fields
    # failed, never pending: the pipeline asks the provider before any GİB send.
    assert fields["step_e_document"] == "failed" and fields["status"] == "queued"
    assert "step_journal" not in fields and planned.repair.enqueue


def test_not_journaled_redrives_the_journal_step_only_where_the_provider_journals() -> None:
    planned = decide(job(), [invoice(journaled=False)])
    assert planned is not None and planned.repair is not None
    assert planned.repair.fields["step_journal"] == "failed"
    assert decide(job(step_journal="skipped"), [invoice(journaled=False)], FATURAENTEGRATOR) is None


def test_a_closed_sale_is_never_redriven_even_when_listed_unsent_or_unjournaled() -> None:
    # Its e-Arşiv was cancelled at GİB and its journal entry reversed by the cancel job: the
    # provider lists it so on purpose.
    closed = job(closed_at=NOW - timedelta(hours=1))
    assert decide(closed, [invoice(of=closed, sent=False, journaled=False)]) is None


def test_amount_mismatch_is_reported_and_nothing_else_is_repaired() -> None:
    planned = decide(job(), [invoice(total=Decimal("440.00"), sent=False, journaled=False)])
    assert planned is not None and planned.repair is None
    (finding,) = planned.findings
    assert finding.category is Category.AMOUNT_MISMATCH and finding.action is Action.REPORTED
    assert finding.evidence["difference"] == "2.15"


def test_amounts_allow_exactly_the_recorded_rounding_difference() -> None:
    rounded = job(rounding_difference=Decimal("0.01"))
    assert decide(rounded, [invoice(total=Decimal("442.14"))]) is None
    assert decide(rounded, [invoice(total=Decimal("442.15"))]) is not None
    # Before the job recorded one (an invoice being adopted): at most 0.01 per VAT rate.
    unknown = job(rounding_difference=None, step_invoice="in_progress", status="needs_attention")
    assert decide(unknown, [invoice(total=Decimal("442.13"))]).findings[0].category is Category.ADOPT  # type: ignore[union-attr]
    assert decide(unknown, [invoice(total=Decimal("442.12"))]).findings[0].category is Category.AMOUNT_MISMATCH  # type: ignore[union-attr]


def test_duplicates_are_reported_and_the_jobs_own_invoice_is_the_one_compared() -> None:
    j = job()
    other = invoice(j, invoice_id="dup", ettn="0d0d0d0d-0000-4000-8000-000000000000", total=Decimal("1.00"))
    planned = decide(j, [other, invoice(j)])
    assert planned is not None and planned.repair is None
    (finding,) = planned.findings
    assert finding.category is Category.DUPLICATE_AT_PROVIDER and len(finding.evidence["invoices"]) == 2


def test_adoption_takes_the_providers_ids_and_asks_before_sending_again() -> None:
    stuck = job(status="needs_attention", attention_category="retries_exhausted", step_invoice="in_progress",
                step_e_document="pending", step_journal="pending", invoice_id=None, ettn=None,
                invoice_number=None, gib_uuid=None)
    sent = invoice(stuck, invoice_id="41", ettn="ab0d0d0d-0000-4000-8000-000000000000",
                   invoice_number="FEN2026000000041", sent=None, journaled=None)
    planned = decide(stuck, [sent], FATURAENTEGRATOR)
    assert planned is not None and planned.repair is not None
    assert [(f.category, f.action) for f in planned.findings] == [(Category.ADOPT, Action.ADOPTED)]
    fields = planned.repair.fields
    assert (fields["invoice_id"], fields["ettn"], fields["invoice_number"]) == \
        ("41", "ab0d0d0d-0000-4000-8000-000000000000", "FEN2026000000041")
    assert fields["step_invoice"] == "done" and fields["status"] == "queued" and fields["attempt_count"] == 0
    assert fields["step_e_document"] == "failed"  # the list could not say: probe first
    assert "step_journal" not in fields  # FaturaEntegratör does not journal
    not_sent = decide(stuck, [replace(sent, sent=False)], FATURAENTEGRATOR)
    assert "step_e_document" not in not_sent.repair.fields  # type: ignore[union-attr]


def test_a_job_a_worker_holds_is_left_alone() -> None:
    running = job(status="running", step_invoice="in_progress", lease_owner="w1",
                  lease_expires_at=NOW + timedelta(minutes=4))
    assert decide(running, [invoice()]) is None
    assert decide(replace(running, step_invoice="done"), [invoice(sent=False)]) is None


# -- stuck jobs -------------------------------------------------------------------------------


def stuck(j: JobSnapshot, caps: frozenset[Capability] = TURKCELL):
    return classify_stuck(j, capabilities=caps, now=NOW, stale_before=NOW - timedelta(minutes=30))


def test_expired_lease_and_overdue_jobs_get_a_wake_up_call_only() -> None:
    dead = stuck(job(status="running", lease_owner="w1", lease_expires_at=NOW - timedelta(hours=2)))
    assert dead is not None and dead.repair is not None and dead.repair.fields == {} and dead.repair.enqueue
    assert dead.findings[0].evidence["reason"] == "lease_expired"
    late = stuck(job(status="retrying", next_attempt_at=NOW - timedelta(hours=1)))
    assert late is not None and late.findings[0].evidence["reason"] == "overdue"
    assert stuck(job(status="retrying", next_attempt_at=NOW - timedelta(minutes=5))) is None
    assert stuck(job(status="running", lease_owner="w1", lease_expires_at=NOW + timedelta(minutes=1))) is None


def test_retries_exhausted_is_redriven_unless_a_gib_send_is_in_doubt_and_cannot_be_asked() -> None:
    exhausted = job(status="needs_attention", attention_category="retries_exhausted", step_e_document="in_progress")
    planned = stuck(exhausted)
    assert planned is not None and planned.findings[0].action is Action.REDRIVEN
    assert planned.repair is not None and planned.repair.fields["status"] == "queued"
    assert "step_e_document" not in planned.repair.fields  # stays in doubt: the pipeline probes
    blind = stuck(exhausted, NO_PROBE)
    assert blind is not None and blind.repair is None and blind.findings[0].action is Action.SKIPPED_UNSAFE


def test_what_needs_a_person_is_reported_not_touched() -> None:
    for category in ("gib_send_failed", "provider_refused", "invalid_order", "auth"):
        planned = stuck(job(status="needs_attention", attention_category=category))
        assert planned is not None and planned.repair is None
        assert planned.findings[0].action is Action.REPORTED and planned.findings[0].evidence["reason"] == category
    assert stuck(job(status="completed")) is None


# -- small pieces -----------------------------------------------------------------------------


def test_order_facts_read_the_issue_date_in_turkiyes_own_time() -> None:
    facts = order_facts('{"created_at": "2026-03-10T23:30:00+03:00", "paid_total": "10.00", '
                        '"lines": [{"vat_rate": "20"}, {"vat_rate": "10"}, {"vat_rate": "20"}]}')
    assert facts == OrderFacts(issue_date=DAY, paid_total=Decimal("10.00"), vat_rates=2)
    # 21:30 UTC is 00:30 the next day in İstanbul: the invoice is dated on that day.
    utc = order_facts('{"created_at": "2026-03-09T21:30:00+00:00", "paid_total": "10.00", "lines": []}')
    assert utc is not None and utc.issue_date == DAY
    assert order_facts(None) is None and order_facts("{}") is None


def test_resource_body_keeps_decimal_numbers_exact() -> None:
    body = resource_body({"rate": Decimal("0.2"), "price": Decimal("19.99"), "big": Decimal("12345678901234567.89")})
    assert body == b'{"rate":0.2,"price":19.99,"big":"12345678901234567.89"}'
