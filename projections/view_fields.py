"""Which fields each view may carry: the contract between what a screen shows and what the server sends it.

A view's payload is walked field by field (``unlisted``); every path must be on its view's list. Paths are dotted;
``*`` stands for any key of a map keyed by ids (participants, polls, questions), ``[]`` for the items of a list,
and a path ending in ``.**`` allows anything below it (a poll's results, whose shape depends on its kind, hold only
counts and the room's own words). Docs: docs/security.md#who-sees-whom; test: tests/server/test_view_fields.py.
"""

from __future__ import annotations

from typing import Any

ALLOWED: dict[str, frozenset[str]] = {}  # filled below, one list per view


def _paths(text: str) -> frozenset[str]:
    return frozenset(text.split())


def unlisted(data: Any, allowed: frozenset[str]) -> list[str]:
    """Every path in ``data`` that ``allowed`` does not list (empty: the payload keeps to its list)."""
    out: list[str] = []
    _walk(data, "", allowed, out)
    return sorted(set(out))


def _walk(value: Any, path: str, allowed: frozenset[str], out: list[str]) -> None:
    if path and f"{path}.**" in allowed:
        return
    if isinstance(value, dict):
        dynamic = f"{path}.*" if path else "*"
        for key, item in value.items():
            if dynamic in allowed or any(a.startswith(dynamic + ".") or a.startswith(dynamic + "[]") for a in allowed):
                child = dynamic
            else:
                child = f"{path}.{key}" if path else str(key)
            if child not in allowed:
                out.append(child)
                continue
            _walk(item, child, allowed, out)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{path}[]", allowed, out)


# The facilitator's dashboard is the whole workshop as it runs (groups, matchmaking, rotation and polls in full).
ALLOWED["dashboard"] = _paths("""
agenda agenda[].duration_min agenda[].finished_at agenda[].id agenda[].kind agenda[].planned_start
agenda[].started_at agenda[].status agenda[].title counts counts.by_country counts.by_organisation
counts.by_organisation_type counts.by_sector counts.joined counts.online current_item groups groups.**
joins_locked left matchmaking matchmaking.** participants participants.* participants.*.anonymous
participants.*.country participants.*.id participants.*.joined_at participants.*.language participants.*.name
participants.*.online participants.*.organisation participants.*.organisation_type participants.*.role
participants.*.sector polls polls.* polls.*.** removed rotation rotation.** timer timer.agenda_item_id
timer.clock timer.clock.duration_ms timer.clock.ends_at timer.clock.remaining_ms timer.clock.state timer.label
timer.segments timer.started_at workshop workshop.code workshop.created_at workshop.date workshop.id
workshop.language workshop.sectors workshop.title workshop.venue
workshop.timezone workshop.zone_label workshop.hour_cycles workshop.hour_cycles.*
workshop.projector_language workshop.projector_second_language
""")

# The projector: the room's screen. Names and countries only where the screen shows them (the group reporting
# back, the rotation's table map, the published meeting plan); no sheets but the one on screen, no authors.
ALLOWED["projector"] = _paths("""
agenda agenda[].duration_min agenda[].finished_at agenda[].id agenda[].kind agenda[].planned_start
agenda[].started_at agenda[].status agenda[].title counts counts.by_country counts.by_organisation
counts.by_organisation_type counts.by_sector counts.joined counts.online current_item join_path matchmaking
matchmaking.by_slot matchmaking.by_slot[][].a matchmaking.by_slot[][].a.country matchmaking.by_slot[][].a.id
matchmaking.by_slot[][].a.name matchmaking.by_slot[][].a.organisation matchmaking.by_slot[][].attendance
matchmaking.by_slot[][].b matchmaking.by_slot[][].b.country matchmaking.by_slot[][].b.id
matchmaking.by_slot[][].b.name matchmaking.by_slot[][].b.organisation matchmaking.by_slot[][].meeting_id
matchmaking.by_slot[][].table matchmaking.slots matchmaking.slots[].end matchmaking.slots[].start polls polls.*
polls.*.poll polls.*.poll.** polls.*.position polls.*.results polls.*.results.** polls.*.revealed
polls.*.turnout polls.*.turnout.percent polls.*.turnout.present polls.*.turnout.voted report_back
report_back.groups report_back.groups[].answers report_back.groups[].answers.*
report_back.groups[].answers.*[].id report_back.groups[].answers.*[].tags report_back.groups[].answers.*[].text
report_back.groups[].id report_back.groups[].members report_back.groups[].members[].country
report_back.groups[].members[].id report_back.groups[].members[].name report_back.groups[].number
report_back.groups[].rapporteur report_back.groups[].rapporteur.country report_back.groups[].rapporteur.id
report_back.groups[].rapporteur.name report_back.groups[].table report_back.groups[].title report_back.order
report_back.position report_back.question_set report_back.question_set.categories report_back.question_set.id
report_back.question_set.questions report_back.question_set.questions[].ends_at
report_back.question_set.questions[].starts_at
report_back.question_set.questions[].id report_back.question_set.questions[].prompt
report_back.question_set.questions[].time_box_min report_back.question_set.title report_back.showing rotation
rotation.agenda_item_id rotation.clock rotation.clock.duration_ms rotation.clock.ends_at
rotation.clock.remaining_ms rotation.clock.state rotation.current rotation.id rotation.round_seconds
rotation.rounds rotation.state rotation.table_size rotation.tables rotation.tables[].names
rotation.tables[].table rotation.title timer timer.agenda_item_id timer.clock timer.clock.duration_ms
timer.clock.ends_at timer.clock.remaining_ms timer.clock.state timer.label timer.segments timer.started_at
workshop workshop.code workshop.date workshop.id workshop.language workshop.sectors workshop.title
workshop.venue workshop.timezone workshop.zone_label workshop.hour_cycles workshop.hour_cycles.*
workshop.projector_language workshop.projector_second_language
""")

# A participant: the room's shared part, and their own (``me``): their group, sheets, ballots, meetings, seats.
ALLOWED["participant"] = _paths("""
agenda agenda[].duration_min agenda[].finished_at agenda[].id agenda[].kind agenda[].planned_start
agenda[].started_at agenda[].status agenda[].title counts counts.joined counts.online current_item matchmaking
matchmaking.published matchmaking.requires_acceptance matchmaking.slots matchmaking.slots[].end
matchmaking.slots[].start matchmaking.tables me me.anonymous me.ballots me.ballots.* me.ballots.*.* me.country
me.group me.group.group me.group.group.id me.group.group.label me.group.group.members
me.group.group.members[].country me.group.group.members[].id me.group.group.members[].name
me.group.group.members[].organisation me.group.group.members[].present me.group.group.members[].sector
me.group.group.name me.group.group.number me.group.group.rapporteur me.group.group.rapporteur.country
me.group.group.rapporteur.id me.group.group.rapporteur.name me.group.group.rapporteur.organisation
me.group.group.rapporteur.present me.group.group.rapporteur.sector me.group.group.table me.group.group.title
me.group.position me.group.question_sets me.group.question_sets[].categories me.group.question_sets[].groups
me.group.question_sets[].id me.group.question_sets[].others me.group.question_sets[].others[].answered
me.group.question_sets[].others[].answers me.group.question_sets[].others[].answers.*
me.group.question_sets[].others[].final me.group.question_sets[].others[].group_id
me.group.question_sets[].others[].answers.*[].author me.group.question_sets[].others[].answers.*[].author_name
me.group.question_sets[].others[].answers.*[].edited me.group.question_sets[].others[].answers.*[].id
me.group.question_sets[].others[].answers.*[].tags me.group.question_sets[].others[].answers.*[].text
me.group.question_sets[].others[].answers.*[].version
me.group.question_sets[].others[].locked me.group.question_sets[].others[].title
me.group.question_sets[].posed_at me.group.question_sets[].questions
me.group.question_sets[].questions[].ends_at me.group.question_sets[].questions[].starts_at
me.group.question_sets[].questions[].id
me.group.question_sets[].questions[].prompt me.group.question_sets[].questions[].time_box_min
me.group.question_sets[].report_back me.group.question_sets[].sheet me.group.question_sets[].sheet.answered
me.group.question_sets[].sheet.answers me.group.question_sets[].sheet.answers.*
me.group.question_sets[].sheet.answers.*[].author me.group.question_sets[].sheet.answers.*[].author_name
me.group.question_sets[].sheet.answers.*[].edited me.group.question_sets[].sheet.answers.*[].id
me.group.question_sets[].sheet.answers.*[].tags me.group.question_sets[].sheet.answers.*[].text
me.group.question_sets[].sheet.answers.*[].version me.group.question_sets[].sheet.final
me.group.question_sets[].sheet.group_id me.group.question_sets[].sheet.locked me.group.question_sets[].split_id
me.group.question_sets[].title me.group.question_sets[].visibility me.group.split_id me.id me.language
me.matchmaking me.matchmaking.agenda me.matchmaking.agenda[].attendance me.matchmaking.agenda[].by_facilitator
me.matchmaking.agenda[].id me.matchmaking.agenda[].mine me.matchmaking.agenda[].note
me.matchmaking.agenda[].outcome me.matchmaking.agenda[].outcome_text me.matchmaking.agenda[].slot
me.matchmaking.agenda[].status me.matchmaking.agenda[].table me.matchmaking.agenda[].with
me.matchmaking.agenda[].with.country me.matchmaking.agenda[].with.id me.matchmaking.agenda[].with.name
me.matchmaking.agenda[].with.organisation me.matchmaking.profile me.matchmaking.profile.markets
me.matchmaking.profile.offers me.matchmaking.profile.sectors me.matchmaking.profile.seeks
me.matchmaking.profile.value_chain me.matchmaking.requests me.matchmaking.requests[].attendance
me.matchmaking.requests[].by_facilitator me.matchmaking.requests[].id me.matchmaking.requests[].mine
me.matchmaking.requests[].note me.matchmaking.requests[].outcome me.matchmaking.requests[].outcome_text
me.matchmaking.requests[].slot me.matchmaking.requests[].status me.matchmaking.requests[].table
me.matchmaking.requests[].with me.matchmaking.requests[].with.country me.matchmaking.requests[].with.id
me.matchmaking.requests[].with.name me.matchmaking.requests[].with.organisation me.matchmaking.unavailable
me.name me.organisation me.organisation_type me.role me.rotation me.rotation.met me.rotation.met[].country
me.rotation.met[].id me.rotation.met[].name me.rotation.met[].organisation me.rotation.met[].round
me.rotation.met[].sector me.rotation.next me.rotation.next.partners me.rotation.next.partners[].country
me.rotation.next.partners[].id me.rotation.next.partners[].name me.rotation.next.partners[].organisation
me.rotation.next.partners[].sector me.rotation.next.round me.rotation.next.sitting_out me.rotation.next.table
me.rotation.now me.rotation.now.partners me.rotation.now.partners[].country me.rotation.now.partners[].id
me.rotation.now.partners[].name me.rotation.now.partners[].organisation me.rotation.now.partners[].sector
me.rotation.now.round me.rotation.now.sitting_out me.rotation.now.table me.rotation.starred me.sector me.status
polls polls.* polls.*.poll polls.*.poll.** polls.*.position polls.*.results polls.*.results.** polls.*.revealed
polls.*.turnout polls.*.turnout.percent polls.*.turnout.present polls.*.turnout.voted rotation
rotation.agenda_item_id rotation.clock rotation.clock.duration_ms rotation.clock.ends_at
rotation.clock.remaining_ms rotation.clock.state rotation.current rotation.id rotation.round_seconds
rotation.rounds rotation.state rotation.table_size rotation.title timer timer.agenda_item_id timer.clock
timer.clock.duration_ms timer.clock.ends_at timer.clock.remaining_ms timer.clock.state timer.label
timer.segments timer.started_at workshop workshop.date workshop.id workshop.language workshop.sectors
workshop.title workshop.venue workshop.timezone workshop.zone_label workshop.hour_cycles workshop.hour_cycles.*
workshop.projector_language workshop.projector_second_language
""")
