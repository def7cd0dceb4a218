"""``Optimizer``: the base class of SGD, Adam and AdamW, with PyTorch's interface.

An optimizer holds ``param_groups``, a list of dicts, each with its ``"params"`` and its own
options (``lr``, ``weight_decay``, ...; missing options take the constructor's defaults), and
``state``, a dict from each parameter to what the algorithm keeps for it (step count, moving
averages). ``step()`` updates every parameter that has a gradient.

Updates are written on the raw arrays (``p._data``) with in-place array operations: they are
not part of any graph, and this keeps a training step free of needless temporaries.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from ..autograd.grad_mode import enable_grad
from ..errors import ArgumentError, DTypeError, NotOverridden
from ..nn.module import zero_grad_of
from ..tensor import Tensor


class Optimizer:
    """Subclasses pass their default options to ``__init__`` and define ``_update`` (one
    parameter's update, given the gradient to descend), or override ``step`` itself, as
    PyTorch's optimizers do. A group's ``maximize`` option makes ``step`` hand ``_update`` the
    negated gradient, so that the parameters ascend it."""

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            hint = " (pass model.parameters())" if hasattr(params, "parameters") else ""
            raise DTypeError(
                f"params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}{hint}"
            )
        _check_ordered(params)
        self.defaults = defaults
        self.state: dict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if not groups:
            raise ArgumentError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (the others from the defaults)."""
        if not isinstance(param_group, dict):
            raise DTypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        _check_ordered(params)
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise DTypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ArgumentError("can't optimize a non-leaf Tensor")
        ids = [id(p) for p in params]
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if len(set(ids)) != len(ids) or taken.intersection(ids):
            raise ArgumentError("some parameters appear more than once in the parameter groups")
        group = {**self.defaults, **param_group, "params": params}
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter: drop them (``None``) or fill them with 0."""
        for group in self.param_groups:
            for p in group["params"]:
                zero_grad_of(p, set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure``, if given, recomputes the
        loss (with gradients) first and its value is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            for p in group["params"]:
                if p.grad is not None:
                    grad = -p.grad._data if maximize else p.grad._data
                    self._update(p, grad, self.state[p], group)
                    p._version.value += 1
        return loss

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        """Update ``param._data`` in place from ``grad`` (an array), ``state`` and the options."""
        raise NotOverridden(
            f"{type(self).__name__}.step: an Optimizer subclass overrides step() or defines "
            f"_update(param, grad, state, group); the base class has no update rule"
        )

    # ---- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{options..., "params": [indices]}]}``:
        PyTorch's format, with parameters replaced by their position across all groups. The
        state tensors are the live ones (save them, or copy them, to keep a snapshot)."""
        index = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by ``state_dict`` into this optimizer's parameters
        (matched by position). State tensors are copied onto each parameter's device, floating
        ones in its dtype."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ArgumentError(
                f"loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(self.param_groups)})"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ArgumentError(
                    f"loaded state dict contains a parameter group ({i}) with "
                    f"{len(saved['params'])} parameters, but the optimizer's group has "
                    f"{len(group['params'])}"
                )
        by_index = dict(
            zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            param = by_index.get(key)
            if param is None:
                raise ArgumentError(
                    f"loaded state dict has state for parameter {key}, which no group holds"
                )
            state[param] = {k: _state_value(v, param, k) for k, v in saved_state.items()}
        self.state = state
        # options a saved group lacks (saved by an older version) keep their current values
        self.param_groups = [
            {**group, **saved, "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups)
        ]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _check_ordered(params) -> None:
    if isinstance(params, set):
        raise DTypeError(
            "optimizer parameters need to be organized in ordered collections, but the "
            "ordering of tensors in sets will change between runs. Please use a list instead."
        )


def implementation_options(**flags) -> dict:
    """PyTorch's options that choose how a step runs, not what it computes: ``foreach`` and
    ``fused`` (which implementation), ``capturable`` (for CUDA graphs), ``differentiable``
    (gradients through the step). minigrad has one implementation, in-place array operations
    per parameter: the options are kept in the groups as given, and the last two are refused
    when asked for."""
    for name in ("capturable", "differentiable"):
        if flags.get(name):
            raise ArgumentError(f"{name}=True is not supported by minigrad's optimizers")
    return flags


def check_option(name: str, value: float, below: float | None = None) -> None:
    """Refuse a negative option value (or one not below ``below``), in PyTorch's words."""
    if not value >= 0.0 or (below is not None and not value < below):
        raise ArgumentError(f"Invalid {name}: {value}")


def _state_value(value, param: Tensor, key: str):
    """A private copy of a saved state value, on ``param``'s device (and dtype, for floating
    tensors other than step counts)."""
    if not isinstance(value, Tensor):
        return value
    dtype = param.dtype if value.is_floating_point() and key != "step" else None
    return value.detach().to(device=param.device, dtype=dtype).clone()
