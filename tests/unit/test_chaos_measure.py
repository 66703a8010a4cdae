"""The chaos suite's reading of progress samples: when a run moved again after a fault."""

from tests.chaos.measure import Sample, done_at, moved_again, went_backwards

# Progress every 0.5 s, stalled from t=3 (a fault at 2.5, progress in flight lands at 3),
# moving again at t=8.
SAMPLES = [Sample(t / 2, done) for t, done in enumerate([0, 10, 20, 30, 40, 50, 60] + [60] * 9)]
SAMPLES += [Sample(8.0, 70), Sample(8.5, 80)]


def test_progress_in_flight_at_the_fault_is_not_a_recovery():
    # Given a fault at 2.5 s, after which progress still reached 60 at 3 s
    # Then the run moved again when it passed 60, 5.5 s after the fault
    assert moved_again(SAMPLES, 2.5, settle=1.0) == 5.5


def test_a_run_that_never_moved_again_has_no_recovery_time():
    assert moved_again(SAMPLES[:16], 2.5, settle=1.0) is None


def test_from_a_server_back_the_first_move_counts():
    # Given the server back at 7 s: the run moved 1 s later
    assert moved_again(SAMPLES, 7.0) == 1.0


def test_cells_done_before_the_first_sample_are_none():
    assert done_at(SAMPLES, -1) == 0
    assert done_at(SAMPLES, 1.2) == 20


def test_progress_going_backwards_is_seen():
    assert not went_backwards(SAMPLES)
    assert went_backwards([*SAMPLES, Sample(9.0, 75)])
