"""The shared EM driver: a slow linear contraction stands in for an EM map.

x -> x* + A (x - x*) with A = diag(0.9, 0.5) converges like EM with 90% of
the information missing in one direction; its fixed point x* and the
number of plain steps to reach tol are known in closed form.
"""

import numpy as np
import pytest

from piaa.psychometrics._squarem import run_squarem

TARGET = np.array([1.0, -2.0])
RATES = np.array([0.9, 0.5])


def _em_map(x):
    # the log-likelihood rises towards the fixed point, as EM's does
    return TARGET + RATES * (x - TARGET), -float(np.sum((x - TARGET) ** 2))


def test_plain_em_takes_the_predicted_number_of_steps():
    x, n, converged = run_squarem(_em_map, np.zeros(2), 1000, 1e-8, accelerate=False)
    assert converged
    np.testing.assert_allclose(x, TARGET, atol=1e-7)
    # The slow coordinate starts 1 away and moves 0.1 * 0.9^k at step k+1;
    # EM stops at the first step smaller than tol: k = ceil(log(1e-7) / log(0.9)).
    assert n == int(np.ceil(np.log(1e-7) / np.log(0.9))) + 1


def test_squarem_reaches_the_same_point_in_fewer_e_steps():
    plain = run_squarem(_em_map, np.zeros(2), 1000, 1e-8, accelerate=False)
    fast = run_squarem(_em_map, np.zeros(2), 1000, 1e-8, accelerate=True)
    np.testing.assert_allclose(fast[0], TARGET, atol=1e-7)
    assert fast[2] and fast[1] < plain[1] / 3


def test_callback_numbers_every_e_step_and_cap_is_honoured():
    seen = []
    x, n, converged = run_squarem(_em_map, np.zeros(2), 7, 1e-12,
                                  callback=lambda i, ll: seen.append(i))
    assert not converged and n == 7 and seen == list(range(1, 8))


def test_inadmissible_jumps_are_pulled_back():
    seen_jumps = []

    def admissible(x):
        seen_jumps.append(x.copy())
        return bool(x[0] <= 1.0)      # the parameter space ends at the fixed point

    x, _, converged = run_squarem(_em_map, np.zeros(2), 1000, 1e-8, admissible=admissible)
    assert converged and seen_jumps
    np.testing.assert_allclose(x, TARGET, atol=1e-7)


@pytest.mark.parametrize("accelerate", [True, False])
def test_start_at_the_fixed_point_stops_after_one_e_step(accelerate):
    x, n, converged = run_squarem(_em_map, TARGET.copy(), 50, 1e-8, accelerate)
    assert converged and n == 1
