"""The Tensor's methods, one mixin per family (as in tinygrad): elementwise, reduce, movement,
indexing, linalg, in-place, conversion, autograd. Each method normalises its arguments and calls
one kernel from ``minigrad.ops``; ``minigrad.tensor.Tensor`` combines the mixins."""
