"""README, "Polls": secret ballots; results hidden until the facilitator shows them, then live on the projector."""

from __future__ import annotations

from tests.acceptance.support import Room, open_single_choice_poll


def test_a_secret_ballots_tally_reaches_the_projector_only_once_shown(room: Room) -> None:
    voters = [room.join(f"Voter {i}") for i in range(3)]
    poll = open_single_choice_poll(room, "Which priority?", ["Skills", "Funding"], secret=True)
    projector = room.watch("projector", room.projector_token)
    for voter, answer in zip(voters, ["o1", "o1", "o2"], strict=True):
        room.command("cast_ballot", {"poll_id": poll, "answer": answer}, token=voter.token)
    projector.wait(lambda d: d["polls"][poll]["turnout"]["voted"] == 3, what="three ballots counted")
    assert projector.data["polls"][poll]["results"] is None  # hidden: only the turnout
    room.command("set_results_visibility", {"poll_id": poll, "visibility": "shown"})
    projector.wait(lambda d: d["polls"][poll]["results"], what="the results shown")
    counts = {o["label"]: o["count"] for o in projector.data["polls"][poll]["results"][0]["options"]}
    assert counts == {"Skills": 2, "Funding": 1}
    # Secret: nothing a facilitator can read links a ballot to its voter.
    shown = str(room.view("dashboard")["polls"][poll]) + str(projector.data["polls"][poll])
    assert not any(v.participant_id in shown or v.name in shown for v in voters)
