"""The simulator's HTTP side: the provincial endpoints of the contract, the fault gate, the admin knobs."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pydantic
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.kit.idnumber import ValidationError as IdNumberError
from api.kit.idnumber import parse_id_number
from api.province import contract
from province_sim.bodies import ApplicationBatchIn, ApplicationIn, Faults, FaultsUpdate
from province_sim.callbacks import Dispatcher
from province_sim.config import SimConfig
from province_sim.store import Application, Conflict, Store

log = logging.getLogger("province_sim")
MAX_BODY_BYTES = 64 * 1024
# a batch may hold MAX_BATCH applications, each of them as large as a real one can be (a few KB)
MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024
FAULT_FIELDS = tuple(Faults.model_fields)


class SimError(Exception):
    """A refusal answered as {"error": {"code", "message"}}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class SimRuntime:
    """The simulator's state: configuration, current faults, database, callback loop. start()/stop() are
    what the lifespan runs; an app that mounts the simulator without its lifespan can call them itself."""

    def __init__(self, config: SimConfig, *, callback_transport: httpx.AsyncBaseTransport | None = None,
                 rng: random.Random | None = None) -> None:
        self.config = config
        self.faults = _initial_faults(config)
        self.rng = rng or random.Random()
        self._transport = callback_transport
        self._store: Store | None = None
        self._http: httpx.AsyncClient | None = None
        self._dispatcher: Dispatcher | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("province_sim is not started (run the app's lifespan or SimRuntime.start())")
        return self._store

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            raise RuntimeError("province_sim is not started (run the app's lifespan or SimRuntime.start())")
        return self._dispatcher

    async def start(self) -> None:
        """Opens the database (creating its tables) and starts the decision and callback loop."""
        self._store = await Store.open(self.config.database_path)
        # idle connections are let go before the district's keep-alive (uvicorn: 5 s) ends them under a callback
        self._http = httpx.AsyncClient(transport=self._transport, timeout=self.config.callback_timeout_seconds,
                                       limits=httpx.Limits(keepalive_expiry=2.0))
        self._dispatcher = Dispatcher(self.config, self._store, self._http, lambda: self.faults)
        self._dispatcher.start()
        log.info("province_sim started (database %s)", self.config.database_path)

    async def stop(self) -> None:
        """Stops the loop, then closes the HTTP client and the database."""
        if self._dispatcher is not None:
            await self._dispatcher.stop()
        if self._http is not None:
            await self._http.aclose()
        if self._store is not None:
            await self._store.close()
        self._dispatcher = self._http = self._store = None


def create_sim_app(config: SimConfig | None = None, *, callback_transport: httpx.AsyncBaseTransport | None = None,
                   rng: random.Random | None = None) -> FastAPI:
    """Returns the simulator as a FastAPI app; its lifespan opens the database and runs the callback loop."""
    runtime = SimRuntime(config or SimConfig(), callback_transport=callback_transport, rng=rng)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="province_sim — 高龄津贴 provincial system simulator", lifespan=lifespan,
                  docs_url="/admin/docs", openapi_url="/admin/openapi.json", redoc_url=None)
    app.state.sim = runtime
    _install_error_handlers(app)

    async def require_admin(x_admin_token: str = Header("")) -> None:
        expected = runtime.config.admin_token
        if not expected or not hmac.compare_digest(x_admin_token.encode(), expected.encode()):
            raise SimError(401, "bad_admin_token", "X-Admin-Token missing or wrong")

    @app.post(contract.APPLICATIONS_PATH)
    async def push_application(request: Request) -> Response:
        """Receives one application; the same request_id again returns the same reference."""
        return await _with_faults(runtime, lambda: _push(runtime, request))

    @app.post(contract.APPLICATIONS_BATCH_PATH)
    async def push_applications(request: Request) -> Response:
        """Receives 1 to MAX_BATCH applications; answers one result per application, in order."""
        return await _with_faults(runtime, lambda: _push_batch(runtime, request))

    @app.get(contract.APPLICATIONS_PATH + "/{request_id}")
    async def application_status(request: Request, request_id: str) -> Response:
        """Returns the current Status of a request (reconcile)."""
        return await _with_faults(runtime, lambda: _status(runtime, request, request_id))

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/admin/faults", dependencies=[Depends(require_admin)])
    async def get_faults() -> dict:
        return _faults_body(runtime.faults)

    @app.post("/admin/faults", dependencies=[Depends(require_admin)])
    async def set_faults(update: FaultsUpdate) -> dict:
        """Changes the given fault settings at run time; down_for_seconds sets down_until = now + it."""
        changes = update.model_dump(exclude_none=True)
        down_for = changes.pop("down_for_seconds", None)
        if down_for is not None:
            changes["down_until"] = time.time() + down_for
        runtime.faults = Faults.model_validate({**runtime.faults.model_dump(), **changes})
        log.warning("faults now %s", runtime.faults.model_dump())
        return _faults_body(runtime.faults)

    @app.get("/admin/stats", dependencies=[Depends(require_admin)])
    async def stats() -> dict:
        return await runtime.store.stats()

    @app.post("/admin/decide-now", dependencies=[Depends(require_admin)])
    async def decide_now() -> dict:
        """Makes every pending application due now, so they are decided (and called back) as one batch."""
        due = await runtime.store.decide_all_now(time.time())
        runtime.dispatcher.wake()
        return {"due": due}

    @app.post("/admin/reset", dependencies=[Depends(require_admin)])
    async def reset() -> dict:
        """Forgets every application, nonce, callback and counter, and restores the configured faults."""
        await runtime.store.reset()
        runtime.faults = _initial_faults(runtime.config)
        return {"ok": True}

    return app


async def _with_faults(runtime: SimRuntime, handle) -> Response:
    """Applies the current faults around a provincial endpoint: down and failing answer before anything is
    read or stored; a 'timeout' is processed normally and then answered too late."""
    faults = runtime.faults
    now = time.time()
    if now < faults.down_until:
        await runtime.store.count("faults_503")
        return JSONResponse({"error": {"code": "unavailable", "message": "province system is down (simulated)"}},
                            status_code=503, headers={"Retry-After": str(math.ceil(faults.down_until - now))})
    if runtime.rng.random() < faults.fail_rate:
        await runtime.store.count("faults_500")
        return JSONResponse({"error": {"code": "internal_error", "message": "simulated failure"}}, status_code=500)
    hang = runtime.rng.random() < faults.timeout_rate
    if faults.slow_ms:
        await asyncio.sleep(faults.slow_ms / 1000)
    try:
        response = await handle()
    except SimError as e:
        response = _error(e)
    if hang:
        await runtime.store.count("faults_timeout")
        await asyncio.sleep(faults.timeout_hang_seconds)
    return response


async def _authenticate(runtime: SimRuntime, request: Request, body: bytes) -> str:
    """Returns the caller's app key, or raises 401 for a bad signature, stale timestamp or replayed nonce."""
    checked = contract.check(request.headers, request.method, request.url.path, body, runtime.config.district_keys)
    if isinstance(checked, contract.SignatureProblem):
        await runtime.store.count("refused_signature")
        log.warning("refused %s %s: %s", request.method, request.url.path, checked.code)
        raise SimError(401, checked.code, checked.message)
    app_key, nonce = checked
    if not await runtime.store.remember_nonce(app_key, nonce, time.time()):
        await runtime.store.count("refused_signature")
        log.warning("refused %s %s: replayed nonce", request.method, request.url.path)
        raise SimError(401, "replayed_nonce", "nonce already used")
    return app_key


async def _push(runtime: SimRuntime, request: Request) -> Response:
    body = await _read_body(request)
    app_key = await _authenticate(runtime, request, body)
    application = await _validate(runtime, body)
    now = time.time()
    decide_at = now + runtime.config.decision_delay_seconds
    received = await runtime.store.receive(app_key, application, now=now, decide_at=decide_at)
    if isinstance(received, Conflict):
        log.warning("refused application %s: request id used for case %s", received.request_id,
                    received.case_number)
        raise _conflict(received)
    stored, duplicate = received
    if not duplicate:
        runtime.dispatcher.wake_at(decide_at)  # decided on time, not at the next poll
    log.info("%s application %s → %s", "duplicate" if duplicate else "new", stored.request_id, stored.reference)
    return JSONResponse(_pushed(stored, duplicate))


async def _push_batch(runtime: SimRuntime, request: Request) -> Response:
    """The batched push: one signature check, one store transaction, one wake of the dispatcher. Each application
    is answered as the single push would answer it; the request as a whole is refused only for its shape."""
    body = await _read_body(request, limit=MAX_BATCH_BODY_BYTES)
    app_key = await _authenticate(runtime, request, body)
    checked = _check_batch(body)
    if isinstance(checked, SimError):
        await runtime.store.count("refused_invalid")
        log.warning("refused a batch: %s", checked.code)
        raise checked
    valid = [item for item in checked if isinstance(item, ApplicationIn)]
    now = time.time()
    decide_at = now + runtime.config.decision_delay_seconds
    received = iter(await runtime.store.receive_many(app_key, valid, now=now, decide_at=decide_at,
                                                     refused_invalid=len(checked) - len(valid)))
    results: list[dict] = []
    new = duplicates = refused = 0
    for item in checked:
        outcome = next(received) if isinstance(item, ApplicationIn) else item
        if isinstance(outcome, tuple):
            stored, duplicate = outcome
            duplicates += duplicate
            new += not duplicate
            results.append(_pushed(stored, duplicate))
        else:
            refused += 1
            error = _conflict(outcome) if isinstance(outcome, Conflict) else outcome.error
            results.append({"request_id": outcome.request_id, "error": {"code": error.code, "message": error.message}})
    if new:
        runtime.dispatcher.wake_at(decide_at)
    log.info("batch of %d application(s): %d new, %d duplicate, %d refused", len(checked), new, duplicates, refused)
    return JSONResponse({"results": results})


class _Refused:
    """An application of a batch refused as the single push would refuse it alone."""

    def __init__(self, request_id: str | None, error: SimError) -> None:
        self.request_id = request_id
        self.error = error


def _check_batch(body: bytes) -> list[ApplicationIn | _Refused] | SimError:
    """Returns each application of a batch, parsed and normalised or refused, in order; or the SimError (400)
    refusing the whole batch: not JSON, not {"applications": [...]}, empty, more than MAX_BATCH, or a request id
    twice. The usual batch (every application valid) is parsed in one go."""
    try:
        parsed = ApplicationBatchIn.model_validate_json(body, strict=True).applications
    except pydantic.ValidationError as e:
        return _check_batch_slowly(body, e)
    problem = _batch_problem([application.request_id for application in parsed])
    if problem is not None:
        return problem
    checked: list[ApplicationIn | _Refused] = []
    for application in parsed:
        try:
            checked.append(_normalised(application))
        except SimError as e:
            checked.append(_Refused(application.request_id, e))
    return checked


def _check_batch_slowly(body: bytes, e: pydantic.ValidationError) -> list[ApplicationIn | _Refused] | SimError:
    """_check_batch for a batch that did not parse in one go: either its shape is wrong, or some of its
    applications are invalid; then each application is checked alone, exactly as the single push checks one."""
    errors = e.errors()
    if errors[0]["type"] == "json_invalid":
        return SimError(400, "bad_json", "body is not valid JSON")
    shape = next((err for err in errors if len(err["loc"]) < 2 or err["loc"][0] != "applications"), None)
    if shape is not None:
        where = ".".join(str(part) for part in shape["loc"]) or "body"
        return SimError(400, "invalid_batch", f"{where}: {shape['msg']} (the body is {{\"applications\": [...]}})")
    try:
        items = json.loads(body)["applications"]
    except ValueError:  # JSON the validator took but the json module does not: refused as not JSON
        return SimError(400, "bad_json", "body is not valid JSON")
    request_ids = [item.get("request_id") if isinstance(item, dict) else None for item in items]
    problem = _batch_problem(request_ids)
    if problem is not None:
        return problem
    checked: list[ApplicationIn | _Refused] = []
    for item, request_id in zip(items, request_ids, strict=True):
        try:
            checked.append(_parsed(json.dumps(item).encode()))
        except SimError as refusal:
            checked.append(_Refused(request_id if isinstance(request_id, str) else None, refusal))
    return checked


def _batch_problem(request_ids: list) -> SimError | None:
    """The whole-batch refusal for a batch's size or a request id sent twice in it, if any."""
    if not request_ids:
        return SimError(400, "empty_batch", "applications: at least one application is needed")
    if len(request_ids) > contract.MAX_BATCH:
        return SimError(400, "batch_too_large",
                        f"applications: {len(request_ids)} applications, at most {contract.MAX_BATCH} in one batch")
    seen: set[str] = set()
    for request_id in request_ids:
        if isinstance(request_id, str):
            if request_id in seen:
                return SimError(400, "duplicate_request_id",
                                f"applications: request_id {request_id!r} appears more than once in the batch")
            seen.add(request_id)
    return None


def _pushed(stored: Application, duplicate: bool) -> dict:
    """The answer to a stored (or already known) application."""
    return {"reference": stored.reference, "request_id": stored.request_id, "status": stored.status,
            "duplicate": duplicate}


def _conflict(conflict: Conflict) -> SimError:
    return SimError(409, "request_id_conflict",
                    f"request_id {conflict.request_id!r} was already used for another case")


async def _status(runtime: SimRuntime, request: Request, request_id: str) -> Response:
    body = await _read_body(request)
    app_key = await _authenticate(runtime, request, body)
    await runtime.store.count("reconcile_requests")
    found = await runtime.store.find(app_key, request_id)
    if found is None:
        raise SimError(404, "unknown_request", f"no application with request_id {request_id!r}")
    return JSONResponse(found.status_body())


async def _validate(runtime: SimRuntime, body: bytes) -> ApplicationIn:
    """Returns the parsed application with its ID number normalised, or raises 400 naming what is wrong."""
    try:
        return _parsed(body)
    except SimError:
        await runtime.store.count("refused_invalid")
        raise


def _parsed(body: bytes) -> ApplicationIn:
    """Parses one Application and normalises it, or raises the 400 naming what is wrong."""
    try:
        application = ApplicationIn.model_validate_json(body, strict=True)
    except pydantic.ValidationError as e:
        raise _invalid(e) from None
    return _normalised(application)


def _normalised(application: ApplicationIn) -> ApplicationIn:
    """Returns the application with its ID number normalised, or raises 400 when the number is wrong or its birth
    date differs from the applicant's."""
    try:
        info = parse_id_number(application.applicant.id_number)
    except IdNumberError as e:
        raise SimError(400, "invalid_id_number", f"applicant.id_number: {e.message}") from None
    if info.birth_date != application.applicant.birth_date:
        raise SimError(400, "birth_date_mismatch", "applicant.birth_date differs from the ID number's birth date")
    applicant = application.applicant.model_copy(update={"id_number": info.number})
    return application.model_copy(update={"applicant": applicant})


async def _read_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise SimError(413, "body_too_large", f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _invalid(e: pydantic.ValidationError) -> SimError:
    first = e.errors()[0]
    if first["type"] == "json_invalid":
        return SimError(400, "bad_json", "body is not valid JSON")
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return SimError(400, "invalid_field", f"{where}: {first['msg']}")


def _initial_faults(config: SimConfig) -> Faults:
    return Faults.model_validate(config.model_dump(include=set(FAULT_FIELDS)))


def _faults_body(faults: Faults) -> dict:
    return {**faults.model_dump(), "down": time.time() < faults.down_until}


def _error(e: SimError) -> JSONResponse:
    return JSONResponse({"error": {"code": e.code, "message": e.message}}, status_code=e.status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SimError)
    async def sim_error(_: Request, e: SimError) -> JSONResponse:
        return _error(e)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, e: RequestValidationError) -> JSONResponse:
        first = e.errors()[0] if e.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"])
        return _error(SimError(400, "invalid_body", f"{where}: {first['msg']}"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, e: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        return JSONResponse({"error": {"code": code, "message": str(e.detail)}}, status_code=e.status_code,
                            headers=getattr(e, "headers", None))
