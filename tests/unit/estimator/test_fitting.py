"""The least squares of the cost model: the prior until data outweighs it, old data fading,
no negative coefficient, stored and read back whole."""

import pytest

from textmill_estimator.domain.fitting import LeastSquares


def test_with_no_observation_the_fit_is_the_prior():
    fit = LeastSquares(prior=[3.0, 1.0], strength=[1.0, 1.0])
    assert fit.coefficients() == pytest.approx([3.0, 1.0])


def test_enough_data_outweighs_the_prior():
    # Given y = 2 + 5x observed many times over x in 0..9, and a weak prior far from it
    fit = LeastSquares(prior=[100.0, 0.0], strength=[0.01, 0.01], decay=1.0)
    for x in range(10):
        for _ in range(20):
            fit.observe([1.0, x], 2 + 5 * x)
    # Then the fit finds the line
    assert fit.coefficients() == pytest.approx([2.0, 5.0], rel=0.01)


def test_old_observations_fade_so_a_changed_speed_is_learnt():
    # Given a chain that took 10 per unit, then 20 per unit on the same inputs
    fit = LeastSquares(prior=[0.0], strength=[0.001], decay=0.9)
    for _ in range(50):
        fit.observe([1.0], 10.0)
    for _ in range(50):
        fit.observe([1.0], 20.0)
    # Then the fit has moved to the newer speed
    assert fit.coefficients()[0] == pytest.approx(20.0, rel=0.01)


def test_a_coefficient_that_would_be_negative_is_held_at_zero():
    # Given data with y falling as x rises, which a line fits with a negative slope
    fit = LeastSquares(prior=[0.0, 0.0], strength=[0.001, 0.001], decay=1.0)
    for x, y in [(1, 9.0), (2, 8.0), (3, 7.0)]:
        fit.observe([1.0, x], y)
    a, b = fit.coefficients()
    # Then the slope is held at zero and the intercept takes the mean
    assert b == 0.0
    assert a == pytest.approx(8.0, rel=1e-3)


def test_a_single_observation_is_explained_in_the_priors_shape():
    # Given one observation of 12 at x = [1, 1]
    fit = LeastSquares(prior=[10.0, 0.0], strength=[0.01, 0.01])
    fit.observe([1.0, 1.0], 12.0, w=10.0)
    a, b = fit.coefficients()
    # Then the fit explains it (nearly) and stays near the prior otherwise
    assert a + b == pytest.approx(12.0, rel=0.01)
    assert a > b >= 0


def test_a_fit_is_stored_and_read_back_whole():
    fit = LeastSquares(prior=[1.0, 2.0], strength=[0.5, 0.5])
    fit.observe([1.0, 3.0], 7.0)
    stored = fit.as_dict()
    assert all(not isinstance(value, list) for value in stored["xtx"])  # no nested arrays
    again = LeastSquares.from_dict(stored)
    assert again.coefficients() == fit.coefficients()
    assert again.observations == 1


def test_a_prior_without_a_strength_for_each_coefficient_is_refused():
    with pytest.raises(ValueError, match="strength"):
        LeastSquares(prior=[1.0, 2.0], strength=[1.0])
