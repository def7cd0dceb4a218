"""``minigrad.utils``: helpers outside the tensor core, at PyTorch's module paths
(``minigrad.utils.data`` is ``torch.utils.data``)."""

from . import data
