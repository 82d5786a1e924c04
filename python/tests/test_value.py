"""scalargrad.Value against micrograd's reference numbers, the notebook's printed outputs and
closed-form derivatives (no micrograd or torch needed: the expected numbers are written here)."""

import math
import os
import threading

import numpy as np
import pytest

from scalargrad import Value

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "notebook_output.txt")


def test_micrograds_first_reference_expression():
    # micrograd's README / test_engine.py sanity check
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_micrograds_second_reference_expression():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == 24.70408163265306
    assert a.grad == 138.83381924198252
    assert b.grad == 645.5772594752186


def test_the_notebooks_printed_gradients():
    # In [7]: the accumulation puzzle (1 2 0, then 1 20 18 without zero_grad)
    x, y = Value(5), Value(4)
    z = x + x
    z.backward()
    assert (z.grad, x.grad, y.grad) == (1, 2, 0)
    z = (x + y) * (x + y)
    z.backward()
    assert (z.grad, x.grad, y.grad) == (1, 20, 18)
    # In [9]: with the gradients reset in between (the notebook's zero_grad(z))
    x, y = Value(5), Value(4)
    z = x + x
    z.backward()
    x.grad, y.grad = 0, 0
    z = (x + y) * (x + y)
    z.backward()
    assert (z.grad, x.grad, y.grad) == (1, 18, 18)
    # In [16]: z = x * -y
    x, y = Value(4), Value(5)
    z = x * -y
    z.backward()
    assert z.data == -20
    assert (z.grad, x.grad, y.grad) == (1, -5, -4)
    # In [18]: z = x - y
    x, y = Value(1), Value(22)
    z = x - y
    z.backward()
    assert z.data == -21
    assert (z.grad, x.grad, y.grad) == (1, 1, -1)
    # exp, log, sin: value and gradient as printed
    x = Value(1.0)
    z = x.exp()
    z.backward()
    assert (z.data, x.grad) == (2.718281828459045, 2.718281828459045)
    x = Value(10.0)
    z = x.log()
    z.backward()
    assert (z.data, x.grad) == (2.302585092994046, 0.1)
    x = Value(5.0)
    z = x.sin()
    z.backward()
    assert (z.data, x.grad) == (-0.9589242746631385, 0.28366218546322625)


def notebook_gradchecks():
    """(name, autograd gradient, numerical gradient) as the notebook printed them."""
    with open(NOTEBOOK) as f:
        lines = f.read().splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Testing: ") and i + 3 < len(lines):
            auto = float(lines[i + 2].split("= ")[1])
            numerical = float(lines[i + 3].split("= ")[1])
            found.append((line[len("Testing: "):], auto, numerical))
    return found


CHECKS = {
    "x + 3": (lambda x: x + 3, 2.0),
    "3 + x": (lambda x: 3 + x, 2.0),
    "x - 3": (lambda x: x - 3, 5.0),
    "3 - x": (lambda x: 3 - x, 5.0),
    "x * 4": (lambda x: x * 4, 3.0),
    "4 * x": (lambda x: 4 * x, 3.0),
}


def test_the_notebooks_gradient_check_table():
    printed = notebook_gradchecks()
    assert [name for name, _, _ in printed] == list(CHECKS)
    eps = 1e-4
    for name, auto, numerical in printed:
        f, x0 = CHECKS[name]
        x = Value(x0)
        z = f(x)
        z.backward()
        assert x.grad == auto, name
        # the notebook's central difference, computed with Values as it did
        ours = (f(Value(x0 + eps)).data - f(Value(x0 - eps)).data) / (2 * eps)
        assert ours == numerical, name


@pytest.mark.parametrize(
    "make, derivative, x0",
    [
        (lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2, 0.7),
        (lambda x: x.sigmoid(), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, -1.3),
        (lambda x: x.exp(), math.exp, 0.4),
        (lambda x: x.log(), lambda x: 1 / x, 2.5),
        (lambda x: x**3, lambda x: 3 * x**2, 1.7),
        (lambda x: 1 / x, lambda x: -1 / x**2, 1.7),
        (lambda x: 2**x, lambda x: math.log(2) * 2**x, 1.1),
        (lambda x: 3 - x, lambda x: -1.0, 0.2),
        (lambda x: x.relu(), lambda x: 1.0, 0.3),
        (lambda x: (-x).relu(), lambda x: 0.0, 0.3),
        (lambda x: abs(x), lambda x: -1.0, -0.3),
    ],
)
def test_closed_form_derivatives(make, derivative, x0):
    x = Value(x0)
    make(x).backward()
    assert x.grad == pytest.approx(derivative(x0), rel=1e-14, abs=1e-15)


def test_micrograds_graph_shape_and_op_names():
    a, b = Value(2.0), Value(3.0)
    assert a._op == "" and a._prev == set()
    s = a + b
    assert s._op == "+" and s._prev == {a, b}
    # a number operand becomes a leaf Value, as micrograd lifts it
    t = a * 2
    (lifted,) = t._prev - {a}
    assert t._op == "*" and lifted.data == 2.0 and lifted._op == ""
    # a - b is a + (b * -1); a / b is a * b**-1
    d = a - b
    (negated,) = d._prev - {a}
    assert d._op == "+" and negated._op == "*" and b in negated._prev
    q = a / b
    (inverse,) = q._prev - {a}
    assert q._op == "*" and inverse._op == "**-1" and inverse._prev == {b}
    assert (a**2)._op == "**2" and (a**0.5)._op == "**0.5"
    assert a.relu()._op == "ReLU"
    assert a.tanh()._op == "tanh"


def test_the_same_node_is_always_the_same_object():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    children = d._prev
    assert c in children and a in children
    assert any(child is c for child in d._prev)
    assert {id(x) for x in d._prev} == {id(c), id(a)}
    # walking twice gives the same objects
    assert {id(x) for x in d._prev} == {id(x) for x in d._prev}


def test_data_and_grad_are_writable_as_micrograd_uses_them():
    p = Value(1.0)
    loss = p * p
    loss.backward()
    p.data -= 0.1 * p.grad
    assert p.data == 0.8
    p.grad = 0
    assert p.grad == 0.0
    with pytest.raises(ValueError, match="made by"):
        loss.data = 5.0


def test_repr_is_micrograds():
    assert repr(Value(2.5)) == "Value(data=2.5, grad=0.0)"
    assert repr(Value(1e-7)) == "Value(data=1e-07, grad=0.0)"


def test_numpy_scalars_and_sum_on_either_side():
    v = Value(3.0)
    for number in (np.int64(2), np.float64(2.0), np.float32(2.0), 2, 2.0):
        left = number * v
        right = v * number
        assert isinstance(left, Value) and isinstance(right, Value)
        assert left.data == right.data == 6.0
        assert isinstance(number + v, Value) and (number - v).data == -1.0
        assert (number / v).data == 2.0 * 3.0**-1
    total = sum([Value(1.0), Value(2.0), Value(3.5)])
    assert isinstance(total, Value) and total.data == 6.5


def test_a_second_backward_adds_exactly_the_same_gradients():
    x, y = Value(3.0), Value(-2.0)
    z = (x * y + x).tanh() * (x + y) ** 2
    z.backward()
    once = (x.grad, y.grad)
    z.backward()
    assert (x.grad, y.grad) == (2 * once[0], 2 * once[1])


def test_errors_are_python_exceptions():
    with pytest.raises(TypeError, match="must be a number"):
        Value("three")
    with pytest.raises(TypeError):
        Value(1.0) + "x"
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    # log of a negative number follows IEEE 754, as in Rust: NaN, no exception
    assert math.isnan(Value(-1.0).log().data)
    assert Value(0.0).log().data == -math.inf


def test_a_value_used_on_another_thread_is_a_runtime_error():
    v = Value(1.0)
    caught = []

    def use():
        try:
            v.data
        except RuntimeError as error:
            caught.append(str(error))

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    assert len(caught) == 1 and "another thread" in caught[0]
    assert v.data == 1.0  # still fine on its own thread


def test_a_deep_chain_builds_runs_backward_and_is_freed_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y + 1
    y.backward()
    assert y.data == 200_001.0 and x.grad == 1.0
    del y  # 400,000 Values freed one after another, not recursively
    assert x.data == 1.0
