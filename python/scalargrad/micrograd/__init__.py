"""micrograd's modules on scalargrad's engine: change ``from micrograd.engine import Value`` to
``from scalargrad.micrograd.engine import Value`` (and ``from micrograd import nn`` to
``from scalargrad.micrograd import nn``) and micrograd's code runs unchanged."""
