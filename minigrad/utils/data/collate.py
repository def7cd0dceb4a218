"""Turning samples into batches: ``default_collate`` (with batching) and ``default_convert``
(without), PyTorch's rules.

``default_collate`` looks at the first sample of the batch and recurses into its structure:

    tensors                  stacked along a new first dimension
    NumPy arrays, scalars    made tensors (of the array's dtype), then stacked
    Python floats            a float64 tensor; ints an int64 tensor; bools a bool tensor
    strings, bytes           left as a list
    dicts                    a dict (of the sample's type) of each key's values collated
    namedtuples              the same namedtuple of each field collated
    tuples, lists            a list (a list-like of the sample's type for lists) of each
                             position collated: [(x0, y0), (x1, y1)] -> [X, Y]

NumPy arrays keep their dtype (uint8 images stay uint8, as in PyTorch); NumPy types PyTorch
lacks (uint16, uint32, uint64) become int64.
"""

from __future__ import annotations

import collections.abc
import copy

import numpy as np

from ... import creation
from ...errors import DTypeError, ShapeError
from ...tensor import Tensor, stack

_NOT_COLLATABLE = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _numeric_array(array: np.ndarray, op: str) -> bool:
    """True for arrays of numbers and bools; strings and objects cannot become tensors."""
    if array.dtype.kind in "biuf":
        return True
    if op == "default_collate":
        raise DTypeError(_NOT_COLLATABLE.format(array.dtype))
    return False


def default_collate(batch: list):
    """Collate a list of samples into a batch (see the module's table)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, (np.ndarray, np.generic)) and _numeric_array(
        np.asarray(elem), "default_collate"
    ):
        # made tensors first, as PyTorch does, so that stack checks their shapes
        return stack([creation.as_tensor(np.asarray(b)) for b in batch], 0)
    if isinstance(elem, float):
        return creation.tensor(batch, dtype="float64")
    if isinstance(elem, int):  # bools too: a bool tensor
        return creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        return _same_container(elem, collated)
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = [len(sample) for sample in batch]
        if len(set(sizes)) != 1:
            raise ShapeError(
                f"default_collate: each element in list of batch should be of equal size, got "
                f"sizes {sizes}"
            )
        columns = [default_collate(list(samples)) for samples in zip(*batch)]
        return columns if isinstance(elem, tuple) else _same_container(elem, columns)
    raise DTypeError(_NOT_COLLATABLE.format(type(elem)))


def default_convert(data):
    """Without batching (``batch_size=None``): NumPy arrays and scalars inside ``data`` become
    tensors; containers keep their structure (tuples become lists, as in PyTorch)."""
    if isinstance(data, (np.ndarray, np.generic)) and _numeric_array(
        np.asarray(data), "default_convert"
    ):
        return creation.as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_container(data, {key: default_convert(v) for key, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, tuple):
        return [default_convert(v) for v in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_container(data, [default_convert(v) for v in data])
    return data


def _same_container(original, values):
    """``values`` (a dict or a list) in a container of ``original``'s type where that type can
    be copied and filled, else as they are."""
    if isinstance(original, (collections.abc.MutableMapping, collections.abc.MutableSequence)):
        clone = copy.copy(original)
        if isinstance(original, collections.abc.MutableMapping):
            clone.update(values)
        else:
            clone[:] = values
        return clone
    try:
        return type(original)(values)
    except TypeError:  # a container type that cannot be built from its items
        return values
