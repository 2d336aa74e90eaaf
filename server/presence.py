"""Who is online, across processes: the phones connected to the *other* processes of a scale-out.

Presence is not history (projections/views.py): it is who has a socket open right now, kept by each process for
its own sockets (``Hub.online``). Behind a load balancer a room's phones are spread over the processes, so each
process also shares its own list over Redis (``server/broker.py``: the full list per workshop, when it changed and
every ``HEARTBEAT`` seconds) and keeps the others' lists here. A list not refreshed for ``EXPIRES`` seconds (its
process stopped, or Redis is down) is dropped: the views then show this process's own phones until it is back.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from uuid import UUID

HEARTBEAT = 5.0  # seconds between re-sends of an unchanged list
EXPIRES = 3 * HEARTBEAT  # a list older than this is dropped


class RemotePresence:
    def __init__(self, expires: float = EXPIRES) -> None:
        self.expires = expires
        self._lists: dict[UUID, dict[str, tuple[frozenset[str], float]]] = {}  # workshop -> process -> (ids, when)

    def update(self, workshop_id: UUID, origin: str, participant_ids: Iterable[str], now: float) -> bool:
        """Another process's list for a workshop; whether who is online there changed."""
        ids = frozenset(participant_ids)
        lists = self._lists.setdefault(workshop_id, {})
        before = lists.get(origin)
        if ids:
            lists[origin] = (ids, now)
        else:
            lists.pop(origin, None)
            if not lists:
                del self._lists[workshop_id]
        return (before[0] if before else frozenset()) != ids

    def expire(self, now: float) -> set[UUID]:
        """Drop the lists not refreshed in time; the workshops whose presence changed."""
        changed: set[UUID] = set()
        for workshop_id, lists in list(self._lists.items()):
            for origin, (_, at) in list(lists.items()):
                if now - at > self.expires:
                    del lists[origin]
                    changed.add(workshop_id)
            if not lists:
                del self._lists[workshop_id]
        return changed

    def forget(self, workshop_id: UUID) -> None:
        self._lists.pop(workshop_id, None)

    def merged(self, workshop_id: UUID, local: Set[str]) -> Set[str]:
        """Everyone online in a workshop: this process's own (``local``) and the other processes'."""
        lists = self._lists.get(workshop_id)
        if not lists:
            return local
        return frozenset(local).union(*(ids for ids, _ in lists.values()))
