"""The web application and the HTTP API: ``create_app()`` (served by ``pyrules serve``).

Server-rendered pages (Jinja2, no JavaScript needed) and a JSON API under ``/api/v1``.
One process, no database: records are downloaded as files. Nothing here reads a
file a request names: the bundled corpus and regimes are listed by the server and
picked by name; uploads are read from the request.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from pyrules.engine import kb
from pyrules.inputs import schema
from pyrules.inputs.api_models import Determination as DeterminationModel
from pyrules.inputs.api_models import Scenario as ScenarioModel
from pyrules.inputs.api_models import json_schema
from pyrules.output.coverage import coverage, coverage_line
from pyrules.engine.control import default_engine
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario
from pyrules.output.records import citation_links, ecfr_url
from pyrules.output.render import answer_decided
from pyrules.web import forms
from pyrules.web.pages import register_pages
from pyrules.web.service import (
    RequestError,
    from_input_error,
    bundled_corpus,
    bundled_regimes,
    enrich,
    save_upload,
    stream_uploaded_ledger,
)

HERE = Path(__file__).resolve().parent
MAX_BODY = 2_000_000  # bytes of a JSON or form request
MAX_UPLOAD = 20_000_000  # bytes of a ledger or corpus upload
MAX_SCENARIOS = 500  # scenarios in one request


# ----------------------------------------------------------------------------- errors
class BodyLimit:
    """ASGI middleware: a request body larger than its limit is answered 413."""

    def __init__(self, app, limit: int, upload_limit: int):
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        limit = self.upload_limit if (path.endswith("/ledger") or "multipart/" in ctype) else self.limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send, limit: int):
    body = json.dumps(
        {"error": {"message": f"the request body is larger than {limit:,} bytes", "field": None}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ----------------------------------------------------------------------------- input
async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise RequestError(400, "the request body is empty; send a JSON scenario")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RequestError(400, f"invalid JSON: {exc.msg}", None, exc.lineno, exc.colno) from None


def _scenario(raw: Any, prefix: str = "") -> Scenario:
    try:
        return Scenario.from_dict(raw)
    except InputError as exc:
        raise from_input_error(exc, prefix) from None


def _as_of(request: Request) -> str | None:
    v = request.query_params.get("as_of")
    if v is None:
        return None
    from pyrules.inputs.model import parse_date

    try:
        parse_date(v, "as_of")
    except InputError as exc:
        raise from_input_error(exc) from None
    return v


def _evaluate(s: Scenario, as_of: str | None = None, regime=None):
    return default_engine().evaluate(s, as_of=as_of, regime=regime)


def _regime(raw: Any, field: str = "regime"):
    from pyrules.modes.regime import Regime

    try:
        return Regime.from_dict(raw)
    except InputError as exc:
        raise from_input_error(exc, field) from None


def readings_list() -> list[dict]:
    return [
        {"topic": t, "choices": list(c), "default": c[0], "title": kb.reading_title(t)}
        for t, c in schema.READINGS.items()
    ]


# ----------------------------------------------------------------------------- the app
def create_app() -> FastAPI:
    from pyrules import __version__

    app = FastAPI(
        title="pyrules",
        version=__version__,
        description="The U.S. AI Diffusion export-control rule (90 FR 4544, 90 FR 5298) as logic: "
        "determinations with citations, explanations, repairs, regimes and ledgers. "
        "Not legal advice. " + coverage_line(),
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(
        ecfr_url=ecfr_url,
        citation_links=citation_links,
        fid=forms.fid,
        default_view=schema.VIEWS[0],
        coverage_line=coverage_line,
        version=__version__,
        reading_title=kb.reading_title,
        answer_decided=answer_decided,
    )
    templates.env.filters["words"] = lambda s: (s or "").replace("_", " ")
    templates.env.filters["num"] = _num
    templates.env.filters["yn"] = lambda v: "" if v is None or v == "" else {True: "yes", False: "no"}.get(v, str(v))
    templates.env.filters["changeword"] = _changeword
    templates.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2)
    app.add_middleware(BodyLimit, limit=MAX_BODY, upload_limit=MAX_UPLOAD)

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return JSONResponse(from_input_error(exc).body(), status_code=422)

    _register_api(app)
    _openapi_with_scenario(app)
    register_pages(app, templates)
    return app


def _num(v) -> str:
    if v is None or v == "":
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{int(f):,}" if f == int(f) else f"{f:,.1f}"


def _changeword(value, what: str) -> str:
    """A compared value in words (as `pyrules compare` writes it)."""
    if what.startswith("authorization "):
        return {True: "available", False: "not available", None: "undecided"}.get(value, str(value))
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "undecided"}[value]
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value).replace("_", " ")


def _openapi_with_scenario(app: FastAPI) -> None:
    """The request bodies are read as raw JSON (so that errors name the field path the
    way ``pyrules ask`` does); their schema, the Scenario model, is added to the
    OpenAPI description's components here."""
    from fastapi.openapi.utils import get_openapi
    from pyrules.inputs.api_models import Question

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in (ScenarioModel, Question):
            js = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            for name, sub in js.pop("$defs", {}).items():
                comps.setdefault(name, sub)
            comps[model.__name__] = js
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def _openapi_body(model, many: bool = True) -> dict:
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    schema_ = {"oneOf": [ref, {"type": "array", "items": ref}]} if many else ref
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema_}}}}


def _register_api(app: FastAPI) -> None:
    api = "/api/v1"

    # the models appear in the OpenAPI description's components
    @app.get(api + "/schema/scenario", tags=["schema"], summary="JSON Schema of a scenario", response_model=None)
    def schema_scenario() -> dict:
        return json_schema("scenario")

    @app.get(api + "/schema/determination", tags=["schema"], summary="JSON Schema of an answer")
    def schema_determination() -> dict:
        return json_schema("determination")

    @app.post(
        api + "/determinations",
        tags=["determinations"],
        response_model=list[DeterminationModel] | DeterminationModel,
        summary="Evaluate one scenario or a list (the JSON of `pyrules ask --json`, with summary and record)",
        openapi_extra=_openapi_body(ScenarioModel),
    )
    async def determinations(request: Request):
        raw = await _json_body(request)
        as_of = _as_of(request)
        if isinstance(raw, list):
            if len(raw) > MAX_SCENARIOS:
                raise RequestError(413, f"at most {MAX_SCENARIOS} scenarios in one request")
            ss = [_scenario(r, f"[{i}]") for i, r in enumerate(raw)]
            return JSONResponse([enrich(_evaluate(s, as_of), r) for s, r in zip(ss, raw)])
        return JSONResponse(enrich(_evaluate(_scenario(raw), as_of), raw))

    @app.post(
        api + "/explain",
        tags=["reasoning"],
        summary="The determination with its explanation tree",
        openapi_extra=_openapi_body(ScenarioModel, many=False),
    )
    async def explain(request: Request):
        from pyrules.modes.explain import explain_scenario

        raw = await _json_body(request)
        s = _scenario(raw)
        d, e = explain_scenario(s, as_of=_as_of(request))
        out = enrich(d, raw)
        out["explanation"] = e.to_json()
        return JSONResponse(out)

    @app.post(
        api + "/whatif",
        tags=["reasoning"],
        summary="Minimal changes that reach a goal: {scenario, goal, may_change?, costs?} or a scenario with questions",
    )
    async def whatif(request: Request):
        from pyrules.modes.whatif import answer_questions, validate_questions

        raw = await _json_body(request)
        if isinstance(raw, dict) and "scenario" in raw and isinstance(raw["scenario"], dict):
            for k in raw:
                if k not in ("scenario", "goal", "may_change", "costs"):
                    raise RequestError(422, f"unknown field {k!r}; expected scenario, goal, may_change, costs", k)
            s = _scenario(raw["scenario"], "scenario")
            questions = [{k: raw[k] for k in ("goal", "may_change", "costs") if k in raw}]
            if "goal" not in raw:
                questions[0]["goal"] = "authorized"
            prefix = ""
        else:
            s = _scenario(raw)
            questions = s.data.get("questions") or [{"goal": "authorized"}]
            prefix = ""
        try:
            s = s.with_changes({"questions": questions})
            validate_questions(s)
            results = answer_questions(s, questions)
        except InputError as exc:
            raise from_input_error(exc, prefix) from None
        return JSONResponse({"scenario": s.name, "results": [r.to_json() for r in results]})

    @app.get(api + "/readings", tags=["readings"], summary="The ambiguous provisions and their readings")
    def readings_topics():
        return readings_list()

    @app.post(
        api + "/readings",
        tags=["readings"],
        summary="The scenario under every reading of every ambiguity",
        openapi_extra=_openapi_body(ScenarioModel, many=False),
    )
    async def readings_eval(request: Request):
        from pyrules.modes.readings import evaluate_all_readings

        raw = await _json_body(request)
        return JSONResponse(evaluate_all_readings(_scenario(raw), as_of=_as_of(request)))

    @app.post(
        api + "/compare",
        tags=["regimes"],
        summary="{regime: {...} or a bundled regime's name, scenarios?: [...]} (default: the bundled corpus)",
    )
    async def compare(request: Request):
        from pyrules.modes.regime import compare as run_compare

        raw = await _json_body(request)
        if not isinstance(raw, dict) or "regime" not in raw:
            raise RequestError(422, "expected an object with 'regime' (and 'scenarios')", "regime")
        for k in raw:
            if k not in ("regime", "scenarios"):
                raise RequestError(422, f"unknown field {k!r}; expected regime, scenarios", k)
        regime = _named_or_given_regime(raw["regime"])
        return JSONResponse(run_compare(regime, _corpus_or_given(raw.get("scenarios"), "scenarios")))

    @app.get(api + "/regimes", tags=["regimes"], summary="The bundled regimes, by name")
    def regimes():
        from pyrules.modes.regime import Regime

        return [{"name": n, **Regime.load(p).to_json()} for n, p in bundled_regimes().items()]

    @app.post(
        api + "/ledger",
        tags=["ledger"],
        summary="A ledger (CSV, or JSON lines with Content-Type application/x-ndjson) in; "
        "result rows and the summary streamed out as JSON lines (or CSV with ?format=csv)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def ledger(request: Request):
        ctype = request.headers.get("content-type", "")
        jsonl = "ndjson" in ctype or "jsonl" in ctype or "json-lines" in ctype
        fmt = request.query_params.get("format", "jsonl")
        if fmt not in ("jsonl", "csv"):
            raise RequestError(422, "expected csv or jsonl", "format")
        tmp, path = await save_upload(request.stream(), jsonl)
        # the header and size are checked (and the first row decided) before the response starts
        upload = await run_in_threadpool(
            stream_uploaded_ledger, tmp, path, request.query_params.get("screen") == "true"
        )
        return StreamingResponse(
            _ledger_stream(upload, fmt),
            media_type="application/x-ndjson" if fmt == "jsonl" else "text/csv",
            background=BackgroundTask(upload.close),
        )

    @app.post(
        api + "/timeline",
        tags=["reasoning"],
        summary="The scenario's determination over time: the dates at which it changes "
        f"(?view={'|'.join(schema.VIEWS)}, ?until=DATE); 501 where pyrules.timeline is absent",
        openapi_extra=_openapi_body(ScenarioModel, many=False),
    )
    async def timeline(request: Request):
        try:
            from pyrules.modes.timeline import timeline as run_timeline
        except ImportError:
            raise RequestError(501, "the timeline is not available in this version of pyrules") from None
        raw = await _json_body(request)
        s = _scenario(raw)
        kwargs = {k: request.query_params[k] for k in ("view", "until") if k in request.query_params}
        try:
            return JSONResponse(run_timeline(s, **kwargs).to_json())
        except InputError as exc:
            raise from_input_error(exc) from None

    @app.get(api + "/coverage", tags=["coverage"], summary="Which provisions are modelled, which only flagged")
    def coverage_api():
        return coverage()

    @app.get(api + "/version", tags=["coverage"], summary="pyrules version and knowledge-base hash")
    def version():
        from pyrules.output.records import kb_sha256, pyrules_version

        return {
            "pyrules_version": pyrules_version(),
            "kb_sha256": kb_sha256(),
            "rule_text_date": coverage()["rule_text"]["date"],
        }

    def _named_or_given_regime(value):
        if isinstance(value, str):
            from pyrules.modes.regime import Regime

            known = bundled_regimes()
            if value not in known:
                raise RequestError(422, f"unknown bundled regime {value!r}; known: {', '.join(known)}", "regime")
            return Regime.load(known[value])
        return _regime(value)

    def _corpus_or_given(value, field):
        if value is None:
            return bundled_corpus()
        if not isinstance(value, list):
            raise RequestError(422, "expected a list of scenarios", field)
        if len(value) > MAX_SCENARIOS:
            raise RequestError(413, f"at most {MAX_SCENARIOS} scenarios in one request", field)
        return [(f"{field}[{i}]", _scenario(r, f"{field}[{i}]")) for i, r in enumerate(value)]

    app.state.corpus_or_given = _corpus_or_given
    app.state.named_or_given_regime = _named_or_given_regime


def _ledger_stream(upload, fmt: str):
    """The response body of /api/v1/ledger, a piece per row as it is decided (run in a
    worker thread by StreamingResponse), then the summary: JSON lines end with
    ``{"summary", "countries", "rows", "error_rows"}``; CSV ends with an empty line and
    the summary tables of ``pyrules ledger --summary FILE.csv``. A fault found after the
    response has started (it has no status left to carry it) is a last line
    ``{"error": ...}`` (JSON lines) or ``# error: ...`` (CSV)."""
    from pyrules.modes.ledger import format_rows, write_summary

    stream = upload.stream
    try:
        yield from format_rows(upload.rows, fmt)
    except InputError as exc:
        exc.file = None
        err = from_input_error(exc).body()
        yield json.dumps(err) + "\n" if fmt == "jsonl" else f"# error: {exc}\n"
        return
    finally:
        upload.close()
    if fmt == "jsonl":
        yield (
            json.dumps(
                {
                    "summary": stream.summary,
                    "countries": stream.countries,
                    "rows": stream.rows_given,
                    "error_rows": stream.errors,
                }
            )
            + "\n"
        )
        return
    buf = io.StringIO()
    buf.write("\n")
    write_summary(stream, "csv", buf, stream.rows_given, stream.errors)
    yield buf.getvalue()
