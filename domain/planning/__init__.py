"""Pure planners: plain values in, a plan out. Nothing here imports the rest of Tavolo, reads a clock (unless
asked to stop at a time limit) or keeps state between calls, so each planner is testable and benchmarkable alone,
and the domain records the plan a planner returned instead of re-running it on replay."""
