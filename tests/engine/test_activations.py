"""nnapprox.engine.activations: derivatives, stability, conventions at kinks, the registry."""

import warnings

import numpy as np
import pytest

from nnapprox import MLP
from nnapprox.engine.activations import ACTIVATIONS, get_activation

ACTS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "heaviside", "relu2", "relu3"]


# --- activations -------------------------------------------------------------


@pytest.mark.parametrize("name", ACTS)
def test_activation_derivative_matches_finite_differences(name):
    act = get_activation(name)
    z = np.linspace(-4, 4, 401) + 0.0123  # avoid the ReLU kink at exactly 0
    a = act.value(z)
    h = 1e-6
    num = (act.value(z + h) - act.value(z - h)) / (2 * h)
    np.testing.assert_allclose(act.deriv(z, a), num, rtol=1e-7, atol=1e-9)


def test_sigmoid_is_stable_for_huge_inputs():
    act = get_activation("sigmoid")
    z = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow warning fails the test
        a = act.value(z)
    assert np.all(np.isfinite(a))
    assert a[0] == 0.0 and a[-1] == 1.0 and a[3] == 0.5
    np.testing.assert_allclose(a[2], 1 / (1 + np.exp(30.0)), rtol=1e-14)


def test_relu_convention_at_zero_and_leaky_slope():
    z = np.array([-2.0, 0.0, 3.0])
    relu = get_activation("relu")
    np.testing.assert_array_equal(relu.deriv(z, relu.value(z)), [0.0, 1.0, 1.0])
    leaky = get_activation("leaky_relu", slope=0.2)
    np.testing.assert_allclose(leaky.value(z), [-0.4, 0.0, 3.0])
    np.testing.assert_allclose(leaky.deriv(z, leaky.value(z)), [0.2, 1.0, 1.0])
    np.testing.assert_allclose(get_activation("leaky_relu").value(z), [-0.02, 0.0, 3.0])


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="activation='foo'.*sigmoid.*tanh"):
        get_activation("foo")
    with pytest.raises(ValueError, match="activation='swish'"):
        MLP([1, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="slope"):
        get_activation("leaky_relu", slope=2.0)
    assert set(ACTIVATIONS) == set(ACTS)
