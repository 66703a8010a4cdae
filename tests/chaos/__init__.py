"""The chaos suite: runs of 200,000 cells against the real local stack while a part of it
is killed, stopped or restarted, each checked for every cell stored, exported and streamed
exactly once, and timed against an unfaulted run. `make chaos` runs it (`python -m
tests.chaos`); it is no pytest module, so no other suite collects it."""
