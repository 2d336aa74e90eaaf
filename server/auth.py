"""Who is asking: a token (never stored, only its hash) against a workshop's read model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from domain.commands import ANONYMOUS, FACILITATOR, PARTICIPANT, PROJECTOR, Actor
from domain.tokens import hash_token, same_hash
from projections.workshop import WorkshopModel

if TYPE_CHECKING:
    from server.services import Settings

# Which roles may watch which view.
VIEW_ROLES = {
    "dashboard": {FACILITATOR},
    "projector": {FACILITATOR, PROJECTOR},
    "participant": {PARTICIPANT},
}


def authenticate(model: WorkshopModel, token: str | None) -> Actor | None:
    """The actor a token stands for in this workshop; anonymous without a token; None if the token is unknown."""
    if not token:
        return Actor(ANONYMOUS)
    digest = hash_token(token)
    if same_hash(digest, model.facilitator_token_hash):
        return Actor(FACILITATOR)
    if same_hash(digest, model.projector_token_hash):
        return Actor(PROJECTOR)
    # A dict lookup by hash: timing reveals nothing about the token itself.
    participant_id = model.tokens.get(digest)
    if participant_id is not None and model.participants[participant_id].status == "present":
        return Actor(PARTICIPANT, participant_id)
    return None


def may_watch(actor: Actor, view: str) -> bool:
    return actor.role in VIEW_ROLES.get(view, set())


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def origin_allowed(headers: Mapping[str, str], settings: Settings) -> bool:
    """Whether a request may change state given its ``Origin``: the websocket handshake and every state-changing
    HTTP request ask this one question. Browsers send ``Origin`` on both (a page on another site cannot leave it
    out or forge it), so a page elsewhere cannot act with a visitor's network position (a laptop in the room, a
    server on a private network); scripts and the simulator send none and are let through (they hold tokens, or
    are the organiser's own). ``Origin: null`` (sandboxed frames, local files) matches nothing."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin in settings.allowed_origins:
        return True
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:  # "http://[" and the like: no origin we know
        return False
    if not netloc:
        return False
    if settings.public_url and urlsplit(settings.public_url).netloc == netloc:
        return True
    return netloc == headers.get("host", "")
