"""Anomaly detection: the first backward that produces NaN or Inf names its op and the user's line.

Inside ``detect_anomaly()`` each recorded op keeps the stack where it was created; backward
checks every gradient it computes and raises at the first non-finite one.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from minigrad.errors import AutogradError

THIS_FILE = os.path.basename(__file__)

# the NaN and Inf these tests provoke also make NumPy warn; the warnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def anomaly_off_afterwards():
    yield
    set_detect_anomaly(False)


def raised_by_backward(loss) -> str:
    with pytest.raises(AutogradError) as info:
        loss.backward()
    return str(info.value)


def test_sqrt_at_zero_names_sqrt_and_the_line():
    x = minigrad.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # d sqrt(x) / dx = 1 / (2 sqrt(x)) is inf at 0
        message = raised_by_backward(y.sum())
    assert "SqrtBackward" in message
    assert THIS_FILE in message
    assert "y = x.sqrt()" in message


def test_log_at_zero_names_log():
    x = minigrad.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        loss = (x.log() * 2.0).sum()
        message = raised_by_backward(loss)
    assert "LogBackward" in message and "loss = (x.log() * 2.0).sum()" in message


def test_division_by_zero_names_div():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        ratio = a / b
        message = raised_by_backward(ratio.sum())
    assert "DivBackward" in message and "ratio = a / b" in message and THIS_FILE in message


def test_the_first_op_in_backward_order_is_reported():
    """log(sqrt(0)): backward reaches LogBackward before SqrtBackward; both give inf."""
    x = minigrad.tensor([0.0], requires_grad=True)
    with detect_anomaly():
        root = x.sqrt()
        logged = root.log()
        message = raised_by_backward(logged.sum())
    assert "LogBackward" in message and "logged = root.log()" in message
    assert "SqrtBackward" not in message
    assert x.grad is None  # nothing reached the leaf


def test_op_created_inside_a_library_function_shows_the_users_call():
    logits = minigrad.tensor([[float("inf"), 1.0]], requires_grad=True)
    with detect_anomaly():
        loss = F.cross_entropy(logits, minigrad.tensor([1]))
        message = raised_by_backward(loss)
    assert "LogSoftmaxBackward" in message
    assert "loss = F.cross_entropy(logits, minigrad.tensor([1]))" in message
    assert "inside minigrad: cross_entropy" in message


def test_message_says_which_input_and_its_shape():
    a = minigrad.tensor([[1.0, 2.0]], requires_grad=True)
    b = minigrad.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        message = raised_by_backward((a / b).sum())
    assert "input 0" in message and "[1, 2]" in message


def test_set_detect_anomaly_switches_on_and_off():
    x = minigrad.tensor([0.0], requires_grad=True)
    set_detect_anomaly(True)
    assert is_anomaly_enabled()
    y = x.sqrt()
    message = raised_by_backward(y.sum())
    assert "SqrtBackward" in message and "y = x.sqrt()" in message
    set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()).all()


def test_without_anomaly_mode_nan_flows_silently():
    x = minigrad.tensor([0.0, 1.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.5


def test_finite_gradients_pass_in_anomaly_mode():
    x = minigrad.tensor([1.0, 4.0], requires_grad=True)
    with detect_anomaly():
        x.sqrt().log().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.125])


def test_context_restores_the_previous_setting_even_on_error():
    assert not is_anomaly_enabled()
    with pytest.raises(ZeroDivisionError):
        with detect_anomaly():
            assert is_anomaly_enabled()
            1 / 0  # noqa: B018
    assert not is_anomaly_enabled()
    set_detect_anomaly(True)
    with detect_anomaly(check_nan=False):
        assert not is_anomaly_enabled()
    assert is_anomaly_enabled()


def test_forward_outside_anomaly_mode_says_the_place_was_not_recorded():
    x = minigrad.tensor([0.0], requires_grad=True)
    y = x.sqrt()
    with detect_anomaly():
        message = raised_by_backward(y.sum())
    assert "SqrtBackward" in message and "not recorded" in message
