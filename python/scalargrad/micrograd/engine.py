"""micrograd's ``engine`` module: ``Value``, computed by scalargrad's engine."""

from scalargrad import Value

__all__ = ["Value"]
