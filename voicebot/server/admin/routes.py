"""The admin dashboard at `/admin`: overview, funnels, call list and pages, live calls, flow
health; and the same figures as JSON under `/admin/api/` for scripts. Read-only.

Pages without a session redirect to the login form; the API answers 401.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from voicebot.analytics import CallDigest, NodeFunnel, digest, funnel, over_time, report
from voicebot.analytics.funnel import figures as funnel_figures
from voicebot.analytics.period import PeriodError, period
from voicebot.analytics.source import calls_from
from voicebot.exceptions import StoreError
from voicebot.flows.flow import Flow
from voicebot.flows.graph import RenderError, draw
from voicebot.flows.validate import validate_paths
from voicebot.flows.version import flow_version
from voicebot.server.admin import auth, charts

if TYPE_CHECKING:
    from voicebot.server.app import AppContext

T = TypeVar("T")
PAGE_LIMIT = 200
CHOICES_FROM = 5000
"""The call list's filter menus offer the values found in this many latest calls."""
FILTERS = ("flow", "outcome", "queue", "reason", "emotion", "since", "until")
PERIOD = ("since", "until")


class _LoginRequired(Exception):
    pass


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("voicebot.server.admin", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.filters["when"] = _when
    env.filters["pct"] = lambda rate: "–" if rate is None else f"{rate * 100:.1f} %"
    env.filters["ms"] = lambda ms: "–" if ms is None else f"{ms:.0f} ms"
    return env


def admin_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/admin", include_in_schema=False)
    templates = _templates()
    pictures = _Pictures()

    def token() -> str | None:
        return ctx.settings.admin_token

    def page_guard(request: Request) -> None:
        if not auth.allowed(token(), request):
            raise _LoginRequired

    def api_guard(request: Request) -> None:
        if not auth.allowed(token(), request):
            raise HTTPException(status_code=401, detail="admin token required")

    def render(request: Request, name: str, **values: Any) -> HTMLResponse:
        page = templates.get_template(name).render(nav=name.removesuffix(".html"), **values)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def selected(request: Request) -> tuple[list[CallDigest], dict[str, str]]:
        """The calls the request's filters select (newest first), and the filters as given.
        Read in a worker thread: a big store must not stall the calls' audio."""
        given = {k: request.query_params.get(k, "").strip() for k in FILTERS}
        try:
            since, until = period(given["since"] or None, given["until"] or None)
        except PeriodError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        calls = await _read(_select, ctx, given, since, until)
        return calls, given

    def loaded_flow(name: str) -> Flow:
        found = ctx.flows.get(name)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no flow '{name}'")
        return found

    # -- people: login ---------------------------------------------------------------------

    @router.get("/login")
    async def login_form(request: Request, next: str = "/admin") -> HTMLResponse:
        return render(request, "login.html", next=_local(next), error=None, enabled=bool(token()))

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        target = _local(form.get("next", "/admin"))
        admin = token()
        if admin is None or not auth.token_matches(admin, form.get("token", "")):
            page = render(
                request, "login.html", next=target, error="That is not the admin token.",
                enabled=bool(admin),
            )  # fmt: skip
            page.status_code = 401
            return page
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            auth.COOKIE, auth.session_cookie(admin), max_age=auth.SESSION_SECS,
            path="/admin", httponly=True, samesite="strict", secure=_https(request, ctx),
        )  # fmt: skip
        return response

    @router.post("/logout")
    async def logout() -> Response:
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(auth.COOKIE, path="/admin")
        return response

    # -- people: pages -----------------------------------------------------------------------

    @router.get("")
    async def overview(request: Request) -> HTMLResponse:
        page_guard(request)
        calls, given = await selected(request)
        return render(
            request, "overview.html", report=report.build_report(calls), given=given,
            flows=sorted(ctx.flows),
            by_day=Markup(charts.stacked_bars(over_time(calls, "day"), width=560)),
            by_hour=Markup(charts.stacked_bars(over_time(calls, "hour"), width=560)),
            bars=lambda counts: Markup(charts.bar_list(counts)),
        )  # fmt: skip

    @router.get("/funnel")
    async def funnel_page(request: Request) -> HTMLResponse:
        page_guard(request)
        calls, given = await selected(request)
        name = given["flow"] or ctx.settings.flow
        nodes = funnel(loaded_flow(name), calls)
        period_query = urlencode({k: v for k, v in given.items() if v and k in PERIOD})
        return render(
            request, "funnel.html", flow=name, nodes=nodes, flows=sorted(ctx.flows),
            image=f"/admin/funnel/{quote(name)}.svg?{period_query}", given=given,
        )  # fmt: skip

    @router.get("/funnel/{name}.{fmt}")
    async def funnel_picture(request: Request, name: str, fmt: str) -> Response:
        page_guard(request)
        if fmt not in ("svg", "png"):
            raise HTTPException(status_code=404, detail="pictures are .svg or .png")
        flow = loaded_flow(name)
        calls, _ = await selected(request)
        try:
            picture = await _read(pictures.funnel, flow, funnel(flow, calls), fmt)
        except RenderError as error:
            raise HTTPException(status_code=501, detail=str(error)) from None
        media = "image/svg+xml" if fmt == "svg" else "image/png"
        return Response(picture, media_type=media, headers={"Cache-Control": "no-store"})

    @router.get("/calls")
    async def call_list(request: Request) -> HTMLResponse:
        page_guard(request)
        calls, given = await selected(request)
        return render(
            request, "calls.html", calls=calls[:PAGE_LIMIT], total=len(calls), given=given,
            choices=await _read(_choices, ctx), limit=PAGE_LIMIT,
        )  # fmt: skip

    @router.get("/calls/{call_sid}")
    async def call_page(request: Request, call_sid: str) -> HTMLResponse:
        page_guard(request)
        record = await _read(ctx.store.get_call, call_sid)
        if record is None:
            raise HTTPException(status_code=404, detail="no such call")
        handoff = await _read(ctx.store.call_handoff, call_sid)
        call = digest(record)
        return render(
            request, "call.html", record=record, call=call,
            latency={t.at: t.latency_ms for t in call.turns},
            handoff=handoff["packet"] if handoff else None,
            handoff_status=handoff["status"] if handoff else None,
        )  # fmt: skip

    @router.get("/live")
    async def live_page(request: Request) -> HTMLResponse:
        page_guard(request)
        return render(request, "live.html", calls=await _read(_live, ctx))

    @router.get("/flows")
    async def flows_page(request: Request) -> HTMLResponse:
        page_guard(request)
        return render(request, "flows.html", health=await _read(_health, ctx))

    # -- scripts: JSON ---------------------------------------------------------------------

    @router.get("/api/report")
    async def api_report(request: Request) -> dict[str, Any]:
        api_guard(request)
        calls, _ = await selected(request)
        figures = report.build_report(calls)
        return figures | {"by_day": over_time(calls, "day"), "by_hour": over_time(calls, "hour")}

    @router.get("/api/calls")
    async def api_calls(request: Request) -> list[dict[str, Any]]:
        api_guard(request)
        calls, _ = await selected(request)
        return [_summary(c) for c in calls[:PAGE_LIMIT]]

    @router.get("/api/funnel/{name}")
    async def api_funnel(request: Request, name: str) -> list[dict[str, Any]]:
        api_guard(request)
        flow = loaded_flow(name)
        calls, _ = await selected(request)
        return [n.as_dict() for n in funnel(flow, calls)]

    @router.get("/api/live")
    async def api_live(request: Request) -> list[dict[str, Any]]:
        api_guard(request)
        return await _read(_live, ctx)

    @router.get("/api/flows")
    async def api_flows(request: Request) -> dict[str, Any]:
        api_guard(request)
        return await _read(_health, ctx)

    return router


async def _read(function: Callable[..., T], *args: Any) -> T:
    """Run a store read (or a drawing) in a worker thread; a store that cannot be reached is
    one clear 503, not a traceback."""
    try:
        return await asyncio.to_thread(function, *args)
    except StoreError as error:
        raise HTTPException(status_code=503, detail=f"call store unavailable: {error}") from None


class _Pictures:
    """Funnel pictures, drawn one at a time (matplotlib is not thread-safe) and kept while
    their figures stay the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[object, bytes] | None = None

    def funnel(self, flow: Flow, nodes: list[NodeFunnel], fmt: str) -> bytes:
        key = (flow.flow, version_of(flow), fmt, [n.as_dict() for n in nodes])
        with self._lock:
            if self._last is None or self._last[0] != key:
                title = f"flow {flow.flow}: calls per node"
                self._last = (key, draw(flow, fmt, funnel_figures(flow, nodes, title)))
            return self._last[1]


def _select(
    ctx: AppContext, given: dict[str, str], since: float | None, until: float | None
) -> list[CallDigest]:
    calls = calls_from(ctx.store, since, until, given["flow"] or None)
    wanted: dict[str, Callable[[CallDigest], object]] = {
        "outcome": lambda c: c.outcome,
        "queue": lambda c: c.transfer_queue,
        "reason": lambda c: c.transfer_reason or c.end_reason,
    }
    for key, value_of in wanted.items():
        if given[key]:
            calls = [c for c in calls if value_of(c) == given[key]]
    if given["emotion"]:
        calls = [c for c in calls if given["emotion"] in c.emotions]
    return sorted(calls, key=lambda c: c.started_at, reverse=True)


def _choices(ctx: AppContext) -> dict[str, list[str]]:
    """What the call list's filters offer: the values the recent calls have."""
    recent = [digest(r) for r in ctx.store.list_calls(limit=CHOICES_FROM)]
    return {
        "flow": sorted(ctx.flows),
        "outcome": list(report.OUTCOMES),
        "queue": sorted({c.transfer_queue for c in recent if c.transfer_queue}),
        "reason": sorted({r for c in recent if (r := c.transfer_reason or c.end_reason)}),
        "emotion": sorted({e for c in recent for e in c.emotions}),
    }


def login_redirect(request: Request, _exc: Exception) -> Response:
    """Exception handler for pages: send people to the login form, back here after."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/admin/login?next={quote(target)}", status_code=303)


def install(app: FastAPI, ctx: AppContext) -> None:
    """Mount the dashboard on `app`."""
    app.include_router(admin_router(ctx))
    app.add_exception_handler(_LoginRequired, login_redirect)


def _summary(call: CallDigest) -> dict[str, Any]:
    return {
        "call_sid": call.call_sid,
        "flow": call.flow,
        "flow_version": call.flow_version,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "outcome": call.outcome,
        "end_reason": call.end_reason,
        "transfer_reason": call.transfer_reason,
        "queue": call.transfer_queue,
        "last_node": call.last_node,
        "turns": len(call.turns),
        "emotion": call.peak_emotion,
    }


def _live(ctx: AppContext) -> list[dict[str, Any]]:
    now = time.time()
    found = []
    for record in ctx.store.open_calls():
        call = digest(record)
        events = record.get("events") or []
        last = events[-1]["at"] if events else call.started_at
        found.append(
            _summary(call)
            | {"node": call.last_node, "duration_s": round(now - call.started_at, 1),
               "idle_s": round(now - float(last), 1)}
        )  # fmt: skip
    return sorted(found, key=lambda c: c["started_at"])


def _health(ctx: AppContext) -> dict[str, Any]:
    directory = Path(ctx.settings.flows_dir)
    health = ctx.flow_health
    return {
        "directory": str(directory),
        "default": ctx.settings.flow,
        "loaded": [
            {"flow": name, "version": version_of(flow), "nodes": len(flow.nodes)}
            for name, flow in sorted(ctx.flows.items())
        ],
        "loaded_at": health.loaded_at,
        "reloaded_at": health.reloaded_at,
        "rejected": list(health.rejected),
        # What `voicebot flows validate` says of the files as they are now.
        "problems": [str(d) for d in validate_paths([directory])],
    }


def version_of(flow: Flow) -> str:
    """The version calls on `flow` record (computed here: the dashboard writes nothing)."""
    return flow_version(flow.model_dump_json())


def _local(target: str) -> str:
    """Only paths under /admin: a login link must not bounce people to another site."""
    return target if target.startswith("/admin") and "//" not in target else "/admin"


def _https(request: Request, ctx: AppContext) -> bool:
    public = ctx.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def _when(value: float | None) -> str:
    if value is None:
        return "–"
    return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d %H:%M:%S")
