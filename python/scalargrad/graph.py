"""draw_dot: a Value's graph as Graphviz DOT text, as micrograd's trace_graph notebook draws it."""


def trace(root):
    """Every Value ``root`` was made from (itself included) and every edge child -> parent."""
    nodes, edges = [], []
    seen = set()
    stack = [root]
    # an explicit stack, not recursion: a graph may be far deeper than Python's recursion limit
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        nodes.append(value)
        for child in value._prev:
            edges.append((child, value))
            stack.append(child)
    return nodes, edges


def _record(value):
    fields = "data %.4f | grad %.4f" % (value.data, value.grad)
    label = getattr(value, "label", "")
    return "{ %s | %s }" % (label, fields) if label else "{ %s }" % fields


class Dot(str):
    """DOT text that Jupyter shows as a picture when the ``graphviz`` package (and its ``dot``
    program) is there."""

    def svg(self):
        """The picture as SVG text; needs the ``graphviz`` package and its ``dot`` program."""
        import graphviz

        return graphviz.Source(str(self)).pipe(format="svg").decode("utf-8")

    def _repr_svg_(self):
        try:
            return self.svg()
        except Exception:  # no graphviz: Jupyter falls back to the text
            return None


def draw_dot(root, rankdir="LR"):
    """The graph that made ``root``, left to right: a record per Value (its label, data and grad)
    and a node per op, as the trace_graph notebook draws it. Returns DOT text (a ``Dot``, which
    Jupyter shows as a picture when the ``graphviz`` package is installed)."""
    if rankdir not in ("LR", "TB"):
        raise ValueError("rankdir must be 'LR' (left to right) or 'TB' (top to bottom), not %r" % (rankdir,))
    nodes, edges = trace(root)
    lines = ["digraph {", "  graph [rankdir=%s]" % rankdir]
    for value in nodes:
        uid = str(id(value))
        lines.append('  "%s" [label="%s", shape=record]' % (uid, _record(value).replace('"', '\\"')))
        if value._op:
            lines.append('  "%s%s" [label="%s"]' % (uid, value._op, value._op))
            lines.append('  "%s%s" -> "%s"' % (uid, value._op, uid))
    for child, parent in edges:
        lines.append('  "%s" -> "%s%s"' % (id(child), id(parent), parent._op))
    lines.append("}")
    return Dot("\n".join(lines) + "\n")
