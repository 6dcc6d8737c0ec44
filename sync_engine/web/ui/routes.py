"""The console's pages and actions under /ui/. Every page is a plain GET that renders from
the database (reload anywhere); every action is a POST with the CSRF token, answered with a
redirect (htmx follows ``HX-Redirect``, a form without JavaScript the 303)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sync_engine.domain.states import AttentionCategory, DocumentType, EventStatus, JobKind, JobStatus
from sync_engine.logging import get_logger, redact_text
from sync_engine.pipeline.ops import OpsError
from sync_engine.web.deps import WebContext
from sync_engine.web.ui import actions, queries, texts
from sync_engine.web.ui.auth import COOKIE, SESSION_TTL_S, Authenticator, Operator

log = get_logger(__name__)
HERE = Path(__file__).parent
HEALTH_WINDOW = timedelta(hours=24)


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def console_router(ctx: WebContext) -> tuple[APIRouter, StaticFiles]:
    auth = Authenticator({"admin": ctx.admin_token or "", **(ctx.operators or {})})
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals["STATUSES"] = [s.value for s in JobStatus]
    env.globals["KINDS"] = [k.value for k in JobKind]
    env.globals["DOCUMENT_TYPES"] = [d.value for d in DocumentType]
    env.globals["CATEGORIES"] = [c.value for c in AttentionCategory]
    env.globals["EVENT_STATUSES"] = [s.value for s in EventStatus]
    env.filters["at"] = lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if v else ""
    env.filters["redact"] = lambda v: redact_text(str(v)) if v else ""
    env.globals["KIND_LABEL"] = texts.KIND_LABEL
    router = APIRouter(prefix="/ui")
    now = ctx.clock or (lambda: datetime.now(UTC))

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang") or request.cookies.get("sync_lang") or texts.DEFAULT_LANG
        return lang if lang in texts.LANGS else texts.DEFAULT_LANG

    def operator(request: Request) -> Operator:
        op = auth.verify(request.cookies.get(COOKIE))
        if op is None:
            raise _Redirect("/ui/login?" + urlencode({"next": request.url.path + (f"?{request.url.query}" if request.url.query else "")}))
        return op

    def render(request: Request, name: str, op: Operator | None, **context: Any) -> HTMLResponse:
        lang = lang_of(request)
        response = templates.TemplateResponse(request, name, {
            "t": lambda key: texts.label(key, lang), "lang": lang, "operator": op,
            "csrf": auth.csrf(op) if op else "", "fix": lambda c: texts.attention_fix(c, lang),
            "next_action": lambda job: texts.next_action(job, now(), lang), "flash": flash_of(request),
            **context,
        })
        # Pages hold personal data and act on jobs: never framed, never cached.
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'; script-src 'self'"
        if request.query_params.get("lang") in texts.LANGS:
            response.set_cookie("sync_lang", lang, max_age=365 * 86400, httponly=True, samesite="strict")
        return response

    def done(request: Request, url: str) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    async def acting(request: Request) -> tuple[Operator, dict[str, Any]]:
        op = operator(request)
        form = dict(await request.form())
        if not auth.check_csrf(op, form.get("csrf") or request.headers.get("X-CSRF-Token")):
            raise _Forbidden()
        return op, form

    def flash_url(url: str, message: str, ok: bool = True) -> str:
        # Signed: a crafted link cannot make the console say something it did not.
        kind, message = ("ok" if ok else "err"), message[:300]
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}{urlencode({kind: message, 'sig': auth.sign_flash(kind, message)})}"

    def flash_of(request: Request) -> tuple[str, str] | None:
        for kind in ("ok", "err"):
            message = request.query_params.get(kind)
            if message and auth.check_flash(kind, message, request.query_params.get("sig")):
                return kind, message
        return None

    # -- login ---------------------------------------------------------------------------

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/ui/jobs", failed: int = 0) -> HTMLResponse:  # noqa: A002
        return render(request, "login.html", None, next=_safe_next(next), failed=failed, enabled=auth.enabled)

    @router.post("/login")
    def login(request: Request, token: str = Form(""), next: str = Form("/ui/jobs")) -> Response:  # noqa: A002
        name = auth.login(token.strip()) if auth.enabled else None
        if name is None:
            log.warning("console login refused")
            return RedirectResponse("/ui/login?" + urlencode({"next": _safe_next(next), "failed": 1}), status_code=303)
        response = RedirectResponse(_safe_next(next), status_code=303)
        # Secure whenever the console is reached over TLS (a proxy must pass the scheme on,
        # e.g. uvicorn --proxy-headers); plain http stays usable on localhost.
        response.set_cookie(COOKIE, auth.issue(name), max_age=SESSION_TTL_S, httponly=True,
                            samesite="strict", path="/ui", secure=request.url.scheme == "https")
        with ctx.sessions() as session:
            actions.audit(session, name, "login", now())
            session.commit()
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await acting(request)
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/ui")
        return response

    @router.get("/")
    def home() -> Response:
        return RedirectResponse("/ui/jobs", status_code=303)

    # -- jobs ----------------------------------------------------------------------------

    @router.get("/jobs", response_class=HTMLResponse)
    def jobs(request: Request) -> HTMLResponse:
        op = operator(request)
        params = dict(request.query_params)
        error = None
        try:
            flt = queries.JobFilter.from_params(params)
        except queries.FilterError as exc:
            flt, error = queries.JobFilter(), str(exc)
        cursor = _int(params.get("cursor"))
        with ctx.sessions() as session:
            rows, next_cursor = queries.list_jobs(session, flt, cursor=cursor)
            counts = queries.status_counts(session, flt)
            choices = queries.filter_choices(ctx.stores, flt)
            return render(request, "jobs.html", op, jobs=rows, flt=flt, counts=counts, choices=choices,
                          next_cursor=next_cursor, cursor=cursor, error=error, query=urlencode(flt.params()),
                          params_with=lambda **kw: urlencode(flt.params(**kw)))

    @router.get("/jobs/{job_id}")
    def job_page(request: Request, job_id: int) -> Response:
        operator(request)
        with ctx.sessions() as session:
            job = session.get(queries.Job, job_id)
            if job is None:
                return HTMLResponse("job not found", status_code=404)
            return RedirectResponse(f"/ui/orders/{job.store_id}/{job.order_id}#job-{job_id}", status_code=303)

    @router.get("/orders/{store_id}/{order_id}", response_class=HTMLResponse)
    def order_page(request: Request, store_id: str, order_id: str) -> HTMLResponse:
        op = operator(request)
        with ctx.sessions() as session:
            chain = queries.order_jobs(session, store_id, order_id)
            if not chain:
                return HTMLResponse("order not found", status_code=404)
            ids = [j.id for j in chain]
            return render(request, "order.html", op, chain=chain, store_id=store_id, order_id=order_id,
                          attempts=queries.attempts_of(session, ids), events=queries.events_of(session, ids),
                          history=queries.audit_of(session, ids))

    def order_url(job: Any) -> str:
        return f"/ui/orders/{job.store_id}/{job.order_id}"

    @router.post("/jobs/{job_id}/{action}")
    async def job_action(request: Request, job_id: int, action: str) -> Response:
        op, form = await acting(request)
        back = str(form.get("back") or "")
        enqueue = False
        with ctx.sessions() as session:
            job = session.get(queries.Job, job_id)
            if job is None:
                return HTMLResponse("job not found", status_code=404)
            url = _safe_next(back) if back else order_url(job)
            try:
                if action == "retry":
                    actions.retry(session, job_id, op.name, now())
                    enqueue, message = True, f"job {job_id} queued"
                elif action == "cancel":
                    draft = job.invoice_id if job.step_invoice != "pending" else None
                    actions.cancel(session, job_id, op.name, now(), str(form.get("note") or ""))
                    message = f"job {job_id} cancelled" + (
                        f"; draft invoice {draft} stays at {job.provider}: delete it there" if draft else "")
                elif action == "resolve":
                    actions.resolve(session, job_id, op.name, now(), str(form.get("note") or ""))
                    message = f"job {job_id} resolved"
                else:
                    return HTMLResponse("unknown action", status_code=404)
                session.commit()
            except OpsError as exc:
                session.rollback()
                return done(request, flash_url(url, str(exc), ok=False))
        if enqueue:
            ctx.enqueue(job_id)
        return done(request, flash_url(url, message))

    @router.post("/jobs-retry")
    async def bulk_retry(request: Request) -> Response:
        op, form = await acting(request)
        try:
            flt = queries.JobFilter.from_params(form)
        except queries.FilterError as exc:
            return done(request, flash_url("/ui/jobs", str(exc), ok=False))
        with ctx.sessions() as session:
            ids = actions.retry_matching(session, flt, op.name, now())
            session.commit()
        for job_id in ids:
            ctx.enqueue(job_id)
        return done(request, flash_url("/ui/jobs?" + urlencode(flt.params()), f"{len(ids)} job(s) queued"))

    # -- needs attention, inbox, reconciliation, health, audit ----------------------------

    @router.get("/attention", response_class=HTMLResponse)
    def attention(request: Request, store: str = "") -> HTMLResponse:
        op = operator(request)
        with ctx.sessions() as session:
            return render(request, "attention.html", op, groups=queries.attention_groups(session, store or None),
                          store=store)

    @router.get("/events", response_class=HTMLResponse)
    def events(request: Request, status: str = "", store: str = "", cursor: str = "") -> HTMLResponse:
        op = operator(request)
        with ctx.sessions() as session:
            rows, next_cursor = queries.list_events(session, status=status or None, store=store or None,
                                                    cursor=_int(cursor))
            return render(request, "events.html", op, events=rows, next_cursor=next_cursor, status=status,
                          store=store, counts=queries.event_counts(session), stores=sorted(ctx.stores))

    @router.post("/events/{event_id}/replay")
    async def replay(request: Request, event_id: int) -> Response:
        op, _form = await acting(request)
        with ctx.sessions() as session:
            try:
                outcome = actions.replay_event(session, event_id, ctx.stores, op.name, now())
                session.commit()
            except OpsError as exc:
                session.rollback()
                return done(request, flash_url("/ui/events", str(exc), ok=False))
        if outcome.enqueue and outcome.job_id is not None:
            ctx.enqueue(outcome.job_id)
        text = f"event {event_id}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else "")
        return done(request, flash_url("/ui/events", text, ok=outcome.status != "rejected"))

    @router.get("/reconcile", response_class=HTMLResponse)
    def reconcile(request: Request, run: str = "") -> HTMLResponse:
        op = operator(request)
        run_id = _int(run)
        with ctx.sessions() as session:
            runs = queries.reconcile_runs(session)
            if run_id is None and runs:
                run_id = runs[0][0].id
            items = queries.reconcile_items(session, run_id) if run_id is not None else []
            return render(request, "reconcile.html", op, runs=runs, run_id=run_id, items=items)

    @router.get("/health", response_class=HTMLResponse)
    def health(request: Request) -> HTMLResponse:
        op = operator(request)
        since = now() - HEALTH_WINDOW
        with ctx.sessions() as session:
            return render(request, "health.html", op, rows=queries.provider_health(session, since), since=since)

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request) -> HTMLResponse:
        op = operator(request)
        with ctx.sessions() as session:
            return render(request, "audit.html", op, entries=queries.audit_log(session))

    static = StaticFiles(directory=str(HERE / "static"))
    return router, static


class _Forbidden(Exception):
    pass


def install(app: Any, ctx: WebContext) -> None:
    """Mount the console on ``app`` (``sync_engine.web.app.build_app``)."""
    router, static = console_router(ctx)
    app.include_router(router)
    app.mount("/ui/static", static, name="ui-static")

    @app.exception_handler(_Redirect)
    async def _to_login(_request: Request, exc: _Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    @app.exception_handler(_Forbidden)
    async def _forbidden(_request: Request, _exc: _Forbidden) -> Response:
        return HTMLResponse("CSRF token missing or wrong: reload the page and try again", status_code=403)


def _safe_next(url: str) -> str:
    # Only our own pages: an open redirect after login would hand the cookie's trust away.
    return url if url.startswith("/ui/") and not url.startswith("//") else "/ui/jobs"


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
