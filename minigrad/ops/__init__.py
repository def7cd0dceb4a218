"""The kernels: one ``Function`` subclass per op, forward on backend arrays, backward in Tensor ops."""
