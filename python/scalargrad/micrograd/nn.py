"""micrograd's ``nn`` module (``Module``, ``Neuron``, ``Layer``, ``MLP``) on scalargrad's Value.

The classes, their attributes and the order in which they draw their initial weights from
``random.uniform(-1, 1)`` are micrograd's, so after ``random.seed(1337)`` a model starts from the
weights micrograd's would. A neuron's forward pass makes micrograd's nodes in micrograd's order,
in one call into the engine.
"""

import random

from scalargrad import Value
from scalargrad._scalargrad import fused_scores, neuron


class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        # micrograd: sum((wi*xi for wi,xi in zip(self.w, x)), self.b), then relu
        return neuron(self.w, x, self.b, self.nonlin)

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    def scores(self, rows):
        """The fast path (not in micrograd): ``[self(x) for x in rows]`` for rows of numbers, each
        neuron one fused engine node, with a Value only for each output. The gradients are
        micrograd's (to rounding); the outputs have no ``_prev`` (their graph stays on the
        engine's tape)."""
        layers = [[(n.w, n.b, n.nonlin) for n in layer.neurons] for layer in self.layers]
        return fused_scores(layers, rows)
