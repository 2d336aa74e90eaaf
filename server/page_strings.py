"""Strings the page scripts show, marked for extraction (``N_``) and translated when a page is rendered.

Scripts look strings up by their English msgid (``Tavolo.t("Copied")``), so every msgid a script uses must be
listed in ``JS_STRINGS``; tests/server/test_pages.py checks that against web/static/js.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, in the page's language."""
    return message


JS_STRINGS: tuple[str, ...] = (
    # Connection and shared widgets
    N_("Connecting…"),
    N_("Connected"),
    N_("Reconnecting…"),
    N_("Disconnected"),
    N_("Copied"),
    N_("Copy this link:"),
    N_("OK"),
    N_("Cancel"),
    N_("Save"),
    N_("Now"),
    N_("Next"),
    N_("%(minutes)s min"),
    N_("started at %(time)s"),
    N_("until %(time)s"),
    N_("and %(count)s more"),
    N_("and %(count)s more countries"),
    # Home
    N_("Give the workshop a title."),
    N_("Choose the date of the workshop."),
    N_("List at least one sector."),
    N_("Creating…"),
    N_("Create the workshop"),
    N_("Could not reach the server. Check the connection and try again."),
    # Dashboard
    N_("Dashboard"),
    N_("Online"),
    N_("Offline"),
    N_("Remove"),
    N_("Remove %(name)s"),
    N_("Remove %(name)s from the workshop? They will need the join code to come back."),
    N_("%(name)s was removed."),
    N_("Showing %(shown)s of %(total)s"),
    N_("Settings saved"),
    N_("Title"),
    N_("Kind"),
    N_("Start"),
    N_("Start time"),
    N_("Minutes"),
    N_("Finish"),
    N_("Edit"),
    N_("Delete"),
    N_("Move up"),
    N_("Move down"),
    N_("Delete “%(title)s” from the agenda?"),
    N_("Give the item a title."),
    # Projector
    N_("Open the projector from the facilitator dashboard to show live numbers."),
    N_("This projector link is not valid. Open the projector again from the dashboard."),
    # Join and participant pages
    N_("Enter your name."),
    N_("Enter your organisation."),
    N_("Choose your country."),
    N_("Choose your sector."),
    N_("Joining…"),
    N_("Join the workshop"),
    N_("You're in, %(name)s"),
    N_("Profile saved"),
    N_("Leave"),
    N_("Leave the workshop? The facilitators will no longer see you in the room."),
    N_("Goodbye!"),
    N_("You have left the workshop. Thank you for taking part."),
    N_("You are no longer in this workshop"),
    N_("If this is a mistake, you can join again."),
    N_("You have not joined this workshop on this device"),
    N_("Join with your name and organisation: it takes a few seconds."),
    N_("This workshop no longer exists"),
    N_("Joining did not work"),
    N_("Joining is taking longer than expected"),
    N_("Reload the page in a moment to finish joining."),
)

# What a person is told for each error code of docs/protocol.md (the server's own message is for developers).
ERRORS: dict[str, str] = {
    "bad_frame": N_("The browser sent something the server could not read. Reload the page and try again."),
    "bad_message": N_("The browser sent something the server could not read. Reload the page and try again."),
    "too_large": N_("That is too much text at once."),
    "unknown_command": N_("This page is out of date. Reload it and try again."),
    "invalid_args": N_("Some details are missing or not valid."),
    "text_too_long": N_("This text is too long."),
    "invalid_text": N_("This field cannot be empty or contain special control characters."),
    "unknown_country": N_("Choose a country from the list."),
    "unknown_sector": N_("Choose a sector from the list."),
    "unknown_language": N_("Choose English or Italian."),
    "unauthorized": N_("This link or session is no longer valid."),
    "forbidden": N_("You are not allowed to do this."),
    "not_found": N_("This workshop does not exist."),
    "unknown_code": N_("No workshop has this code."),
    "unknown_participant": N_("This participant is no longer in the workshop."),
    "unknown_agenda_item": N_("This agenda item no longer exists."),
    "not_joined": N_("You are no longer in this workshop."),
    "workshop_full": N_("This workshop is full."),
    "invalid_order": N_("The agenda changed meanwhile. Try again."),
    "item_not_running": N_("This item is not running."),
    "token_in_use": N_("Something went wrong while joining. Try again."),
    "rate_limited": N_("Too many requests at once. Wait a moment and try again."),
    "unavailable": N_("The server could not save this just now. Try again in a moment."),
    "internal_error": N_("Something went wrong on the server. Try again."),
}

AGENDA_KINDS: dict[str, str] = {
    "plenary": N_("Plenary"),
    "group_work": N_("Group work"),
    "poll": N_("Poll"),
    "rotation": N_("Rotation"),
    "matchmaking": N_("Matchmaking"),
    "break": N_("Break"),
    "other": N_("Other"),
}

AGENDA_STATUSES: dict[str, str] = {
    "planned": N_("Planned"),
    "running": N_("Running"),
    "done": N_("Done"),
}

# Suggested sectors of a new workshop (the facilitator edits the list freely).
DEFAULT_SECTORS: tuple[str, ...] = (
    N_("Agrifood"),
    N_("Advanced manufacturing"),
    N_("Digital & ICT"),
    N_("Energy"),
    N_("Health & life sciences"),
    N_("Mobility & logistics"),
    N_("Creative & cultural industries"),
    N_("Tourism"),
    N_("Textile & fashion"),
    N_("Construction"),
    N_("Environment & circular economy"),
    N_("Aerospace"),
    N_("Other"),
)
