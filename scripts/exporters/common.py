"""What every model module shares: producer names, the class count and the
documented model input."""

import numpy as np

import nputil as F
from spell import T

TORCH = ("pytorch", "1.13.1")
TF2ONNX = ("tf2onnx", "1.14.0 8f8d49")
CLASSES = 10


def inp(name, shape, batch):
    """The model input: T with the documented values (batch replaces a
    symbolic first dimension)."""
    concrete = [batch if isinstance(d, str) else d for d in shape]
    return T(name, F.fixed_input(concrete).astype(np.float64))
