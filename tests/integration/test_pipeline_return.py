"""The return job (issue #12, a refund after the GİB send) and the cancel job's journal
reversal, at the runner level on SQLite and PostgreSQL: every effect once — a return invoice
found after a lost answer is not made again, a send in doubt is probed, a reversal in doubt is
asked about — and where the product cannot document the return, an operator gets the exact
instruction (the sale invoice, the refunded lines and amounts), never a silent success."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import InvoiceLine, LineKind
from sync_engine.domain.keys import cancel_key, ettn_for, return_key, sale_key
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.providers.base import Capability, DocumentType, RemoteInvoice, ReturnOf
from sync_engine.store.repositories import JobRepository
from tests.support.orders import PERSON, order, runtime
from tests.support.scripted_provider import FAIL_BEFORE, LOSE_RESPONSE, ScriptedProvider

SALE_CAPS = frozenset({
    Capability.CUSTOMER, Capability.INVOICE, Capability.FIND_INVOICE, Capability.E_DOCUMENT,
    Capability.E_DOCUMENT_STATE, Capability.JOURNAL,
})
RETURNS = SALE_CAPS | {Capability.RETURN_INVOICE}
E_FATURA_BUYER = PERSON.model_copy(update={"efatura_registered": True, "efatura_alias": "urn:mail:defaultpk@ayse.example"})
# What the refund gave back: one of the two shirts and the shipping.
REFUNDED = (
    InvoiceLine(line_ref="L1", sku="TSHIRT-1", name="Tişört", quantity=Decimal(1), unit_price=Decimal("149.90"),
                vat_rate=Decimal(20)),
    InvoiceLine(line_ref="shipping", name="Kargo", quantity=Decimal(1), unit_price=Decimal("29.99"),
                vat_rate=Decimal(20), kind=LineKind.SHIPPING),
)
REFUND_TOTAL = Decimal("179.89")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Shop:
    """One order's sale and return jobs against one scripted provider."""

    def __init__(self, session_factory: sessionmaker[Session], provider: ScriptedProvider, order_id: str,
                 *, buyer=PERSON, buyer_return_wait_s: float = 8 * 86400.0) -> None:  # noqa: ANN001
        self.sessions = session_factory
        self.provider = provider
        self.order_id = order_id
        self.buyer = buyer
        self.clock = Clock()
        self.runner = JobRunner(
            session_factory, lambda _s: runtime(provider, f"acct-{order_id}"), clock=self.clock,
            policy=RetryPolicy(base_s=1, cap_s=2, max_attempts=20), lease_ttl_s=60,
            buyer_return_wait_s=buyer_return_wait_s,
        )
        self.sale_ettn = ettn_for(sale_key("shop", order_id))
        self.return_ettn = ettn_for(return_key("shop", order_id, "R1"))

    def _create(self, key: str, **fields: object) -> int:
        with self.sessions() as s:
            job, _ = JobRepository(s).create_if_absent(
                key, store_id="shop", platform="shopify", order_id=self.order_id, order_name=f"#{self.order_id}",
                provider="scripted", provider_account="acct", status="queued", created_at=self.clock.now, **fields,
            )
            s.commit()
            return job.id

    def sale(self, *, run: bool = True) -> int:
        job_id = self._create(sale_key("shop", self.order_id),
                              order_json=order(order_id=self.order_id, buyer=self.buyer).model_dump_json())
        if run:
            assert self.runner.run(job_id).status == "completed"
        return job_id

    def return_job(self) -> int:
        """As ingest makes it: the refund's order, no cari step, the sale's cari."""
        with self.sessions() as s:
            sale = JobRepository(s).get_by_key(sale_key("shop", self.order_id))
            customer_id = sale.customer_id if sale is not None else None
        ret = order(order_id=self.order_id, buyer=self.buyer, lines=REFUNDED)
        assert ret.paid_total == REFUND_TOTAL
        return self._create(return_key("shop", self.order_id, "R1"), kind="return", order_json=ret.model_dump_json(),
                            step_customer="skipped", customer_id=customer_id)

    def run(self, job_id: int, after_s: float = 5.0) -> str | None:
        self.clock.now += timedelta(seconds=after_s)
        return self.runner.run(job_id).status

    def job(self, job_id: int):  # noqa: ANN201
        with self.sessions() as s:
            return JobRepository(s).get(job_id)


def _steps(job) -> tuple[str, ...]:  # noqa: ANN001
    return (job.step_customer, job.step_invoice, job.step_e_document, job.step_journal)


def test_return_happy_path_makes_sends_and_journals_one_return_invoice(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-1")
    sale_id = shop.sale()
    sale = shop.job(sale_id)
    ret_id = shop.return_job()
    assert shop.run(ret_id) == "completed"
    job = shop.job(ret_id)
    assert _steps(job) == ("skipped", "done", "done", "done")
    assert (job.invoice_id, job.ettn, job.journal_ref) == (shop.return_ettn, shop.return_ettn, f"J-{shop.return_ettn}")
    assert provider.effects.returns[shop.return_ettn] == 1 and provider.effects.gib_sends[shop.return_ettn] == 1
    assert provider.effects.journals[shop.return_ettn] == 1
    # It references the sale invoice as GİB's return reference needs it: number and issue date.
    assert provider.returned[shop.return_ettn] == ReturnOf(
        invoice_id=sale.invoice_id, invoice_number=sale.invoice_number, issue_date=date(2026, 11, 20),
        ettn=shop.sale_ettn, document_type=None)
    # The sale stays as it was: one send, its journal entry not reversed.
    assert provider.effects.gib_sends[shop.sale_ettn] == 1 and not provider.effects.reversals
    assert "create_invoice" not in provider.operations[provider.operations.index("return_invoice"):]


def test_lost_answer_to_the_return_invoice_finds_it_instead_of_making_a_second(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-2")
    shop.sale()
    ret_id = shop.return_job()
    provider.script.append(LOSE_RESPONSE)  # made at the provider, the answer lost (504 after the effect)
    assert shop.run(ret_id) == "retrying"
    assert shop.job(ret_id).step_invoice == "in_progress"  # the intent was committed before the call
    assert shop.run(ret_id) == "completed"
    assert provider.effects.returns[shop.return_ettn] == 1
    assert provider.operations.count("return_invoice") == 1
    assert shop.job(ret_id).invoice_id == shop.return_ettn


def test_return_invoice_that_failed_before_the_effect_is_made_after_the_search(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-3")
    shop.sale()
    ret_id = shop.return_job()
    provider.script.append(FAIL_BEFORE)
    assert shop.run(ret_id) == "retrying"
    assert shop.run(ret_id) == "completed"
    tail = provider.operations[provider.operations.index("return_invoice"):]
    assert tail[:3] == ["return_invoice", "find_invoice", "return_invoice"]
    assert provider.effects.returns[shop.return_ettn] == 1


def test_lost_answer_to_the_return_send_is_probed_never_resent(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-4")
    shop.sale()
    ret_id = shop.return_job()
    provider.script.extend(["ok", LOSE_RESPONSE])  # return invoice made; its GİB send's answer lost
    assert shop.run(ret_id) == "retrying"
    assert shop.run(ret_id) == "completed"
    assert provider.effects.gib_sends[shop.return_ettn] == 1
    job = shop.job(ret_id)
    assert job.step_e_document == "done" and job.gib_uuid == f"gib-{shop.return_ettn}"


def test_provider_total_not_the_refund_stops_before_the_send(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-5")
    shop.sale()
    ret_id = shop.return_job()
    provider.invoice_total = REFUND_TOTAL + Decimal("0.01")
    assert shop.run(ret_id) == "needs_attention"
    job = shop.job(ret_id)
    assert job.attention_category == "total_mismatch" and "the shop refunded 179.89" in job.last_error_message
    assert provider.effects.gib_sends[shop.return_ettn] == 0


def test_e_fatura_sale_waits_for_the_buyers_return_then_records_it(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS | {Capability.BUYER_RETURNS})
    shop = Shop(session_factory, provider, "rt-6", buyer=E_FATURA_BUYER)
    sale = shop.job(shop.sale())
    assert sale.document_type == DocumentType.E_FATURA.value
    ret_id = shop.return_job()
    for _ in range(2):
        assert shop.run(ret_id, after_s=3600) == "retrying"
        job = shop.job(ret_id)
        assert job.last_error_class == "AwaitingBuyerReturn" and job.attempt_count - job.wait_count == 0
    provider.incoming[sale.invoice_id] = RemoteInvoice(
        invoice_id="IN-77", ettn="buyer-ettn-77", invoice_number="AYS2026000000007", order_ref=None,
        issue_date=date(2026, 11, 22), total=REFUND_TOTAL, sent=True, journaled=None)
    assert shop.run(ret_id, after_s=3600) == "completed"
    job = shop.job(ret_id)
    assert (job.invoice_id, job.ettn, job.invoice_number) == ("IN-77", "buyer-ettn-77", "AYS2026000000007")
    assert _steps(job) == ("skipped", "done", "skipped", "skipped")
    # Nothing of ours: no return invoice, no second document at GİB, no journal.
    assert not provider.effects.returns and provider.effects.gib_sends[shop.return_ettn] == 0
    assert provider.effects.journals[shop.return_ettn] == 0


def test_e_fatura_buyer_return_not_arriving_in_the_wait_goes_to_an_operator(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS | {Capability.BUYER_RETURNS})
    shop = Shop(session_factory, provider, "rt-7", buyer=E_FATURA_BUYER, buyer_return_wait_s=86400)
    sale = shop.job(shop.sale())
    ret_id = shop.return_job()
    assert shop.run(ret_id, after_s=3600) == "retrying"
    assert shop.run(ret_id, after_s=86400) == "needs_attention"
    job = shop.job(ret_id)
    assert job.attention_category == "refund_after_send"
    message = job.last_error_message
    assert sale.invoice_number in message and "2026-11-20" in message and "1 days" in message
    assert "1 × Tişört (TSHIRT-1) 149.90 TL" in message and "1 × Kargo 29.99 TL" in message  # each line…
    assert "total 179.89 TL" in message  # …and the refund's total
    assert not provider.effects.returns


def test_e_fatura_sale_without_buyer_returns_asks_an_operator_at_once(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-8", buyer=E_FATURA_BUYER)
    sale = shop.job(shop.sale())
    ret_id = shop.return_job()
    assert shop.run(ret_id) == "needs_attention"
    job = shop.job(ret_id)
    assert job.attention_category == "refund_after_send"
    assert f"e-Fatura {sale.invoice_number} of 2026-11-20 cannot be returned by the seller" in job.last_error_message
    assert "total 179.89 TL" in job.last_error_message
    assert not provider.effects.returns and "find_buyer_return" not in provider.operations


def test_provider_without_return_invoices_names_the_invoice_lines_and_amounts(session_factory) -> None:  # noqa: ANN001
    # SinApp: its invoice is the legal document, and it has no return invoice call.
    provider = ScriptedProvider(capabilities=frozenset({Capability.CUSTOMER, Capability.INVOICE, Capability.FIND_INVOICE}))
    shop = Shop(session_factory, provider, "rt-9")
    shop.sale()
    ret_id = shop.return_job()
    assert shop.run(ret_id) == "needs_attention"
    job = shop.job(ret_id)
    assert (job.attention_category, job.step_invoice) == ("refund_after_send", "pending")
    message = job.last_error_message
    assert f"referencing invoice (provider id {shop.sale_ettn}) of 2026-11-20" in message
    assert "1 × Tişört (TSHIRT-1) 149.90 TL (KDV %20)" in message and "total 179.89 TL incl. KDV 29.98 TL" in message
    assert provider.operations.count("invoice") == 1  # the sale's only


def test_return_waits_for_a_sale_not_yet_sent_then_proceeds(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-10")
    sale_id = shop.sale(run=False)
    ret_id = shop.return_job()
    assert shop.run(ret_id) == "retrying"
    assert shop.job(ret_id).last_error_class == "AwaitingSale" and not provider.operations
    assert shop.run(sale_id) == "completed"
    assert shop.run(ret_id) == "completed"
    assert provider.effects.returns[shop.return_ettn] == 1


def test_return_without_a_sale_job_stops_with_the_reason(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=RETURNS)
    shop = Shop(session_factory, provider, "rt-11")
    ret_id = shop.return_job()
    assert shop.run(ret_id) == "needs_attention"
    job = shop.job(ret_id)
    assert job.attention_category == "refund_after_send" and "no sale invoice for this order" in job.last_error_message
    assert not provider.operations


# -- the cancel job's journal reversal ---------------------------------------------------------

REVERSES = SALE_CAPS | {Capability.REVERSE_JOURNAL}


def _cancel_job(shop: Shop, sale_id: int) -> int:
    """As ingest makes it for a sent e-Arşiv (the sale's document copied), its e-Arşiv
    already cancelled at GİB, so only the reversal is left."""
    sale = shop.job(sale_id)
    return shop._create(
        cancel_key("shop", shop.order_id), kind="cancel", order_json=sale.order_json,
        customer_id=sale.customer_id, invoice_id=sale.invoice_id, ettn=sale.ettn, invoice_number=sale.invoice_number,
        journal_ref=sale.journal_ref, step_customer="skipped", step_invoice="skipped", step_e_document="done",
    )


def test_reversal_with_a_lost_answer_is_asked_about_not_repeated(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=REVERSES)
    shop = Shop(session_factory, provider, "rv-1")
    cancel_id = _cancel_job(shop, shop.sale())
    provider.script.append(LOSE_RESPONSE)  # reversed at the provider, the answer lost
    assert shop.run(cancel_id) == "retrying"
    assert shop.job(cancel_id).step_journal == "in_progress"
    assert shop.run(cancel_id) == "completed"
    assert provider.effects.reversals[shop.sale_ettn] == 1
    assert provider.operations[-2:] == ["reverse_journal", "journal_probe"]


def test_reversal_that_failed_before_the_effect_is_made_once_after_asking(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=REVERSES)
    shop = Shop(session_factory, provider, "rv-2")
    cancel_id = _cancel_job(shop, shop.sale())
    provider.script.append(FAIL_BEFORE)
    assert shop.run(cancel_id) == "retrying"
    assert shop.run(cancel_id) == "completed"
    assert provider.effects.reversals[shop.sale_ettn] == 1
    assert provider.operations[-3:] == ["reverse_journal", "journal_probe", "reverse_journal"]


class CannotSay(ScriptedProvider):
    def journal_reversed(self, req, invoice) -> bool | None:  # noqa: ANN001
        return None


def test_reversal_in_doubt_at_a_provider_that_cannot_be_asked_goes_to_an_operator(session_factory) -> None:  # noqa: ANN001
    provider = CannotSay(capabilities=REVERSES)
    shop = Shop(session_factory, provider, "rv-3")
    cancel_id = _cancel_job(shop, shop.sale())
    provider.script.append(LOSE_RESPONSE)
    assert shop.run(cancel_id) == "retrying"
    assert shop.run(cancel_id) == "needs_attention"
    job = shop.job(cancel_id)
    assert job.attention_category == "cancelled_after_send" and "not reversing again" in job.last_error_message
    assert provider.effects.reversals[shop.sale_ettn] == 1


def test_without_the_reversal_call_the_operator_is_told_what_to_reverse(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=SALE_CAPS)
    shop = Shop(session_factory, provider, "rv-4")
    cancel_id = _cancel_job(shop, shop.sale())
    assert shop.run(cancel_id) == "needs_attention"
    job = shop.job(cancel_id)
    assert f"reverse its journal entry J-{shop.sale_ettn}" in job.last_error_message
    assert not provider.effects.reversals


def test_default_reversal_probe_cannot_say_without_a_journal_lookup() -> None:
    from sync_engine.providers.base import BaseProvider

    # journal_reference is not implemented by BaseProvider: "none" would be a guess.
    assert BaseProvider().journal_reversed(None, None) is None  # type: ignore[arg-type]
