"""What the fuzz tests share: hypothesis settings, nasty strings, arbitrary JSON values, and `Findings`, which
collects outcomes and failures and adds the number of cases run to the terminal summary (``FUZZ_COUNTS``)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.server.support import FUZZ_COUNTS

EXAMPLES = 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)
NASTY = [
    "",
    " ",
    "IT",
    "it",
    "XX",
    "en",
    "it",
    "Agrifood",
    "plenary",
    "break",
    "10:30",
    "24:00",
    "2026-11-22",
    "2026-02-30",
    "x" * 81,
    "x" * 121,
    "x" * 201,
    "A\x00B",
    "new\nline",
    "\u202eevil",
    "\u200b",
    "\ud800",
    "x\udfff",
    "\U0001f600",
    "é" * 80,
    "$item",
    "$running",
    "$participant",
    "$other",
    "t" * 43,
    "t" * 129,
]

text = st.one_of(st.text(st.characters(exclude_categories=()), max_size=20), st.sampled_from(NASTY))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.integers(),
    st.floats(),  # NaN and +-Infinity included: every command refuses them as invalid_args
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 10**30, 2**64, 1e308]),
    text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)


class Findings:
    """Outcomes of a fuzz run, and what broke (one example per kind of failure): the run goes on after a
    failure, so one known bug does not hide the others."""

    def __init__(self, name: str, minimum: int = EXAMPLES // 2) -> None:
        self.name, self.minimum = name, minimum
        self.outcomes: dict[str, int] = {}
        self.failures: dict[str, str] = {}

    def outcome(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1

    def failed(self, kind: str, example: str) -> None:
        self.outcome("FAILED")
        self.failures.setdefault(kind, example[:600])

    def check(self) -> None:
        total = sum(self.outcomes.values())
        FUZZ_COUNTS[self.name] = total
        print(f"{self.name}: {total} cases, outcomes {dict(sorted(self.outcomes.items()))}")
        assert not self.failures, (
            f"{self.name}: {len(self.failures)} kind(s) of failure in {total} cases:\n"
            + "\n".join(f"- {kind}\n    e.g. {example}" for kind, example in self.failures.items())
        )
        assert total >= self.minimum, f"{self.name}: only {total} cases ran ({self.outcomes})"


def kind_of(error: AssertionError) -> str:
    """A short name for a failure, for grouping: the assertion's text up to its details."""
    text = str(error).split("\n")[0]
    for stop in (" (", ";", " after ", " for "):
        text = text.split(stop)[0]
    return text[:90]
