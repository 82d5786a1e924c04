"""draw_dot, explain and anomaly detection from Python."""

import re

import scalargrad
from scalargrad import Value, draw_dot


def test_draw_dot_is_the_trace_graph_notebooks_picture():
    # the trace_graph notebook's first example
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    dot = draw_dot(y)
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    assert "rankdir=LR" in dot
    declared = set(re.findall(r'^  "([^"]+)" \[', dot, re.M))
    edges = re.findall(r'^  "([^"]+)" -> "([^"]+)"', dot, re.M)
    # every edge's ends are declared; 5 Values (x, 2, x*2, 1, +) plus the relu's output, 3 ops
    assert all(a in declared and b in declared for a, b in edges)
    records = re.findall(r'label="\{ ([^}]*) \}", shape=record', dot)
    assert len(records) == 6
    assert "data 3.0000 | grad 1.0000" in records  # the relu's output
    assert "data 1.0000 | grad 2.0000" in records  # x: d relu(2x + 1) / dx = 2
    assert sorted(re.findall(r'\[label="([^"{]+)"\]', dot)) == ["*", "+", "ReLU"]
    assert len(edges) == 5 + 3  # child -> op for each operand, op -> its output


def test_draw_dot_shows_labels_and_walks_deep_graphs():
    a = Value(2.0)
    a.label = "a"
    assert a.label == "a"
    assert "{ a | data 2.0000 | grad 0.0000 }" in draw_dot(a * 3)
    deep = a
    for _ in range(5_000):  # deeper than Python's recursion limit
        deep = deep + 1
    assert draw_dot(deep).count("shape=record") == 10_001


def test_explain_itemises_a_gradient():
    scalargrad.record_contributions(True)
    try:
        x, y = Value(3.0), Value(4.0)
        x.label = "x"
        z = x * y + x
        z.backward()
        why = scalargrad.explain(x)
    finally:
        scalargrad.record_contributions(False)
    assert why.startswith('"x".grad = 5')
    assert "local 4 x upstream 1 = 4" in why
    assert "local 1 x upstream 1 = 1" in why


def test_anomaly_detection_names_the_op_and_the_python_line():
    scalargrad.detect_anomalies(True)
    try:
        x = Value(-1.0)
        y = x.log() * 2  # the line reported
        line = test_anomaly_detection_names_the_op_and_the_python_line.__code__.co_firstlineno + 4
        found = scalargrad.take_anomaly()
        assert scalargrad.take_anomaly() is None  # taken
        zero = Value(0.0)
        (zero**0.5).backward()
        gradient = scalargrad.take_anomaly()
    finally:
        scalargrad.detect_anomalies(False)
    assert found.startswith("value nan of a Value made by `log` at ")
    assert found.endswith(f"test_tools.py:{line} from inputs [-1]")
    assert y.data != y.data  # nan
    assert gradient.startswith("gradient contribution inf")
    assert "local derivative inf x upstream 1" in gradient
