"""gradcheck itself: it passes correct gradients and names the culprit of a wrong one."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.autograd.function import Function


class WrongSin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x) * 1.01  # 1% off


def test_passes_a_correct_gradient():
    x = ab.randn(3, 4, dtype=ab.float64, requires_grad=True)
    y = ab.randn(4, dtype=ab.float64, requires_grad=True)
    assert ab.gradcheck(lambda a, b: (a * b).sin().sum(0), (x, y))


def test_reports_the_worst_element_and_both_values():
    x = ab.tensor([0.1, 0.2, 3.0], dtype=ab.float64, requires_grad=True)
    with pytest.raises(ab.GradcheckError) as error:
        ab.gradcheck(WrongSin.apply, (x,))
    message = str(error.value)
    assert "input 0" in message and "index (" in message
    assert "backprop gives" in message and "finite differences give" in message


def test_can_return_false_instead_of_raising():
    x = ab.tensor([0.5], dtype=ab.float64, requires_grad=True)
    assert ab.gradcheck(WrongSin.apply, (x,), raise_exception=False) is False


def test_float32_inputs_are_checked_in_float64():
    x = ab.randn(5, requires_grad=True)
    assert x.dtype == ab.float32
    assert ab.gradcheck(lambda t: (t * t * t).sum(), (x,))


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        ab.gradcheck(lambda t: t * 2, (ab.ones(3),))
