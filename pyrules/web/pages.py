"""The server-rendered pages of ``pyrules serve``."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pyrules.inputs import schema
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario
from pyrules.output.records import one_sentence
from pyrules.output.render import ANSWER_WORDS, AUTHORIZATION_STATES
from pyrules.web import forms
from pyrules.web.service import (
    RequestError,
    bundled_corpus,
    bundled_regimes,
    enrich,
    from_input_error,
    save_upload,
    stream_uploaded_ledger,
)

if TYPE_CHECKING:
    from pyrules.modes.ledger import LedgerResult

_STATE, _TRI = AUTHORIZATION_STATES, ANSWER_WORDS  # the words of every rendering


async def _uploaded_json(upload, field: str) -> Any:
    """The JSON of an uploaded file; None when no file was chosen."""
    if not (isinstance(upload, UploadFile) and upload.filename):
        return None
    text = (await upload.read()).decode("utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno, field=field)


async def _chunks(upload: UploadFile, size: int = 1 << 16) -> AsyncIterator[bytes]:
    """An uploaded file's bytes, a chunk at a time (for service.save_upload)."""
    while chunk := await upload.read(size):
        yield chunk


def _whole_ledger(tmp: Path, path: Path) -> LedgerResult:
    """The ledger of a saved upload (service.save_upload), every row gathered: the page
    shows them all."""
    from pyrules.modes.ledger import LedgerResult

    upload = stream_uploaded_ledger(tmp, path)
    try:
        rows = list(upload.rows)
    except InputError as exc:
        exc.file = None
        raise from_input_error(exc) from None
    finally:
        upload.close()
    return LedgerResult(rows, upload.stream.summary, upload.stream.countries, upload.stream.allocation)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "scenario"


def _scenario_from_json_text(text: str, where: str = "scenario_json") -> tuple[dict, Scenario]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno, field=where) from None
    return raw, Scenario.from_dict(raw)


def _parse_source(text: str, fmt: str) -> dict:
    """Pasted JSON or scenario language -> the JSON form (errors name line and column)."""
    if fmt == "scn":
        from pyrules.inputs.language import parse_text

        raws = parse_text(text, filename="pasted text")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
        raws = data if isinstance(data, list) else [data]
    if len(raws) != 1:
        raise InputError(f"paste one scenario (found {len(raws)})")
    return raws[0]


def _explanation(s: Scenario, as_of=None) -> tuple[Any, dict | None]:
    from pyrules.modes.explain import explain_scenario

    try:
        d, e = explain_scenario(s, as_of=as_of)
        return d, e.to_json()
    except Exception:  # the answer stands without its explanation
        from pyrules.engine.control import default_engine

        return default_engine().evaluate(s, as_of=as_of), None


def register_pages(app: FastAPI, templates) -> None:
    def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("title", "pyrules")
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def form_page(
        request: Request,
        data: dict | None = None,
        errors: dict | None = None,
        n_entities: int | None = None,
        n_items: int | None = None,
        status: int = 200,
        source: str = "",
        source_format: str = "json",
        source_error: str | None = None,
    ):
        values, ne, ni = forms.scenario_to_form(data or {})
        layout = forms.form_layout(n_entities or ne, n_items or ni)
        examples = [(name, s.name) for name, s in bundled_corpus()]
        return render(
            request,
            "form.html",
            status,
            title="pyrules: describe a deal",
            values=values,
            layout=layout,
            errors=errors or {},
            examples=examples,
            source=source,
            source_format=source_format,
            source_error=source_error,
        )

    def answer_page(request: Request, raw: dict, s: Scenario, status: int = 200):
        d, explanation = _explanation(s)
        j = enrich(d, raw)
        questions = _questions(d, s)
        values, ne, ni = forms.scenario_to_form(s.to_dict())
        layout = forms.form_layout(ne, ni)
        readings = [
            {"topic": t, "choices": list(schema.READINGS.get(t, ())), "used": d.readings.get(t)}
            for t in d.readings_that_matter
        ]
        from pyrules.modes.whatif import _spec_label, default_changes

        changeables = [(json.dumps(c), _spec_label(c)) for c in default_changes(s)]
        mfmap = _mfmap(d, s)
        return render(
            request,
            "answer.html",
            status,
            title=f"pyrules: {d.scenario}",
            d=d,
            j=j,
            changeables=changeables,
            mfmap=mfmap,
            wanted={q["field"] for q in list(questions) + list(mfmap.values()) if q.get("field")},
            sentence=one_sentence(d),
            questions=questions,
            readings=readings,
            explanation=explanation,
            scenario_json=json.dumps(s.to_dict()),
            values=values,
            layout=layout,
            errors={},
            STATE=_STATE,
            TRI=_TRI,
            goals=_goals(d),
            examples=[],
            source="",
            source_format="json",
            source_error=None,
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, example: str | None = None):
        data = None
        if example:
            found = dict(bundled_corpus())
            if example in found:
                data = found[example].to_dict()
                data.pop("questions", None)
        return form_page(request, data)

    @app.post("/answer", response_class=HTMLResponse, include_in_schema=False)
    async def answer(request: Request):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        action = form.pop("action", "evaluate")
        reading = form.pop("reading", None)
        if form.get("scenario_json"):
            try:
                raw, s = _scenario_from_json_text(form["scenario_json"])
            except InputError as exc:
                return form_page(request, None, status=422, source=form["scenario_json"], source_error=str(exc))
            if reading:
                topic, _, choice = reading.partition("=")
                raw = s.to_dict()
                raw.setdefault("readings", {})[topic] = choice
                try:
                    s = Scenario.from_dict(raw)
                except InputError as exc:
                    return form_page(request, s.to_dict(), {"readings." + topic: exc.message}, status=422)
            return answer_page(request, raw, s)
        if form.get("source", "").strip():
            fmt = form.get("source_format", "json")
            try:
                raw = _parse_source(form["source"], fmt)
                s = Scenario.from_dict(raw)
            except InputError as exc:
                return form_page(
                    request, None, status=422, source=form["source"], source_format=fmt, source_error=str(exc)
                )
            return answer_page(request, raw, s)
        ne = 1 + max(
            [int(m.group(1)) for k in form if (m := re.match(r"entities\[(\d+)\]", k))] or [forms.ENTITY_ROWS - 1]
        )
        ni = 1 + max([int(m.group(1)) for k in form if (m := re.match(r"items\[(\d+)\]", k))] or [forms.ITEM_ROWS - 1])
        raw = forms.form_to_scenario(form)
        if action in ("add_entity", "add_item"):
            return form_page(
                request, raw, n_entities=ne + (action == "add_entity"), n_items=ni + (action == "add_item")
            )
        try:
            s = Scenario.from_dict(raw)
        except InputError as exc:
            field = forms.error_field(exc.field, raw) or "_top"
            return form_page(request, raw, {field: exc.message}, ne, ni, status=422)
        return answer_page(request, raw, s)

    @app.post("/whatif", response_class=HTMLResponse, include_in_schema=False)
    async def whatif(request: Request):
        from pyrules.modes.whatif import answer_questions, apply_changes

        form = await request.form()
        raw, s = _scenario_from_json_text(str(form.get("scenario_json", "")))
        goal = str(form.get("goal") or "authorized")
        q: dict[str, Any] = {"goal": goal}
        chosen = [json.loads(str(v)) for v in form.getlist("may_change") if str(v).strip()]
        if chosen:
            q["may_change"] = chosen
        try:
            result = answer_questions(s, [q])[0]
        except InputError as exc:
            raise RequestError(422, exc.message, "goal") from None
        repairs = []
        for r in result.repairs:
            try:
                fixed = apply_changes(s, [(c.var, c.values()[0]) for c in r.changes])
                fixed_json = json.dumps(fixed.to_dict())
            except (InputError, KeyError, IndexError, TypeError):
                fixed_json = None
            repairs.append({"repair": r, "json": r.to_json(), "fixed_json": fixed_json})
        return render(
            request,
            "whatif.html",
            title=f"pyrules: what if ({s.name})",
            result=result,
            repairs=repairs,
            scenario_json=json.dumps(s.to_dict()),
            scenario=s,
        )

    def _record(s: Scenario, raw):
        from pyrules.engine.control import default_engine

        d = default_engine().evaluate(s)
        return d, enrich(d, raw)

    @app.post("/record.json", include_in_schema=False)
    async def record_json(request: Request):
        form = await request.form()
        raw, s = _scenario_from_json_text(str(form.get("scenario_json", "")))
        d, j = _record(s, raw)
        name = f"pyrules-record-{_slug(d.scenario)}.json"
        return Response(
            json.dumps(j, indent=2) + "\n",
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/record.html", include_in_schema=False)
    async def record_html(request: Request):
        form = await request.form()
        raw, s = _scenario_from_json_text(str(form.get("scenario_json", "")))
        d, explanation = _explanation(s)
        j = enrich(d, raw)
        questions = _questions(d, s)
        html = templates.get_template("record.html").render(
            d=d,
            j=j,
            sentence=one_sentence(d),
            questions=questions,
            explanation=explanation,
            STATE=_STATE,
            TRI=_TRI,
            record_json=json.dumps(j, indent=2),
            readings=[],
            standalone=True,
            mfmap=_mfmap(d, s),
        )
        name = f"pyrules-record-{_slug(d.scenario)}.html"
        return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # ------------------------------------------------------------------ analysts
    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_form(request: Request):
        return render(
            request,
            "compare.html",
            title="pyrules: compare a regime",
            regimes=list(bundled_regimes()),
            result=None,
            error=None,
        )

    @app.post("/compare", response_class=HTMLResponse, include_in_schema=False)
    async def compare_run(request: Request):
        from pyrules.modes.regime import compare

        form = await request.form()
        regimes = list(bundled_regimes())
        try:
            regime_raw = await _uploaded_json(form.get("regime_file"), "regime file")
            if regime_raw is not None:
                regime = request.app.state.named_or_given_regime(regime_raw)
            else:
                regime = request.app.state.named_or_given_regime(str(form.get("regime", "")))
            scenarios = await _uploaded_json(form.get("corpus_file"), "corpus file")
            if isinstance(scenarios, dict):
                scenarios = [scenarios]
            result = compare(regime, request.app.state.corpus_or_given(scenarios, "scenarios"))
        except (InputError, RequestError, UnicodeDecodeError) as exc:
            msg = str(exc) if not isinstance(exc, RequestError) else f"{exc.field or ''}: {exc.message}"
            return render(
                request, "compare.html", 422, title="pyrules: compare a regime", regimes=regimes, result=None, error=msg
            )
        return render(
            request, "compare.html", title="pyrules: compare a regime", regimes=regimes, result=result, error=None
        )

    @app.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
    def ledger_form(request: Request):
        return render(request, "ledger.html", title="pyrules: ledger", result=None, error=None)

    @app.post("/ledger", response_class=HTMLResponse, include_in_schema=False)
    async def ledger_run(request: Request):
        form = await request.form()
        upload = form.get("ledger_file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return render(
                request,
                "ledger.html",
                422,
                title="pyrules: ledger",
                result=None,
                error="choose a ledger file (CSV, or JSON lines)",
            )
        jsonl = upload.filename.endswith((".jsonl", ".ndjson"))
        try:
            tmp, path = await save_upload(_chunks(upload), jsonl)
            result = await run_in_threadpool(_whole_ledger, tmp, path)
        except RequestError as exc:
            where = ", ".join(
                x for x in (f"line {exc.line}" if exc.line else "", f"field '{exc.field}'" if exc.field else "") if x
            )
            return render(
                request,
                "ledger.html",
                422,
                title="pyrules: ledger",
                result=None,
                error=(where + ": " if where else "") + exc.message,
            )
        errors = sum(1 for r in result.rows if r.get("error"))
        peak = max([float(s.get("used_h100_equivalents") or 0) for s in result.summary] or [0]) or 1
        return render(
            request,
            "ledger.html",
            title="pyrules: ledger",
            result=result,
            error=None,
            errors=errors,
            peak=peak,
            filename=upload.filename,
            chart=shipments_chart(result.rows),
            allocation=allocation_chart(result),
        )

    # ------------------------------------------------------------------ researchers
    @app.get("/check", response_class=HTMLResponse, include_in_schema=False)
    def check(request: Request):
        result = _check_result()
        findings = [
            dict(f, witness_json=json.dumps(f["witness"]) if f.get("witness") else None) for f in result["findings"]
        ]
        return render(request, "check.html", title="pyrules: consistency check", result=result, findings=findings)

    @app.get("/coverage", response_class=HTMLResponse, include_in_schema=False)
    def coverage_page(request: Request):
        from pyrules.output.coverage import coverage

        return render(request, "coverage.html", title="pyrules: coverage", c=coverage())


_COLOURS = ["#1f4e79", "#a12a2a", "#1b6e3a", "#8a5a00", "#6a3d9a", "#2b8cbe", "#555555"]


def shipments_chart(rows: list[dict], width: int = 760, height: int = 260) -> dict | None:
    """An inline SVG of the cumulative TPP shipped to each destination over time, in
    H100-equivalents (a display of the result rows: which rows count toward which cap
    is the ledger's summary above, decided by the KB)."""
    from pyrules.modes.ledger import h100_equivalent_tpp

    h100 = h100_equivalent_tpp()
    series: dict[str, list[tuple[_dt.date, float]]] = {}
    for r in sorted(
        (r for r in rows if not r.get("error") and r.get("date") and r.get("shipment_tpp")),
        key=lambda r: (r["date"], str(r.get("id"))),
    ):
        try:
            day = _dt.date.fromisoformat(str(r["date"]))
        except ValueError:
            continue
        pts = series.setdefault(str(r.get("to") or "?"), [])
        total = (pts[-1][1] if pts else 0.0) + float(r["shipment_tpp"]) / h100
        pts.append((day, total))
    return _step_chart(series, width, height)


def allocation_chart(result: LedgerResult, width: int = 760, height: int = 260) -> dict | None:
    """An inline SVG of each country's allocation use over time, in H100-equivalents:
    the ledger's running totals of a country's allocation (pyrules.modes.ledger
    .allocation_series); each line ends at the ledger's own total for the country
    (``last_tpp``, tested against ``result.countries``)."""
    from pyrules.modes.ledger import allocation_series, h100_equivalent_tpp

    h100 = h100_equivalent_tpp()
    found = allocation_series(result)
    series = {c: [(_dt.date.fromisoformat(d), v / h100) for d, v in pts] for c, pts in found.items()}
    chart = _step_chart(series, width, height)
    if chart is not None:
        for line in chart["lines"]:
            line["last_tpp"] = found[line["country"]][-1][1]
    return chart


def _step_chart(series: dict[str, list[tuple[_dt.date, float]]], width: int, height: int) -> dict | None:
    """The geometry of a step chart of cumulative values over dates, one line per key."""
    if not series:
        return None
    days = [d for pts in series.values() for d, _ in pts]
    d0, d1 = min(days), max(days)
    span = max((d1 - d0).days, 1)
    top = max(v for pts in series.values() for _, v in pts) or 1.0
    left, right, up, down = 70, 45, 15, 40
    w, h = width - left - right, height - up - down

    def x(d):
        return left + w * (d - d0).days / span

    def y(v):
        return up + h - h * v / top

    lines = []
    for k, (country, pts) in enumerate(sorted(series.items(), key=lambda t: -t[1][-1][1])[: len(_COLOURS)]):
        path, prev = [], 0.0
        for d, v in pts:  # a step line: the total holds until the next shipment
            path.append(f"{x(d):.1f},{y(prev):.1f}")
            path.append(f"{x(d):.1f},{y(v):.1f}")
            prev = v
        path.append(f"{left + w:.1f},{y(prev):.1f}")
        lines.append({"country": country, "points": " ".join(path), "colour": _COLOURS[k], "last": prev})
    ticks = [d0 + _dt.timedelta(days=round(span * i / 4)) for i in range(5)] if span > 1 else [d0, d1]
    return {
        "width": width,
        "height": height,
        "left": left,
        "up": up,
        "w": w,
        "h": h,
        "lines": lines,
        "xticks": [(x(d), d.isoformat()) for d in ticks],
        "yticks": [(y(top * i / 4), f"{top * i / 4:,.0f}") for i in range(5)],
    }


@functools.lru_cache(maxsize=1)
def _check_result() -> dict:
    from pyrules.modes.check import run_check

    return run_check(samples=20)


def _questions(d, s: Scenario) -> list[dict]:
    """The missing facts as questions: id, path (the JSON path of the input that answers
    it), field and field_id (the form field), question. The Determination's own
    ``missing_fact_fields`` when it has them."""
    own = getattr(d, "missing_fact_fields", None)
    if not own:
        return [forms.missing_fact_field(f, s.data) for f in d.missing_facts]
    out = []
    for m in own:
        path = m.get("field") or m.get("path")
        field = forms.error_field(path, s.data)
        out.append(
            {
                "id": m.get("id"),
                "path": path,
                "field": field,
                "field_id": forms.fid(field) if field else None,
                "question": m.get("question") or m.get("id"),
            }
        )
    return out


def _mfmap(d, s: Scenario) -> dict:
    """Each undecided condition's missing fact -> the input field that answers it."""
    facts = {c["missing_fact"] for a in d.authorizations for c in a["undecided_conditions"]}
    known = {q["id"]: q for q in _questions(d, s)}
    return {f: known.get(f) or forms.missing_fact_field(f, s.data) for f in facts}


def _goals(d) -> list[tuple[str, str]]:
    goals = [
        ("authorized", "authorized (no licence needed, or an authorization available)"),
        ("no_licence_required", "no licence required"),
    ]
    goals += [(a["name"].lower(), f"{a['name']} available") for a in d.authorizations if a["available"] is not True]
    goals += [("presumption_of_approval", "a licence under a presumption of approval")]
    return goals
