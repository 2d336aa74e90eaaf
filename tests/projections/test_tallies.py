"""Poll tallies: each kind's counting on hand-made ballots, turnout, views, breakdowns, CSV, and the fold's
determinism (one event at a time equals the whole stream)."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.poll_kinds import Question
from domain.polls import Poll
from projections.tallies import (
    COLUMNS,
    Tally,
    apply,
    apply_any,
    breakdown_view,
    csv_cell,
    fold,
    own_ballot,
    results_view,
    to_csv,
)
from projections.tally_kinds import TextCount, count_for, phrase, words
from tests.domain.test_polls import OPTIONS, SURVEY, PollRoom

PEOPLE = ["Ann", "Bob", "Cy", "Dee", "Eve"]


def stream(room: PollRoom) -> list[tuple[int, Any]]:
    return [(n.id, room.app.mapper.to_domain_event(n)) for n in room.app.recorder.select_notifications(1, 100_000)]


def tally(room: PollRoom, alias: str = "p") -> Tally:
    return fold(room.polls[alias], stream(room))


def results(room: PollRoom, alias: str = "p") -> list[dict[str, Any]]:
    view = results_view(tally(room, alias), len(PEOPLE), reveal=True)
    out: list[dict[str, Any]] = view["results"]
    return out


def voted(kind: str, ballots: list[Any], questions: list[dict[str, Any]] | None = None) -> PollRoom:
    """A poll of ``kind`` (options A-D unless ``questions`` says otherwise): PEOPLE vote ``ballots``."""
    r = PollRoom()
    r.people(*PEOPLE)
    r.given(
        r.create(kind=kind, questions=questions or [{"options": ["A", "B", "C", "D"]}]),
        r.command("open_poll"),
    )
    r.given(*[r.vote(PEOPLE[i], b) for i, b in enumerate(ballots)])
    return r


def by_id(rows: list[dict[str, Any]], *fields: str) -> dict[str, tuple[Any, ...]]:
    return {row["id"]: tuple(row[f] for f in fields) for row in rows}


# ------------------------------------------------------------------------------------------------------------
# Counting, kind by kind.


class TestSingleAndMultipleChoice:
    def test_counts_and_shares_of_respondents_with_a_tie_at_the_top(self) -> None:
        [q] = results(voted("single", ["o1", "o1", "o2", "o2", "o3"]))
        assert q["respondents"] == 5
        assert by_id(q["options"], "count", "percent") == {
            "o1": (2, 40.0),
            "o2": (2, 40.0),
            "o3": (1, 20.0),
            "o4": (0, 0.0),
        }
        assert q["top"] == ["o1", "o2"]

    def test_multiple_choice_shares_add_up_to_more_than_100(self) -> None:
        questions = [{"options": OPTIONS, "max_choices": 2}]
        [q] = results(voted("multiple", [["o1", "o2"], ["o1"]], questions))
        assert q["respondents"] == 2
        assert by_id(q["options"], "count", "percent") == {"o1": (2, 100.0), "o2": (1, 50.0), "o3": (0, 0.0)}
        assert q["top"] == ["o1"]

    def test_no_ballots_no_top(self) -> None:
        [q] = results(voted("single", []))
        assert q["top"] == [] and q["respondents"] == 0


class TestScale:
    @pytest.mark.parametrize(
        ("ballots", "mean", "median"),
        [
            ([1, 2, 4, 5], 3.0, 3.0),
            ([1, 5, 5], 3.67, 5.0),
            ([4], 4.0, 4.0),
            ([2, 3], 2.5, 2.5),
            ([], None, None),
        ],
    )
    def test_mean_median_and_distribution(self, ballots: list[int], mean: float | None, median: float | None) -> None:
        [q] = results(voted("scale", ballots, [{"scale": "1-5", "low_label": "useless", "high_label": "great"}]))
        assert (q["mean"], q["median"]) == (mean, median)
        assert [d["value"] for d in q["distribution"]] == [1, 2, 3, 4, 5]
        assert sum(d["count"] for d in q["distribution"]) == len(ballots)
        assert "nps" not in q

    def test_net_promoter_score_on_0_to_10(self) -> None:
        r = PollRoom()
        people = [f"P{i}" for i in range(7)]
        r.people(*people)
        r.given(r.create(kind="scale", questions=[{"scale": "0-10"}]), r.command("open_poll"))
        r.given(*[r.vote(p, v) for p, v in zip(people, [10, 9, 8, 7, 6, 0, 10], strict=True)])
        [q] = results(r)
        # 3 promoters (9-10), 2 passives (7-8), 2 detractors (0-6): 100 * (3 - 2) / 7
        assert q["nps"] == {"score": 14.3, "promoters": 3, "passives": 2, "detractors": 2}
        assert q["median"] == 8.0 and len(q["distribution"]) == 11
        assert [d["count"] for d in q["distribution"]] == [1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]


class TestRankingBorda:
    def test_points_for_full_and_partial_rankings(self) -> None:
        # 4 options: first place 3 points, then 2, 1, 0; options left out of a partial ranking score 0.
        [q] = results(voted("ranking", [["o1", "o2", "o3", "o4"], ["o2", "o1"], ["o3"], ["o4", "o3", "o2", "o1"]]))
        assert by_id(q["options"], "points", "first_places") == {
            "o1": (3 + 2 + 0, 1),
            "o2": (2 + 3 + 1, 1),
            "o3": (1 + 3 + 2, 1),
            "o4": (0 + 3, 1),
        }
        # o2 and o3 tie on points and first places: option order decides, and both are flagged.
        assert q["order"] == ["o2", "o3", "o1", "o4"]
        assert by_id(q["options"], "rank", "tie") == {
            "o2": (1, True),
            "o3": (2, True),
            "o1": (3, False),
            "o4": (4, False),
        }

    def test_equal_points_fewer_first_places_ranks_lower(self) -> None:
        r = PollRoom()
        r.people(*PEOPLE)
        r.given(r.create(kind="ranking", questions=[{"options": ["A", "B", "C"]}]), r.command("open_poll"))
        # 3 options: 2, 1, 0 points. A is second twice (2 points, no first place), B first once (2 points).
        r.given(r.vote("Ann", ["o3", "o1", "o2"]), r.vote("Bob", ["o3", "o1"]), r.vote("Cy", ["o2"]))
        [q] = results(r)
        assert by_id(q["options"], "points", "first_places") == {"o1": (2, 0), "o2": (2, 1), "o3": (4, 2)}
        assert q["order"] == ["o3", "o2", "o1"]
        assert not any(o["tie"] for o in q["options"])


class TestOpenText:
    def test_words_are_case_folded_without_punctuation_stop_words_or_short_words(self) -> None:
        assert words("More COFFEE, please! Coffee...") == {"coffee", "please"}
        assert words("Più caffè e meno riunioni, dell'innovazione") == {"caffè", "riunioni", "innovazione"}
        assert words("the end of 2024 is ok") == {"end"}
        assert words("e-mail & co_op") == {"mail"}

    def test_words_keep_emoji_whole(self) -> None:
        assert words("Great 👍🏽 idea ❤️ 🇮🇹 👨‍👩‍👧") == {"great", "idea", "👍🏽", "❤️", "🇮🇹", "👨‍👩‍👧"}

    def test_a_phrase_is_keyed_without_case_accents_or_surrounding_punctuation(self) -> None:
        assert phrase("  Best practices!! ") == ("best practices", "Best practices")
        assert phrase("«best  pràctices»") == ("best practices", "best pràctices")
        assert phrase("Market\nintelligence.") == ("market intelligence", "Market intelligence")
        assert phrase("🚀 data sharing 🚀") == ("🚀 data sharing 🚀", "🚀 data sharing 🚀")
        assert phrase("ﬁne") == ("fine", "ﬁne")  # NFKC: the ligature is two letters in the key
        assert phrase("?!") == ("", "")

    def test_the_cloud_counts_whole_answers_shown_in_their_most_common_spelling(self) -> None:
        answers = ["Best practices", "best practices!", "best practices", "Market intelligence", "data sharing",
                   "Data sharing.", "🚀", "🚀", "🚀", "?"]  # fmt: skip
        [q] = results(voted("text", answers[:5], [{"prompt": "Takeaway?"}]))
        assert q["cloud"] == "phrases"
        assert q["words"] == [["best practices", 3], ["data sharing", 1], ["Market intelligence", 1]]
        r = PollRoom()
        r.people(*[f"P{i}" for i in range(len(answers))])
        r.given(r.create(kind="text", questions=[{"prompt": "Takeaway?"}]), r.command("open_poll"))
        r.given(*[r.vote(f"P{i}", a) for i, a in enumerate(answers)])
        [q] = results_view(tally(r), len(answers), reveal=True)["results"]
        assert q["words"] == [
            ["best practices", 3], ["🚀", 3], ["Data sharing", 2], ["Market intelligence", 1]
        ]  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(to_csv(tally(r)))))
        assert [(row["row"], row["item"], row["count"]) for row in rows[1:3]] == [
            ("phrase", "best practices", "3"), ("phrase", "🚀", "3")
        ]  # fmt: skip

    def test_word_mode_is_chosen_per_question_and_is_what_questions_stored_before_counted(self) -> None:
        assert Question.from_dict({"id": "q1", "kind": "text"}).cloud == "words"  # an old stream's question
        [q] = results(voted("text", ["Best practices 🚀", "best ideas"], [{"prompt": "?", "cloud": "words"}]))
        assert q["cloud"] == "words" and q["words"] == [["best", 2], ["ideas", 1], ["practices", 1], ["🚀", 1]]

    def test_a_question_stored_before_the_cloud_setting_drops_emoji_as_it_did(self) -> None:
        """An old stream's text question counts words without emoji, so its replay shows the cloud it showed."""
        old = TextCount(Question.from_dict({"id": "q1", "kind": "text", "prompt": "?"}))
        new = TextCount(Question.from_dict({"id": "q1", "kind": "text", "prompt": "?", "cloud": "words"}))
        for count in (old, new):
            for answer in ("Best practices 🚀", "best ideas 🚀"):
                count.add(answer, 1)
        assert old.result(200)["words"] == [["best", 2], ["ideas", 1], ["practices", 1]]
        assert new.result(200)["words"] == [["best", 2], ["🚀", 2], ["ideas", 1], ["practices", 1]]

    def test_the_word_list_counts_answers_using_a_word_and_lists_answers_alphabetically(self) -> None:
        [q] = results(
            voted(
                "text",
                ["coffee coffee coffee", "More coffee breaks!", "beer", "Beer", "beer"],
                [{"prompt": "What would help?", "cloud": "words"}],
            )
        )
        assert q["words"] == [["beer", 3], ["coffee", 2], ["breaks", 1]]
        assert q["answers"] == ["Beer", "beer", "beer", "coffee coffee coffee", "More coffee breaks!"]
        assert q["respondents"] == 5


class TestDots:
    def test_dots_per_item_share_of_all_dots_and_voters(self) -> None:
        items = [
            {"id": "c1", "label": "Shared labs", "source": "group:g1/contribution:c1"},
            "Open data",
            "Mentors",
        ]
        questions = [{"options": items, "dots": 4, "max_per_item": 2}]
        [q] = results(voted("dots", [{"c1": 2, "o2": 2}, {"c1": 1, "o3": 2}], questions))
        assert by_id(q["items"], "dots", "percent", "voters", "source") == {
            "c1": (3, 42.9, 2, "group:g1/contribution:c1"),
            "o2": (2, 28.6, 1, ""),
            "o3": (2, 28.6, 1, ""),
        }
        assert q["top"] == ["c1"] and q["dots_total"] == 7 and q["respondents"] == 2


class TestSurveyAndBallots:
    def test_each_question_is_tallied_on_its_own(self) -> None:
        r = PollRoom()
        r.people(*PEOPLE)
        r.given(r.create(**SURVEY), r.command("open_poll"))
        r.given(r.vote("Ann", answers={"q1": "o1", "q3": 5}), r.vote("Bob", answers={"q3": 3, "q5": "Nice"}))
        view = results_view(tally(r), 5, reveal=True)
        assert [q["respondents"] for q in view["results"]] == [1, 0, 2, 0, 1, 0]
        assert view["turnout"] == {"voted": 2, "present": 5, "percent": 40.0}

    def test_a_replaced_ballot_and_a_retried_one_count_once(self) -> None:
        r = PollRoom()
        r.people(*PEOPLE)
        r.given(r.create(), r.command("open_poll"))
        r.given(r.vote("Ann", "o1"), r.vote("Bob", "o3", id="bob-1"))
        r.given(r.vote("Ann", "o2"), r.vote("Bob", "o3", id="bob-1"))
        r.given(r.vote("Bob", "o3", id="bob-1"))
        t = tally(r)
        [q] = results_view(t, 5, reveal=True)["results"]
        assert by_id(q["options"], "count") == {"o1": (0,), "o2": (1,), "o3": (1,)}
        assert len(t.ballots) == 2 and own_ballot(t, r.s.ids["Ann"]) == {"q1": "o2"}
        assert own_ballot(t, r.s.ids["Cy"]) is None

    def test_hidden_results_show_the_poll_and_turnout_only(self) -> None:
        r = voted("single", ["o1", "o2"])
        view = results_view(tally(r), 4, reveal=False)
        assert view["results"] is None and view["revealed"] is False
        assert view["turnout"] == {"voted": 2, "present": 4, "percent": 50.0}
        assert view["poll"]["state"] == "open" and view["poll"]["questions"][0]["options"][0]["label"] == "A"
        assert results_view(tally(r), 0, reveal=False)["turnout"]["percent"] == 0.0
        assert results_view(tally(r), 1, reveal=False)["turnout"]["percent"] == 100.0  # capped

    def test_lifecycle_and_visibility_reach_the_view(self) -> None:
        r = voted("single", ["o1"])
        r.given(r.command("set_results_visibility", {"visibility": "shown"}), r.command("close_poll"))
        poll = results_view(tally(r), 5, reveal=True)["poll"]
        assert (poll["state"], poll["visibility"]) == ("closed", "shown")
        assert poll["opened_at"] and poll["closed_at"] >= poll["opened_at"]

    def test_a_closed_polls_turnout_counts_who_could_vote_when_it_closed(self) -> None:
        r = PollRoom()
        r.people(*PEOPLE)
        r.given(r.create(), r.command("open_poll"), r.vote("Ann", "o1"), r.vote("Bob", "o2"), r.command("close_poll"))
        r.people("Fay", "Gus", "Hal")  # they join after the close: the poll's turnout must not move
        assert results_view(tally(r), 8, reveal=True)["turnout"] == {"voted": 2, "present": 5, "percent": 40.0}

    def test_a_reopened_poll_counts_who_can_vote_now_until_it_closes_again(self) -> None:
        r = voted("single", ["o1"])
        r.given(r.command("close_poll"), r.command("reopen_poll"))
        assert results_view(tally(r), 9, reveal=True)["turnout"]["present"] == 9
        r.people("Fay")
        r.given(r.command("close_poll", id="close-again"))
        assert results_view(tally(r), 9, reveal=True)["turnout"]["present"] == len(PEOPLE) + 1

    def test_a_close_recorded_before_eligibility_was_kept_counts_who_can_vote_now(self) -> None:
        r = voted("single", ["o1"])
        r.given(r.command("close_poll"))
        t = tally(r)
        t.eligible = None  # what a version-1 Closed event (no eligible count) folds to
        assert results_view(t, 7, reveal=True)["turnout"]["present"] == 7


# ------------------------------------------------------------------------------------------------------------
# Breakdowns.


class TestBreakdowns:
    def test_a_named_poll_breaks_down_by_country_sector_or_organisation(self) -> None:
        r = PollRoom()
        r.people("Ann", "Bob", country="IT")
        r.people("Cy", country="FR", organisation="Agency Z", sector="Energy")
        r.given(r.create(), r.command("open_poll"))
        r.given(r.vote("Ann", "o1"), r.vote("Bob", "o2"), r.vote("Cy", "o2"))
        view = breakdown_view(tally(r), "country")
        assert view is not None and view["threshold"] == 0
        cells = {c["value"]: (c["voters"], by_id(c["results"][0]["options"], "count")) for c in view["cells"]}
        assert cells == {
            "IT": (2, {"o1": (1,), "o2": (1,), "o3": (0,)}),
            "FR": (1, {"o1": (0,), "o2": (1,), "o3": (0,)}),
        }
        organisations = breakdown_view(tally(r), "organisation")
        assert organisations is not None
        assert [c["value"] for c in organisations["cells"]] == ["Cluster X", "Agency Z"]
        assert breakdown_view(tally(r), "name") is None

    def test_a_secret_poll_breaks_down_only_if_allowed_and_only_by_that(self) -> None:
        r = PollRoom()
        r.people(*PEOPLE)
        r.given(r.create(secret=True), r.command("open_poll"), r.vote("Ann", "o1"))
        assert breakdown_view(tally(r), "country") is None
        r.given(r.create("q", secret=True, breakdown="sector"))
        assert breakdown_view(tally(r, "q"), "country") is None
        assert breakdown_view(tally(r, "q"), "sector") is not None

    def test_secret_cells_below_five_voters_merge_into_other(self) -> None:
        r = PollRoom()
        for country in ("IT", "FR", "DE"):
            r.people(*[f"{country}{i}" for i in range(5)], country=country)
        r.given(r.create(secret=True, breakdown="country"), r.command("open_poll"))
        voters = [f"IT{i}" for i in range(5)] + [f"FR{i}" for i in range(5)] + ["DE0", "DE1"]
        r.given(*[r.vote(v, "o1" if v.startswith("IT") else "o2") for v in voters])
        view = breakdown_view(tally(r), "country")
        assert view is not None and view["threshold"] == 5
        # DE's 2 voters alone would show; FR (the smallest kept cell) joins them in "other".
        cells = [(c["value"], c["other"], c["voters"]) for c in view["cells"]]
        assert cells == [("IT", False, 5), (None, True, 7)]
        other = view["cells"][1]["results"][0]
        assert by_id(other["options"], "count")["o2"] == (7,)

    def test_organisation_type_breaks_down_named_and_allowed_secret_polls(self) -> None:
        r = PollRoom()
        r.people(*[f"C{i}" for i in range(5)], organisation_type="cluster")
        r.people(*[f"R{i}" for i in range(5)], organisation_type="research")
        r.people("X0")  # said nothing: counted under ""
        r.given(r.create(), r.create("q", secret=True, breakdown="organisation_type"))
        r.given(r.command("open_poll"), r.command("open_poll", poll="q"))
        everyone = [f"C{i}" for i in range(5)] + [f"R{i}" for i in range(5)] + ["X0"]
        r.given(*[r.vote(v, "o1" if v[0] == "C" else "o2") for v in everyone])
        r.given(*[r.vote(v, "o1" if v[0] == "C" else "o2", poll="q") for v in everyone])
        named = breakdown_view(tally(r), "organisation_type")
        assert named is not None
        assert [(c["value"], c["voters"]) for c in named["cells"]] == [("cluster", 5), ("research", 5), (None, 1)]
        secret = breakdown_view(tally(r, "q"), "organisation_type")
        assert secret is not None
        # The one person who gave no type is never a cell of their own: with the smallest kept cell in "other".
        assert all(c["voters"] >= 5 for c in secret["cells"])
        assert sum(c["voters"] for c in secret["cells"]) == 11


# ------------------------------------------------------------------------------------------------------------
# The fold.


class TestFold:
    def test_events_of_other_polls_and_aggregates_are_ignored(self) -> None:
        r = voted("single", ["o1"])
        r.given(r.create("q"), r.command("open_poll", poll="q"), r.vote("Ann", "o2", poll="q"))
        t = tally(r)
        assert len(t.ballots) == 1 and t.position == stream(r)[-1][0]
        tallies: dict[UUID, Tally] = {}
        for position, event in stream(r):
            apply_any(tallies, event, position)
        assert set(tallies) == {r.polls["p"], r.polls["q"]}
        assert results_view(tallies[r.polls["q"]], 5, True) == results_view(tally(r, "q"), 5, True)


_answers = st.fixed_dictionaries(
    {},
    optional={
        "q1": st.sampled_from(["o1", "o2", "o3"]),
        "q2": st.lists(st.sampled_from(["o1", "o2", "o3"]), min_size=1, max_size=2, unique=True),
        "q3": st.integers(1, 5),
        "q4": st.permutations(["o1", "o2", "o3"]).flatmap(lambda p: st.integers(1, 3).map(lambda k: p[:k])),
        "q5": st.lists(
            st.sampled_from(["Coffee", "coffee!", "breaks", "the", "Pausa", "più", "lunga"]),
            min_size=1,
            max_size=4,
        ).map(" ".join),
        "q6": st.dictionaries(st.sampled_from(["o1", "o2", "o3"]), st.integers(1, 2), min_size=1, max_size=2),
    },
).filter(bool)
_ballots = st.lists(st.tuples(st.sampled_from(PEOPLE), _answers, st.integers(0, 3)), max_size=12)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ballots, st.booleans())
def test_folding_one_event_at_a_time_equals_folding_the_whole_stream(
    ballots: list[tuple[str, dict[str, Any], int]], secret: bool
) -> None:
    r = PollRoom()
    r.people(*PEOPLE)
    r.given(r.create(**SURVEY, secret=secret), r.command("open_poll"))
    for person, answers, retry in ballots:
        # ids repeat across ballots: some are retries (answered as duplicates), some new ballots.
        r.execute([r.vote(person, answers=answers, id=f"{person}-{retry}")])
    events = stream(r)
    live = Tally(r.polls["p"])
    for i, (position, event) in enumerate(events, 1):
        apply(live, event, position)
        if i % 3 == 0 or i == len(events):
            assert results_view(live, 5, True) == results_view(fold(r.polls["p"], events[:i]), 5, True)
    # The running totals (ballots added and taken away again) equal a recount of the ballots that stand.
    recount = {q.id: count_for(q) for q in live.questions}
    for ballot in live.ballots.values():
        for question_id, answer in ballot.answers.items():
            recount[question_id].add(answer, 1)
    for q in live.questions:
        assert live.counts[q.id].result(10_000) == recount[q.id].result(10_000)
        assert live.counts[q.id].respondents == recount[q.id].respondents
    assert len(live.ballots) == len({p for p, _, _ in ballots})


_moves = st.lists(
    st.tuples(st.sampled_from(PEOPLE), _answers, st.sampled_from(["", "IT", "FR", "DE"])), min_size=1, max_size=14
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_moves, st.booleans())
def test_breakdowns_kept_between_renders_equal_a_recount(
    moves: list[tuple[str, dict[str, Any], str]], secret: bool
) -> None:
    """A dashboard asks for breakdowns every tick; what it gets, from cells kept up to date with the ballots cast
    and replaced since, is what counting every ballot afresh gives (people move country between ballots)."""
    r = PollRoom()
    for person, country in zip(PEOPLE, ("IT", "IT", "FR", "DE", "ES"), strict=True):
        r.people(person, country=country)
    r.given(r.create(**SURVEY, secret=secret, breakdown="country" if secret else ""), r.command("open_poll"))
    live = Tally(r.polls["p"])
    dimensions = ("country",) if secret else ("country", "sector", "organisation_type")
    seen = 0
    for i, (person, answers, country) in enumerate(moves):
        if country:
            r.execute([r.command("update_profile", {"country": country}, r.as_(person))])
        r.execute([r.vote(person, answers=answers)])
        events = stream(r)
        for position, event in events[seen:]:
            apply(live, event, position)
        seen = len(events)
        for by in dimensions[: 1 + i % len(dimensions)]:  # dimensions asked for at different times
            assert breakdown_view(live, by) == breakdown_view(fold(r.polls["p"], events), by)


# ------------------------------------------------------------------------------------------------------------
# CSV.


class TestCsv:
    def test_one_row_per_option_quoted_and_safe_against_formula_injection(self) -> None:
        r = PollRoom()
        r.people(*PEOPLE)
        options = ['=HYPERLINK("http://x")', "+1 more", "-20% cost", "@SUM(A1)", 'Say "hi", please']
        questions = [
            {"kind": "single", "prompt": "=1+1", "options": options},
            {"kind": "text"},
            {"kind": "scale", "scale": "0-10"},
        ]
        r.given(r.create(kind="survey", title="-Poll", questions=questions), r.command("open_poll"))
        r.given(
            r.vote("Ann", answers={"q1": "o1", "q2": "=cmd|' /C calc'!A0\nsecond line", "q3": 0}),
            r.vote("Bob", answers={"q1": "o5", "q2": "Fine, thanks", "q3": 2}),
        )
        text = to_csv(tally(r))
        assert text.endswith("\r\n")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert tuple(rows[0]) == COLUMNS
        q1 = [row for row in rows if row["question_id"] == "q1"]
        assert [row["row"] for row in q1] == ["summary"] + ["option"] * 5
        assert [row["item"] for row in q1[1:]] == [
            '\'=HYPERLINK("http://x")',
            "'+1 more",
            "'-20% cost",
            "'@SUM(A1)",
            'Say "hi", please',
        ]
        assert [row["count"] for row in q1[1:]] == ["1", "0", "0", "0", "1"]
        assert {row["poll"] for row in rows} == {"'-Poll"} and q1[0]["question"] == "'=1+1"
        answers = [row["item"] for row in rows if row["row"] == "answer"]
        assert answers == ["'=cmd|' /C calc'!A0\nsecond line", "Fine, thanks"]
        scale = next(row for row in rows if row["question_id"] == "q3" and row["row"] == "summary")
        assert (scale["mean"], scale["median"], scale["nps"], scale["respondents"]) == (
            "1.0",
            "1.0",
            "-100.0",
            "2",
        )
        assert len([row for row in rows if row["question_id"] == "q3" and row["row"] == "value"]) == 11

    @pytest.mark.parametrize(
        ("value", "cell"),
        [
            ("=A1", "'=A1"),
            ("+A1", "'+A1"),
            ("-A1", "'-A1"),
            ("@A1", "'@A1"),
            ("\tA1", "'\tA1"),
            ("A=1", "A=1"),
            ("", ""),
            (None, ""),
            (-3, "-3"),
            (2.5, "2.5"),
        ],
    )
    def test_cells(self, value: Any, cell: str) -> None:
        assert csv_cell(value) == cell


def test_every_event_class_has_a_fold_handler() -> None:
    from projections.tallies import HANDLERS

    events = {v for v in vars(Poll).values() if isinstance(v, type) and issubclass(v, Poll.Event)}
    assert events - {Poll.Event} == set(HANDLERS)
