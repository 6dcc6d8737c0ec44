"""Nightly reconciliation against the sandbox over HTTP, with real workers, real Redis and the
state table on SQLite and PostgreSQL (issue: store ↔ state table ↔ provider, with repair).

Each scenario makes the difference happen the way it happens in production — a webhook
that never arrives, a person deleting or editing an invoice in the provider's panel, a
response lost after the provider created the invoice, a journal entry reversed — and then
checks the ledger (what really happened at the provider), not only our own table.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sync_engine.config import load_stores
from sync_engine.sandbox.credentials import SHOP_SECRETS as SANDBOX_SECRETS
from sync_engine.domain.keys import sale_key
from sync_engine.ingest import ingest
from sync_engine.platforms.registry import get_platform
from sync_engine.providers.registry import build_provider
from sync_engine.reconcile.findings import Category, StoreReport
from sync_engine.reconcile.service import ReconcileDeps, reconcile_store
from sync_engine.reconcile.window import day_window
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.devtools.orders import TR_TZ, shopify_order, woocommerce_order
from sync_engine.devtools.webhooks import build_shopify, build_woocommerce
from sync_engine.store.models import InboundEvent, Job, ReconcileItem, ReconcileRun
from sync_engine.store.repositories import JobRepository, ReconcileRepository
from tests.support import stack as stack_module
from tests.support.stack import LiveStack, live_stack
from tests.support.services import redis_url

pytestmark = pytest.mark.slow

ISTANBUL = ZoneInfo("Europe/Istanbul")
WEBHOOK_SECRETS = {
    "demo-shop": "DEMO_SHOP_WEBHOOK_SECRET", "kolay-shop": "KOLAY_SHOP_WEBHOOK_SECRET",
    "entegre-shop": "ENTEGRE_SHOP_WEBHOOK_SECRET", "sinapp-shop": "SINAPP_SHOP_WEBHOOK_SECRET",
}
RECONCILE_REDIS_URL = redis_url(7)
READS = {"list_call", "get_call"}
REPAIRING = {"ingested", "adopted", "redriven", "enqueued", "flagged"}


class Harness:
    """A live stack plus the shop side of it: orders in the shop simulators, signed webhooks
    through the real ingest, and reconciliation runs in this process."""

    def __init__(self, stack: LiveStack) -> None:
        self.stack = stack
        self.sandbox = stack.sandbox
        self.stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        self.enqueued: list[int] = []
        self.pauses: list[float] = []  # what a run waited before listing again
        self.day = (datetime.now(ISTANBUL) - timedelta(days=1)).date()
        self._rng = random.Random(20240)
        self._n = 0
        self._providers: dict[str, Any] = {}
        # The example shops' API credentials come from the sandbox's own configuration
        # (sandbox/credentials.configure_sandbox), as with `sync-engine sandbox`.

    # -- the shop ----------------------------------------------------------------------------

    def add_order(self, store_id: str, kind: str = "person") -> dict[str, Any]:
        """A paid order created yesterday (the store's zone) in the shop simulator."""
        self._n += 1
        created = datetime.combine(self.day, time(9, 0), TR_TZ) + timedelta(minutes=11 * self._n)
        platform = self.stores[store_id].platform
        if platform == "shopify":
            payload = shopify_order(self._rng, n=self._n, kind=kind, created_at=created,
                                    shop_domain=f"{store_id}.myshopify.com")
        else:
            payload = woocommerce_order(self._rng, n=self._n, kind=kind, created_at=created,
                                        site_url=f"https://{store_id}.example")
        return self.sandbox[platform].add_order(store_id, payload)

    def deliver(self, store_id: str, payload: dict[str, Any]) -> int:
        """The order's webhook, signed, verified and ingested as the web layer does it."""
        store = self.stores[store_id]
        secret = SANDBOX_SECRETS[WEBHOOK_SECRETS[store_id]]
        if store.platform == "shopify":
            headers, body = build_shopify(payload, secret=secret, topic="orders/paid",
                                          shop_domain=f"{store_id}.myshopify.com")
        else:
            headers, body = build_woocommerce(payload, secret=secret, topic="order.updated")
        adapter = get_platform(store.platform)
        adapter.verify(headers, body, [secret])
        with self.stack.sessions() as session:
            result = ingest(session, store=store, adapter=adapter, headers=headers, body=body,
                            source="webhook", now=datetime.now(UTC))
            session.commit()
        assert result.enqueue and result.job_id is not None, result
        self.stack.enqueue(result.job_id)
        return result.job_id

    # -- reconciliation ----------------------------------------------------------------------

    def provider(self, store: Any) -> Any:
        if store.id not in self._providers:
            self._providers[store.id] = build_provider(store.provider, redis_client=self.stack.redis)
        return self._providers[store.id]

    def enqueue(self, job_id: int) -> None:
        self.enqueued.append(job_id)
        self.stack.enqueue(job_id)

    def reconcile(self, store_id: str, *, dry_run: bool = False) -> StoreReport:
        store = self.stores[store_id]
        deps = ReconcileDeps(sessions=self.stack.sessions, provider_for=self.provider, enqueue=self.enqueue,
                             sleep=self.pauses.append)
        return reconcile_store(deps, store, day_window(self.day, store.zone), dry_run=dry_run)

    def close(self) -> None:
        for provider in self._providers.values():
            provider.close()

    # -- reading the state -------------------------------------------------------------------

    def job_id(self, store_id: str, payload: dict[str, Any]) -> int:
        with self.stack.sessions() as session:
            job = JobRepository(session).get_by_key(sale_key(store_id, str(payload["id"])))
            assert job is not None, payload["id"]
            return job.id

    def jobs(self, store_id: str) -> list[Job]:
        with self.stack.sessions() as session:
            return list(session.scalars(select(Job).where(Job.store_id == store_id).order_by(Job.id)))

    def snapshot(self) -> dict[str, Any]:
        """Everything a run could change: job rows, events, stored reports, provider effects."""
        with self.stack.sessions() as session:
            jobs = [
                (j.id, j.status, j.step_customer, j.step_invoice, j.step_e_document, j.step_journal,
                 j.invoice_id, j.attention_category, j.updated_at)
                for j in session.scalars(select(Job).order_by(Job.id))
            ]
            events = session.scalar(select(func.count()).select_from(InboundEvent))
            runs = session.scalar(select(func.count()).select_from(ReconcileRun))
        # Reads leave list_call / get_call in the shops' ledgers: only effects count here.
        effects = {sim: {k: n for k, n in kinds.items() if k not in READS}
                   for sim, kinds in self.sandbox.ledger.summary().items() if set(kinds) - READS}
        return {"jobs": jobs, "events": events, "runs": runs, "ledger": effects, "enqueued": len(self.enqueued)}

    def wait_settled(self, store_ids: list[str], timeout_s: float = 240) -> list[Job]:
        """Until every job of these stores is completed or waits for a person."""
        ids = [j.id for s in store_ids for j in self.jobs(s)]
        return self.stack.wait(ids, timeout_s=timeout_s)

    def later_that_day(self, change: Callable[[], object]) -> None:
        """Make a change at the shop at 18:00 of the listed day (the run lists the day's
        changed orders), then bring the sandbox clock back."""
        clock = self.sandbox.state.clock
        shift = (datetime.combine(self.day, time(18, 0), TR_TZ) - clock.now()).total_seconds()
        clock.advance(shift)
        try:
            change()
        finally:
            clock.advance(-shift)


def _fast_budgets(text: str) -> str:
    # The example stores throttle providers to 5-10 requests/s, shared by every process:
    # right for a real account, slow for a test of forty orders.
    return text.replace("max_requests_per_s = 10", "max_requests_per_s = 500").replace(
        "max_requests_per_s = 5", "max_requests_per_s = 500")


@contextmanager
def harness(db_url: str, tmp_path: Path, **kw: Any) -> Iterator[Harness]:
    # live_stack flushes its Redis database at start and end; other suites' stacks use the
    # default one at the same time on this machine, so these tests broker through their own.
    default_url = stack_module.TEST_REDIS_URL
    stack_module.TEST_REDIS_URL = RECONCILE_REDIS_URL
    try:
        with live_stack(db_url, tmp_path, transform=_fast_budgets, **kw) as stack:
            h = Harness(stack)
            try:
                yield h
            finally:
                h.close()
    finally:
        stack_module.TEST_REDIS_URL = default_url


def categories(report: StoreReport) -> dict[str, int]:
    return {k: v for k, v in report.category_counts().items() if v}


def by_category(report: StoreReport, category: Category) -> list[Any]:
    return [f for f in report.findings if f.category is category]


# -- scenarios ----------------------------------------------------------------------------------


def test_dropped_webhooks_are_ingested_and_invoiced_once(db_url: str, tmp_path: Path) -> None:
    """10 % of the webhooks never arrive; one run ingests those orders and they are invoiced;
    a dry run before it changes nothing; a second run changes nothing."""
    with harness(db_url, tmp_path) as h:
        stores = ["demo-shop", "kolay-shop"]  # Shopify → Turkcell, WooCommerce → KolayBi
        dropped: dict[str, list[dict[str, Any]]] = {s: [] for s in stores}
        for store in stores:
            for i in range(20):
                payload = h.add_order(store, kind="anonymous" if i % 3 == 0 else "person")
                if i % 10 == 4:
                    dropped[store].append(payload)  # the shop sent it; it never reached us
                else:
                    h.deliver(store, payload)
        settled = h.wait_settled(stores)
        assert all(j.status == "completed" for j in settled), [(j.id, j.last_error_message) for j in settled]
        assert len(settled) == 36

        before = h.snapshot()
        dry = {s: h.reconcile(s, dry_run=True) for s in stores}
        assert h.snapshot() == before  # not a row, not an event, not a report, not a wake-up call
        for store in stores:
            assert categories(dry[store]) == {"missing_job": 2}
            assert {f.as_json(True)["action"] for f in dry[store].findings} == {"would_ingest"}
            assert dry[store].run_id is None

        # The shop throttles the first listing and the provider fails one page: each listing
        # starts again after a pause, and nothing is handled twice.
        h.sandbox.state.faults.add(FaultRule("shopify", "orders_list", FaultMode.RATE_429, times=1))
        h.sandbox.state.faults.add(FaultRule("turkcell", "invoice_list", FaultMode.BEFORE_500, times=1))
        reports = {s: h.reconcile(s) for s in stores}
        assert h.pauses == [2.0, 2.0]
        for store in stores:
            report = reports[store]
            assert report.status == "ok", report.notes
            assert categories(report) == {"missing_job": 2}, report.as_json()
            assert {f.order_id for f in report.findings} == {str(p["id"]) for p in dropped[store]}
            assert {f.action.value for f in report.findings} == {"ingested"}
            assert report.stats["shop_orders"] == 20 and report.stats["provider_invoices_matched"] == 18
        # 20 orders: one page (Shopify's came twice, the first throttled); Turkcell lists 500
        # per page, KolayBi 100: one list call each for 18 invoices (Turkcell's: twice).
        assert (reports["demo-shop"].shop_calls, reports["kolay-shop"].shop_calls) == (2, 1)
        assert reports["demo-shop"].stats["provider_calls_by_operation"].get("invoices.outgoing") == 2
        assert reports["kolay-shop"].stats["provider_calls_by_operation"].get("kolaybi.e_documents.list") == 1

        settled = h.wait_settled(stores)
        assert len(settled) == 40 and all(j.status == "completed" for j in settled), \
            [(j.id, j.status, j.last_error_message) for j in settled]
        for store, sim in (("demo-shop", "turkcell"), ("kolay-shop", "kolaybi")):
            created = h.sandbox.ledger.per_key(sim, "invoice_created")
            assert len(created) == 20 and set(created.values()) == {1}, store
            assert h.sandbox.ledger.count(sim, "gib_send") == 20
        with h.stack.sessions() as session:
            sources = session.scalars(select(InboundEvent.source).where(InboundEvent.source == "reconciliation")).all()
            assert len(sources) == 4
            stored = ReconcileRepository(session).get_run(reports["demo-shop"].run_id)
            assert stored is not None and stored.status == "ok" and (stored.shop_calls, stored.provider_calls) == (2, 2)
            assert stored.counts["categories"]["missing_job"] == 2
            items = ReconcileRepository(session).items(stored.id)
            assert [i.category for i in items] == ["missing_job", "missing_job"]
            assert all(i.evidence["order_name"] and i.job_id for i in items)

        before = h.snapshot()
        again = {s: h.reconcile(s) for s in stores}
        for store in stores:
            assert again[store].findings == [], again[store].as_json()
        after = h.snapshot()
        assert after["runs"] == before["runs"] + 2  # the clean runs are on record …
        assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


def test_provider_differences_flagged_or_repaired_through_the_pipeline(db_url: str, tmp_path: Path) -> None:
    """Deleted in the panel → flagged; total edited → flagged, untouched; created but the
    answer lost and the job stuck → adopted, not created again; journal reversed → journaled
    again; a job whose worker died → woken. Then a second run changes nothing."""
    # One attempt per run: a lost answer leaves the job stuck in needs_attention at once.
    with harness(db_url, tmp_path, env={"SYNC_MAX_ATTEMPTS": "1"}) as h:
        fe = h.sandbox["faturaentegrator"]
        deleted, edited, lost = (h.add_order("entegre-shop") for _ in range(3))
        journal, dead = h.add_order("demo-shop"), h.add_order("demo-shop")
        for payload in (deleted, edited):
            h.deliver("entegre-shop", payload)
        h.deliver("demo-shop", journal)
        h.wait_settled(["entegre-shop", "demo-shop"])

        # The provider creates the invoice, then the gateway times out: the job never hears.
        h.sandbox.state.faults.add(FaultRule("faturaentegrator", "invoices_create", FaultMode.AFTER_504, times=1))
        lost_id = h.deliver("entegre-shop", lost)
        (stuck,) = h.stack.wait([lost_id], timeout_s=240)
        assert stuck.status == "needs_attention" and stuck.step_invoice == "in_progress", stuck.last_error_message
        assert h.sandbox.ledger.count("faturaentegrator", "invoice_created") == 3

        fe_ids = {rec.detail["order_id"]: int(rec.key) for rec in h.sandbox.ledger.effects("faturaentegrator", "invoice_created")}
        fe.delete_in_panel(fe_ids[sale_key("entegre-shop", str(deleted["id"]))])
        edited_key = sale_key("entegre-shop", str(edited["id"]))
        fe.edit_total_in_panel(fe_ids[edited_key], Decimal("1.00"))

        journal_job = h.stack.job(h.job_id("demo-shop", journal))
        h.sandbox["turkcell"].invoices.reverse([{"ettn": journal_job.ettn, "isSend": True}])  # ters kayıt

        # A worker took this job and died: the lease expired hours ago, and no sweeper ran.
        dead_id = h.deliver("demo-shop", dead)
        h.stack.wait([dead_id], timeout_s=240)
        with h.stack.sessions() as session:
            JobRepository(session).set_fields(
                dead_id, datetime.now(UTC), status="running", step_journal="pending", journal_ref=None,
                lease_owner="worker-that-died", lease_expires_at=datetime.now(UTC) - timedelta(hours=3),
            )
            session.commit()
        h.sandbox["turkcell"].invoices.reverse([{"ettn": h.stack.job(dead_id).ettn, "isSend": True}])
        edited_before = h.stack.job(h.job_id("entegre-shop", edited))

        entegre = h.reconcile("entegre-shop")
        demo = h.reconcile("demo-shop")
        assert entegre.status == "ok" and demo.status == "ok", (entegre.notes, demo.notes)
        assert categories(entegre) == {"missing_at_provider": 1, "adopt": 1, "amount_mismatch": 1}, entegre.as_json()
        assert categories(demo) == {"not_journaled": 1, "stuck": 1}, demo.as_json()

        (missing,) = by_category(entegre, Category.MISSING_AT_PROVIDER)
        assert missing.order_id == str(deleted["id"]) and missing.action.value == "flagged"
        (mismatch,) = by_category(entegre, Category.AMOUNT_MISMATCH)
        assert mismatch.action.value == "reported" and mismatch.evidence["provider_total"] == "1.00"
        assert Decimal(mismatch.evidence["paid_total"]) == Decimal(edited["current_total_price"])
        (adopted,) = by_category(entegre, Category.ADOPT)
        assert adopted.job_id == lost_id and adopted.action.value == "adopted"
        (rejournal,) = by_category(demo, Category.NOT_JOURNALED)
        assert rejournal.job_id == journal_job.id and rejournal.action.value == "redriven"
        (woken,) = by_category(demo, Category.STUCK)
        assert woken.job_id == dead_id and woken.evidence["reason"] == "lease_expired"
        assert woken.action.value == "enqueued"

        lost_job, journal_after, dead_after = h.stack.wait(
            [lost_id, journal_job.id, dead_id], until=lambda j: j.status == "completed", timeout_s=240)
        # Adopted: the invoice the provider already had, sent to GİB, never created twice.
        assert h.sandbox.ledger.per_key("faturaentegrator", "invoice_created")[str(fe_ids[sale_key("entegre-shop", str(lost["id"]))])] == 1
        assert h.sandbox.ledger.count("faturaentegrator", "invoice_created") == 3
        assert lost_job.invoice_id == str(fe_ids[sale_key("entegre-shop", str(lost["id"]))])
        assert lost_job.gib_uuid and lost_job.invoice_number
        # Journaled again (one journal, one reversal, one journal), sent to GİB once.
        for job in (journal_after, dead_after):
            assert h.sandbox.ledger.count("turkcell", "journal", job.ettn) == 2
            assert h.sandbox.ledger.count("turkcell", "gib_send", job.ettn) == 1
            assert h.sandbox["turkcell"].invoices.invoices[job.ettn].record_status == 1
        # Flagged for a person, with the evidence; the edited one untouched.
        flagged = h.stack.job(h.job_id("entegre-shop", deleted))
        assert flagged.status == "needs_attention" and flagged.attention_category == "missing_at_provider"
        assert "lists no invoice" in flagged.last_error_message
        edited_after = h.stack.job(edited_before.id)
        assert (edited_after.status, edited_after.updated_at) == ("completed", edited_before.updated_at)
        with h.stack.sessions() as session:
            item = session.scalars(select(ReconcileItem).where(ReconcileItem.category == "amount_mismatch")).one()
            assert item.evidence["provider_total"] == "1.00" and item.run_id == entegre.run_id

        before = h.snapshot()
        entegre2, demo2 = h.reconcile("entegre-shop"), h.reconcile("demo-shop")
        assert not [f for f in entegre2.findings + demo2.findings if f.action.value in REPAIRING]
        assert categories(entegre2) == {"missing_at_provider": 1, "amount_mismatch": 1}
        assert {f.action.value for f in entegre2.findings} == {"already_flagged", "reported"}
        assert demo2.findings == []
        after = h.snapshot()
        assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


def test_nightly_task_in_the_worker_reconciles_every_store(db_url: str, tmp_path: Path) -> None:
    """What beat triggers at 03:00: the worker reconciles yesterday for every store, and the
    lost orders it ingests are invoiced by the same workers. SinApp cannot list invoices:
    its run says so instead of pretending."""
    with harness(db_url, tmp_path) as h:
        lost = {store: h.add_order(store) for store in ("entegre-shop", "sinapp-shop")}
        h.stack.celery.send_task("sync_engine.reconcile_all")
        deadline = clock.monotonic() + 240
        while clock.monotonic() < deadline:
            with h.stack.sessions() as session:
                runs = list(session.scalars(select(ReconcileRun).where(ReconcileRun.finished_at.is_not(None))))
            if len(runs) == len(h.stores):
                break
            clock.sleep(0.3)
        assert sorted(r.store_id for r in runs) == sorted(h.stores), "the nightly task did not finish"
        by_store = {r.store_id: r for r in runs}
        for store, payload in lost.items():
            assert by_store[store].counts["categories"]["missing_job"] == 1
            assert by_store[store].window_start.date() == h.day - timedelta(days=1)  # 00:00 +03:00
        assert any("provider side not available" in note for note in by_store["sinapp-shop"].counts["notes"])
        jobs = h.wait_settled(list(lost))
        assert [j.status for j in jobs] == ["completed", "completed"], [j.last_error_message for j in jobs]
        assert h.sandbox.ledger.count("faturaentegrator", "invoice_created") == 1
        assert h.sandbox.ledger.count("sinapp", "invoice_created") == 1


def test_cli_dry_run_then_real_run_with_stored_report(db_url: str, tmp_path: Path) -> None:
    """The command as an operator runs it: --dry-run --json changes nothing; the real run
    ingests, queues and stores its report; the table output shows it."""
    with harness(db_url, tmp_path, start_worker=False) as h:
        payloads = [h.add_order("entegre-shop") for _ in range(3)]
        cli = [sys.executable, "-m", "sync_engine.cli.reconcile", "--store", "entegre-shop",
               "--date", h.day.isoformat()]

        before = h.snapshot()
        out = subprocess.run([*cli, "--dry-run", "--json"], env=h.stack.dev.env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        (run,) = json.loads(out.stdout)["runs"]
        assert run["dry_run"] is True and run["run_id"] is None
        assert run["categories"]["missing_job"] == 3
        assert {i["action"] for i in run["items"]} == {"would_ingest"}
        assert h.snapshot() == before
        assert h.stack.redis.llen("celery") == 0  # nothing was queued

        out = subprocess.run([*cli, "--json"], env=h.stack.dev.env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        (run,) = json.loads(out.stdout)["runs"]
        assert run["run_id"] is not None and run["repairs"] == 3
        assert sorted(i["order_id"] for i in run["items"]) == sorted(str(p["id"]) for p in payloads)
        assert "reconciliation found differences" in out.stderr  # one warning line for the store
        jobs = h.jobs("entegre-shop")
        assert len(jobs) == 3 and {j.status for j in jobs} == {"queued"}
        assert h.stack.redis.llen("celery") == 3  # one wake-up call per new job, after the commit
        with h.stack.sessions() as session:
            stored = ReconcileRepository(session).get_run(run["run_id"])
            assert stored is not None and stored.counts["categories"]["missing_job"] == 3
            assert len(ReconcileRepository(session).items(stored.id)) == 3

        out = subprocess.run(cli, env=h.stack.dev.env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "entegre-shop" in out.stdout and "summary" in out.stdout and "missing_job" in out.stdout
        assert "0 difference(s)" in out.stdout


def test_a_refund_whose_webhook_never_came_gets_its_return_once(db_url: str, tmp_path: Path) -> None:
    """#12: one item of an order refunded at the shop after its e-Arşiv went to GİB, the
    refunds/create webhook lost: the run finds the refund in the listed order (return_missed)
    and makes its return job through ingest, which returns it at Turkcell once; a dry run first
    changes nothing, a run after it finds nothing missing."""
    from tests.support.refunds import shopify_refund

    with harness(db_url, tmp_path) as h:
        payloads = [h.add_order("demo-shop") for _ in range(2)]
        for payload in payloads:
            h.deliver("demo-shop", payload)
        settled = h.wait_settled(["demo-shop"])
        assert all(j.status == "completed" for j in settled), [(j.id, j.last_error_message) for j in settled]
        h.later_that_day(lambda: h.sandbox["shopify"].refund_order(
            "demo-shop", payloads[0]["id"], shopify_refund(payloads[0], 4401, [(0, 1)])))

        before = h.snapshot()
        dry = h.reconcile("demo-shop", dry_run=True)
        assert categories(dry) == {"return_missed": 1} and h.snapshot() == before, dry.as_json()
        report = h.reconcile("demo-shop")
        assert categories(report) == {"return_missed": 1}, report.as_json()
        (finding,) = report.findings
        assert (finding.order_id, finding.evidence["refund_id"]) == (str(payloads[0]["id"]), "4401")
        ret = next(j for j in h.jobs("demo-shop") if j.kind == "return")
        assert finding.job_id == ret.id
        (ret,) = h.stack.wait([ret.id], timeout_s=120)
        assert ret.status == "completed", ret.last_error_message
        made = h.sandbox.ledger.per_key("turkcell", "return_invoice_created")
        assert len(made) == 1 and set(made.values()) == {1}, made
        again = h.reconcile("demo-shop")
        assert "return_missed" not in categories(again), again.as_json()
        assert sum(h.sandbox.ledger.per_key("turkcell", "return_invoice_created").values()) == 1


def test_a_cancel_whose_webhook_never_came_is_found_and_the_sent_invoice_flagged(db_url: str, tmp_path: Path) -> None:
    """#12: an order cancelled at the shop after its e-Arşiv went to GİB, the cancel webhook
    lost: the run records the cancel as the webhook would have (a cancel job that cancels the
    e-Arşiv at GİB), a dry run first changes nothing, a second run only reports."""
    with harness(db_url, tmp_path) as h:
        payloads = [h.add_order("demo-shop") for _ in range(3)]
        for payload in payloads:
            h.deliver("demo-shop", payload)
        settled = h.wait_settled(["demo-shop"])
        assert all(j.status == "completed" for j in settled), [(j.id, j.last_error_message) for j in settled]
        # The merchant cancelled it later that day.
        h.later_that_day(lambda: h.sandbox["shopify"].cancel_order("demo-shop", payloads[0]["id"]))

        before = h.snapshot()
        dry = h.reconcile("demo-shop", dry_run=True)
        assert categories(dry) == {"cancel_missed": 1} and h.snapshot() == before
        report = h.reconcile("demo-shop")
        assert categories(report) == {"cancel_missed": 1}, report.as_json()
        (finding,) = report.findings
        assert finding.order_id == str(payloads[0]["id"]) and finding.evidence["ingest_status"] == "accepted"
        assert "cancelling its e-Arşiv" in finding.evidence["ingest_reason"]
        cancel = next(j for j in h.jobs("demo-shop") if j.kind == "cancel")
        (cancel,) = h.stack.wait([cancel.id], timeout_s=120)
        # Turkcell cancels the e-Arşiv at GİB (once it is at status 60), then reverses its
        # journal entry (ters kayıt), once each.
        assert (cancel.status, cancel.e_document_status, cancel.step_journal) == ("completed", "cancelled", "done"), \
            cancel.last_error_message
        assert sum(h.sandbox.ledger.per_key("turkcell", "cancel").values()) == 1
        assert sum(h.sandbox.ledger.per_key("turkcell", "journal_reversed").values()) == 1
        sale = next(j for j in h.jobs("demo-shop") if j.kind == "sale" and j.order_id == str(payloads[0]["id"]))
        assert sale.status == "completed"  # what was sent stays recorded as sent
        # The next run records nothing new: the cancel is done.
        before = h.snapshot()
        again = h.reconcile("demo-shop")
        assert "cancel_missed" not in categories(again), again.as_json()
        assert {k: v for k, v in h.snapshot().items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
