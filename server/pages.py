"""The HTML pages: home, facilitator dashboard, projector, join and participant pages, and the join QR code.

Pages are server-rendered shells in the visitor's language; live data arrives over the websocket and is drawn
by the scripts in web/static/js. Participant-written text never reaches a template: scripts insert it as text.
The strings those scripts show are translated here and handed over in a JSON block (``<script id="i18n">``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import UUID

import jinja2
import segno
from babel.support import Translations
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

import web
from domain.values import zone_names
from server import i18n, protocol
from server.page_strings import AGENDA_KINDS, AGENDA_STATUSES, DEFAULT_SECTORS, ERRORS, JS_PLURALS, JS_STRINGS

WEB_DIR = Path(web.__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
_CODE_CHARS = re.compile(r"^[A-Z0-9]{1,16}$")

# The catalogue of the request being rendered. Jinja's i18n extension is installed once, with callables that
# read it, because install_gettext_translations() would share one language between concurrent requests.
_current: ContextVar[Translations] = ContextVar("tavolo_translations")


def _gettext(message: str) -> str:
    return _current.get(i18n.translations(i18n.FALLBACK)).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(i18n.translations(i18n.FALLBACK)).ngettext(singular, plural, n)


@lru_cache(maxsize=256)
def _file_version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """The URL of a static file, with a content hash so browsers never keep a stale script or stylesheet."""
    full = STATIC_DIR / path
    version = _file_version(path, full.stat().st_mtime_ns) if full.is_file() else "0"
    return f"/static/{path}?v={version}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=jinja2.select_autoescape(default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["static"] = static_url
    return env


templates = Jinja2Templates(env=_environment())


class _StaticFiles(StaticFiles):
    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Safe to cache: pages link to static files with a content hash (see static_url).
        response.headers.setdefault("Cache-Control", "public, max-age=86400")
        return response


def _translated(tr: Translations, messages: Mapping[str, str]) -> dict[str, str]:
    return {key: tr.gettext(message) for key, message in messages.items()}


def _plural_forms(tr: Translations, one: str, other: str, nplurals: int) -> list[str]:
    """Every gettext form of a plural message, in ``msgstr[]`` order (English's two where it is untranslated)."""
    catalog = getattr(tr, "_catalog", {})
    forms = [catalog.get((one, i)) for i in range(nplurals)]
    if all(isinstance(form, str) and form for form in forms):
        return [str(form) for form in forms]
    return [one, other]


@lru_cache(maxsize=64)
def _client_strings(lang: str) -> dict[str, Any]:
    """What the page scripts read from ``<script id="i18n">``: their strings, plurals (by the English singular:
    every form in the catalogue's order), the CLDR plural category each form serves (``plural_categories``: the
    scripts choose with ``Intl.PluralRules``), error texts and labels."""
    tr = i18n.translations(lang)
    categories = i18n.plural_categories(lang)
    nplurals = max(categories.values()) + 1
    return {
        "strings": {msgid: tr.gettext(msgid) for msgid in JS_STRINGS},
        "plurals": {one: _plural_forms(tr, one, other, nplurals) for one, other in JS_PLURALS},
        "plural_categories": categories,
        "errors": _translated(tr, ERRORS),
        "kinds": _translated(tr, AGENDA_KINDS),
        "statuses": _translated(tr, AGENDA_STATUSES),
    }


def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(
    request: Request, name: str, lang: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render a page in ``lang`` with the security headers; remember an explicit ``?lang=`` in a cookie."""
    tr = i18n.translations(lang)
    client = _client_strings(lang)
    base = {"lang": lang, "languages": i18n.LANGUAGE_NAMES, "kinds": client["kinds"], "i18n": client}
    token = _current.set(tr)
    try:
        response = templates.TemplateResponse(request, name, {**base, **(context or {})}, status_code=status_code)
    finally:
        _current.reset(token)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "Accept-Language, Cookie"
    if i18n.normalise(request.query_params.get("lang")) == lang:
        response.set_cookie("lang", lang, max_age=LANG_COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True)
    return _secure(response)


def _services(request: Request) -> Any:
    return request.app.state.services


def _base_url(request: Request) -> str:
    return (getattr(_services(request), "public_url", None) or str(request.base_url)).rstrip("/")


def join_url(request: Request, code: str) -> str:
    """The absolute join link printed on the projector and encoded in the QR code."""
    return f"{_base_url(request)}/j/{code}"


def normalise_code(code: str) -> str:
    """A join code as typed (any case, spaces or dashes) in its canonical form: ``k7p q3x`` -> ``K7PQ3X``."""
    return re.sub(r"[\s-]+", "", code).upper()


def _workshop(request: Request) -> Any | None:
    """The workshop named by the path's ``workshop_id``, or None (malformed or unknown id)."""
    try:
        workshop_id = UUID(request.path_params["workshop_id"])
    except ValueError:
        return None
    return _services(request).model(workshop_id)


def _not_found(request: Request, code: str = "") -> Response:
    lang = i18n.pick_language(request)
    return render(request, "not_found.html", lang, {"code_value": code}, status_code=404)


def default_sectors(lang: str) -> list[str]:
    """The sectors suggested for a new workshop, in ``lang``."""
    tr = i18n.translations(lang)
    return [tr.gettext(sector) for sector in DEFAULT_SECTORS]


async def home(request: Request) -> Response:
    lang = i18n.pick_language(request)
    return render(
        request,
        "home.html",
        lang,
        {
            # The browser replaces this with its own local date; the server only knows UTC.
            "today": datetime.now(UTC).date().isoformat(),
            "sectors_text": "\n".join(default_sectors(lang)),
            "default_sectors": {code: default_sectors(code) for code in i18n.SUPPORTED},
            "needs_organiser_key": bool(request.app.state.services.settings.organiser_key),
            # The zones this server knows: the form's list, and how the page tells a browser zone it lacks.
            "zones": zone_names(),
        },
    )


async def organiser(request: Request) -> Response:
    """The organisers' page: with the server's organiser key, list the workshops and reopen one."""
    lang = i18n.pick_language(request)
    has_key = bool(request.app.state.services.settings.organiser_key)
    return render(request, "organiser.html", lang, {"has_organiser_key": has_key})


async def dashboard(request: Request) -> Response:
    workshop = _workshop(request)
    if workshop is None:
        return _not_found(request)
    lang = i18n.pick_language(request, workshop.language)
    context = {
        "workshop": workshop,
        "join_url": join_url(request, workshop.code),
        "countries": i18n.country_names(lang),
    }
    return render(request, "dashboard.html", lang, context)


async def projector(request: Request) -> Response:
    workshop = _workshop(request)
    if workshop is None:
        return _not_found(request)
    # The projector's own language setting, if the facilitator chose one, before the browser's: a projector's
    # laptop says nothing about the room.
    lang = i18n.pick_language(request, workshop.language, stored=workshop.projector_language or None)
    url = join_url(request, workshop.code)
    replay = request.query_params.get("replay") == "1"
    context = {
        "workshop": workshop,
        "join_url": url,
        "join_url_display": re.sub(r"^https?://", "", url),
        "countries": i18n.country_names(lang),
        "replay": replay,
    }
    response = render(request, "projector.html", lang, context)
    if replay:
        # The replay page shows the projector as it was by framing this very page (the live projector's code), fed
        # the replayed view by postMessage: only a page of this origin may frame it; it opens no socket.
        response.headers["Content-Security-Policy"] = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    return response


async def qr_svg(request: Request) -> Response:
    workshop = _workshop(request)
    if workshop is None:
        return _secure(Response("Not found", status_code=404, media_type="text/plain"))
    svg = qr_code_svg(join_url(request, workshop.code))
    headers = {"Cache-Control": "public, max-age=3600"}
    return _secure(Response(svg, media_type="image/svg+xml", headers=headers))


def qr_code_svg(url: str) -> bytes:
    """An SVG QR code of ``url``: dark modules on white, so it scans even on the dark projector page."""
    out = BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, dark="#0b1220", light="#ffffff", title=url)
    return out.getvalue()


async def join_redirect(request: Request) -> Response:
    code = normalise_code(request.query_params.get("code", ""))
    target = f"/j/{code}" if code else "/"
    lang = i18n.normalise(request.query_params.get("lang"))
    return _secure(RedirectResponse(f"{target}?lang={lang}" if lang else target, status_code=303))


async def join(request: Request) -> Response:
    wait = _services(request).address_wait("lookup", request.client.host if request.client else None)
    if wait is not None:  # guessing codes through the join page counts as through /api/codes (docs/security.md)
        # A venue's phones share one address: a page in their language that reloads itself after the wait.
        seconds = protocol.retry_after(wait)
        response = render(request, "busy.html", i18n.pick_language(request), {"retry_after": seconds}, 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    code = normalise_code(request.path_params["code"])
    workshop = await _services(request).look_up_code(code) if _CODE_CHARS.match(code) else None
    if workshop is None:
        return _not_found(request, code[:16])
    if code != request.path_params["code"]:
        query = f"?{request.url.query}" if request.url.query else ""
        return _secure(RedirectResponse(f"/j/{code}{query}", status_code=303))
    lang = i18n.pick_language(request, workshop.language)
    return render(request, "join.html", lang, {"workshop": workshop, "countries": i18n.country_names(lang)})


async def participant(request: Request) -> Response:
    workshop = _workshop(request)
    if workshop is None:
        return _not_found(request)
    lang = i18n.pick_language(request, workshop.language)
    context = {
        "workshop": workshop,
        "countries": i18n.country_names(lang),
        # Without a choice made on this device (?lang= or the cookie, which scripts cannot read: it is httponly),
        # the page follows the participant's own language, from their view.
        "lang_chosen": language_chosen(request),
    }
    return render(request, "participant.html", lang, context)


def language_chosen(request: Request) -> bool:
    """Whether the visitor chose the page language on this device: ``?lang=`` or the ``lang`` cookie."""
    return any(i18n.normalise(v) for v in (request.query_params.get("lang"), request.cookies.get("lang")))


def page_routes() -> list[BaseRoute]:
    """The page routes and the static files, to be mounted at the root of the app."""
    return [
        Route("/", home, name="home"),
        Route("/join", join_redirect, name="join_redirect"),
        Route("/organiser", organiser, name="organiser"),
        Route("/j/{code}", join, name="join"),
        Route("/w/{workshop_id}/dashboard", dashboard, name="dashboard"),
        Route("/w/{workshop_id}/projector", projector, name="projector"),
        Route("/w/{workshop_id}/qr.svg", qr_svg, name="qr_svg"),
        Route("/w/{workshop_id}/me", participant, name="participant"),
        Mount("/static", app=_StaticFiles(directory=STATIC_DIR), name="static"),
    ]
