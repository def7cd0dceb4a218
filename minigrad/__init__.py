"""minigrad: n-d tensors with reverse-mode autograd, following PyTorch's names and semantics.

import minigrad as torch
x = torch.randn(3, 4, requires_grad=True)
(x.softmax(-1) * x).sum().backward()
x.grad
"""

import math

from . import amp, autograd, backends, cuda, distributions, dtypes, linalg, nn, optim, utils
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import (
    Device,
    cuda_available,
    get_float32_matmul_precision,
    get_num_threads,
    set_float32_matmul_precision,
    set_num_threads,
)
from .backend import device as device
from .creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    linspace,
    manual_seed,
    multinomial,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_rng_state,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from .dtypes import bool_ as bool  # noqa: A001  (torch.bool)
from .dtypes import (
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .dtypes import dtype as dtype
from .dtypes import float as float  # noqa: A001  (torch.float)
from .dtypes import int as int  # noqa: A001  (torch.int is int32)
from .errors import (
    ArgumentError,
    AutogradError,
    CheckpointError,
    DeviceError,
    DimError,
    DTypeError,
    IndexOutOfRange,
    MinigradError,
    NotOverridden,
    ShapeError,
    StateDictError,
)
from .functions import *  # noqa: F403  (torch.exp, torch.matmul, torch.softmax, ...)
from .functions import __all__ as _function_names
from .generator import Generator
from .printing import set_printoptions
from .serialization import load, save
from .size import Size
from .tensor import Tensor, cat, einsum, stack, where

__version__ = "0.1.0"

# PyTorch's float constants (torch.pi, -torch.inf in an attention mask)
e, inf, nan, pi = math.e, math.inf, math.nan, math.pi
