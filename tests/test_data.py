"""``minigrad.utils.data`` against ``torch.utils.data``: collation structure and dtypes, batch
counts and order, samplers, splits, generators, and the errors for misuse."""

import collections

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_support import import_torch

import minigrad
from minigrad.errors import ArgumentError, DTypeError, MinigradError, ShapeError
from minigrad.utils import data

Point = collections.namedtuple("Point", "x y")


def _samples():
    """Batches of samples, each a structure default_collate knows, named for the test ids."""
    return {
        "tuples of numbers": [(1, 2.0), (3, 4.5)],
        "lists": [[1, 2], [3, 4]],
        "bools": [True, False],
        "float64 arrays": [np.ones((2, 3)), np.zeros((2, 3))],
        "float32 arrays": [np.ones(2, np.float32), np.arange(2, dtype=np.float32)],
        "int64 arrays": [np.arange(3), np.arange(3) * 2],
        "numpy scalars": [np.float32(1.5), np.float32(2.5)],
        "dicts with strings": [{"a": np.float32(1), "b": "x"}, {"a": np.float32(2), "b": "y"}],
        "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
        "nested": [({"ids": [1, 2]}, (np.ones(2), 0.5)), ({"ids": [3, 4]}, (np.zeros(2), 1.5))],
    }


def _tensors_of(lib, samples):
    """The same samples with lib's tensors in place of NumPy float32 arrays (tensor stacking)."""
    return [(lib.tensor(np.full((2,), i, np.float32)), lib.tensor(i)) for i in samples]


def assert_same_structure(ours, ref, where="batch"):
    """Equal structure, container types, dtypes and values (minigrad tensor vs torch tensor)."""
    torch = import_torch()
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, minigrad.Tensor), where
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], where
        assert tuple(ours.shape) == tuple(ref.shape), where
        np.testing.assert_array_equal(ours.numpy(), ref.numpy(), err_msg=where)
        return
    assert type(ours).__name__ == type(ref).__name__, f"{where}: {type(ours)} vs {type(ref)}"
    if isinstance(ref, dict):
        assert list(ours) == list(ref), where
        for key in ref:
            assert_same_structure(ours[key], ref[key], f"{where}[{key!r}]")
    elif isinstance(ref, (list, tuple)):
        assert len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same_structure(a, b, f"{where}[{i}]")
    else:
        assert ours == ref, where


@pytest.mark.parametrize("name", list(_samples()))
def test_default_collate_matches_pytorchs(name):
    torch = import_torch()
    samples = _samples()[name]
    assert_same_structure(
        data.default_collate(samples), torch.utils.data.default_collate(samples), name
    )


def test_default_collate_stacks_tensors_and_default_convert_keeps_structure():
    torch = import_torch()
    assert_same_structure(
        data.default_collate(_tensors_of(minigrad, range(3))),
        torch.utils.data.default_collate(_tensors_of(torch, range(3))),
    )
    sample = [np.ones(2), (1, np.zeros(1)), {"k": np.float32(2)}, "text"]
    assert_same_structure(
        data.default_convert(sample), torch.utils.data.default_convert(sample), "convert"
    )


@pytest.mark.torch
def test_arrays_keep_their_dtype_as_in_pytorch():
    torch = import_torch()
    for np_dtype in (np.uint8, np.int32, np.float16):
        samples = [np.ones(2, np_dtype), np.zeros(2, np_dtype)]
        batch = data.default_collate(samples)
        want = torch.utils.data.default_collate(samples)
        assert str(batch.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        assert batch.tolist() == want.tolist()


@pytest.mark.parametrize(
    "batch, error, words",
    [
        ([[1, 2], [3]], ShapeError, "each element in list of batch should be of equal size"),
        ([object()], DTypeError, "batch must contain tensors, numpy arrays, numbers"),
        ([np.array(["a"])], DTypeError, "found <U1"),
        ([np.ones(2), np.ones(3)], ShapeError, "stack expects each tensor to be equal size"),
    ],
)
def test_default_collate_refuses_what_pytorch_refuses(batch, error, words):
    torch = import_torch()
    with pytest.raises(error, match=words):
        data.default_collate(batch)
    with pytest.raises((RuntimeError, TypeError)):
        torch.utils.data.default_collate(batch)


class Squares(data.Dataset):
    """A map-style dataset defined the PyTorch way (tests build it for both libraries)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=np.float32), "y": i % 3}


def _stream_class(lib):
    class Stream(lib.utils.data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter((np.float64(i), i) for i in range(self.n))

        def __len__(self):
            return self.n

    return Stream


def _map_dataset(lib, n):
    class LibSquares(lib.utils.data.Dataset):
        __init__, __len__, __getitem__ = Squares.__init__, Squares.__len__, Squares.__getitem__

    return LibSquares(n)


LOADER_CASES = [
    dict(batch_size=4),
    dict(batch_size=4, drop_last=True),
    dict(batch_size=5),
    dict(batch_size=20),
    dict(batch_size=None),
    dict(batch_size=3, collate_fn=lambda batch: len(batch)),
]


@pytest.mark.parametrize("iterable", [False, True], ids=["map-style", "iterable"])
@pytest.mark.parametrize("options", LOADER_CASES, ids=lambda o: str(o)[:40])
def test_sequential_loading_gives_pytorchs_batches(options, iterable):
    torch = import_torch()
    make = (lambda lib, n: _stream_class(lib)(n)) if iterable else _map_dataset
    ours = data.DataLoader(make(minigrad, 10), **options)
    ref = torch.utils.data.DataLoader(make(torch, 10), **options)
    assert len(ours) == len(ref)
    got, want = list(ours), list(ref)
    assert len(got) == len(want) == len(ours)
    for i, (a, b) in enumerate(zip(got, want)):
        assert_same_structure(a, b, f"batch {i}")


def test_tensor_dataset_subset_and_concat_index_like_pytorchs():
    torch = import_torch()
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    ours = data.TensorDataset(minigrad.tensor(x), minigrad.tensor(y))
    ref = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(ref) == 6
    assert_same_structure(ours[2], ref[2])
    assert_same_structure(ours[1:3], ref[1:3])
    sub, ref_sub = data.Subset(ours, [5, 0, 3]), torch.utils.data.Subset(ref, [5, 0, 3])
    assert len(sub) == 3
    assert_same_structure(sub[0], ref_sub[0])
    assert_same_structure(sub.__getitems__([2, 1]), ref_sub.__getitems__([2, 1]))
    both = data.ConcatDataset([range(3), range(10, 14)])
    ref_both = torch.utils.data.ConcatDataset([range(3), range(10, 14)])
    assert len(both) == len(ref_both) == 7 and both.cumulative_sizes == ref_both.cumulative_sizes
    assert [both[i] for i in range(-7, 7)] == [ref_both[i] for i in range(-7, 7)]
    assert len(Squares(2) + Squares(3)) == 5 and (Squares(2) + Squares(3))[4]["y"] == 2
    with pytest.raises(ArgumentError, match="should not exceed dataset length"):
        both[-8]
    with pytest.raises(IndexError, match="out of range"):
        both[7]
    with pytest.raises(ShapeError, match=r"Size mismatch between tensors.*\[3\], \[4\]"):
        data.TensorDataset(minigrad.ones(3), minigrad.ones(4))


def test_shuffling_is_a_permutation_reproducible_from_a_generator_or_the_global_seed():
    ds = data.TensorDataset(minigrad.arange(23))

    def epoch(loader):
        return [i for (batch,) in loader for i in batch.tolist()]

    def loader(seed):
        return data.DataLoader(
            ds, 5, shuffle=True, generator=minigrad.Generator().manual_seed(seed)
        )

    first = epoch(loader(7))
    assert sorted(first) == list(range(23)) and first != list(range(23))
    assert epoch(loader(7)) == first and epoch(loader(8)) != first
    shuffled = loader(7)
    assert epoch(shuffled) == first and epoch(shuffled) != first  # each epoch a new order
    minigrad.manual_seed(3)
    global_order = epoch(data.DataLoader(ds, 5, shuffle=True))
    minigrad.manual_seed(3)
    assert epoch(data.DataLoader(ds, 5, shuffle=True)) == global_order


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(num_samples=25),
        dict(num_samples=4),
        dict(replacement=True),
        dict(replacement=True, num_samples=70),
    ],  # fmt: skip
)
def test_random_sampler_lengths_and_ranges_follow_pytorchs(options):
    torch = import_torch()
    ours = data.RandomSampler(range(10), generator=minigrad.Generator().manual_seed(0), **options)
    ref = torch.utils.data.RandomSampler(range(10), **options)
    got = list(ours)
    assert len(ours) == len(ref) == len(got) == len(list(ref))
    assert all(0 <= i < 10 for i in got)
    if not options.get("replacement"):  # every full pass is a permutation
        for start in range(0, len(got) - 9, 10):
            assert sorted(got[start : start + 10]) == list(range(10))
        assert len(set(got[len(got) // 10 * 10 :])) == len(got) % 10
    ours.generator.manual_seed(0)
    assert list(ours) == got


def test_subset_random_sampler_and_batch_sampler():
    torch = import_torch()
    sampler = data.SubsetRandomSampler([4, 8, 15, 16], generator=minigrad.Generator())
    assert sorted(sampler) == [4, 8, 15, 16] and len(sampler) == 4
    for drop_last in (False, True):
        ours = data.BatchSampler(data.SequentialSampler(range(10)), 3, drop_last)
        ref = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(10)), 3,
                                            drop_last)  # fmt: skip
        assert list(ours) == list(ref) and len(ours) == len(ref)
    endless = data.RandomSampler(range(5), replacement=True, num_samples=int(1e10))  # makemore's
    first = next(iter(data.DataLoader(range(5), batch_size=64, sampler=endless)))
    assert len(endless) == int(1e10) and first.shape == (64,) and 0 <= first.min().item()
    loader = data.DataLoader(range(10), batch_sampler=[[0, 9], [5]])
    assert [b.tolist() for b in loader] == [[0, 9], [5]]


@given(n=st.integers(1, 40), batch=st.integers(1, 12), drop_last=st.booleans())
def test_batch_count_equals_pytorchs(n, batch, drop_last):
    torch = import_torch()
    ours = data.DataLoader(range(n), batch_size=batch, shuffle=True, drop_last=drop_last)
    ref = torch.utils.data.DataLoader(range(n), batch_size=batch, shuffle=True,
                                      drop_last=drop_last)  # fmt: skip
    assert len(ours) == len(ref) == len(list(ours))
    assert [len(b) for b in ours] == [len(b) for b in ref]


@pytest.mark.parametrize(
    "lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.5], [1.0], [0, 10]]
)
def test_random_split_lengths_match_pytorchs_and_cover_the_dataset(lengths):
    torch = import_torch()
    ours = data.random_split(range(10), lengths, generator=minigrad.Generator().manual_seed(1))
    ref = torch.utils.data.random_split(range(10), lengths)
    assert [len(s) for s in ours] == [len(s) for s in ref]
    items = [x for s in ours for x in s]
    assert sorted(items) == list(range(10))
    again = data.random_split(range(10), lengths, generator=minigrad.Generator().manual_seed(1))
    assert [list(s) for s in again] == [list(s) for s in ours]


def test_random_split_refuses_lengths_pytorch_refuses():
    with pytest.raises(ArgumentError, match="does not equal the length of the input dataset"):
        data.random_split(range(10), [3, 3])
    with pytest.raises(ArgumentError, match="Fraction at index 0 is not between 0 and 1"):
        data.random_split(range(10), [-0.5, 1.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        data.random_split(range(3), [0.1, 0.1, 0.8])


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d.DataLoader(range(4), sampler=[0, 1], shuffle=True), "mutually exclusive"),
        (lambda d: d.DataLoader(range(4), batch_sampler=[[0]], batch_size=2), "batch_sampler"),
        (lambda d: d.DataLoader(range(4), batch_size=None, drop_last=True), "batch_size=None"),
        (lambda d: d.DataLoader(range(4), num_workers=-1), "non-negative"),
        (lambda d: d.DataLoader(range(4), prefetch_factor=2), "prefetch_factor"),
        (lambda d: d.DataLoader(range(4), persistent_workers=True), "persistent_workers"),
        (lambda d: d.DataLoader(range(4), multiprocessing_context="spawn"), "num_workers=0"),
        (lambda d: d.BatchSampler(range(4), 0, False), "positive integer"),
        (lambda d: d.RandomSampler([]), "num_samples=0"),
        (lambda d: d.RandomSampler(range(3), replacement=1), "boolean"),
    ],
)
def test_misuse_raises_the_error_pytorch_raises(make, words):
    torch = import_torch()
    with pytest.raises(MinigradError, match=words) as ours:
        make(data)
    with pytest.raises(Exception, match=words) as ref:
        make(torch.utils.data)
    assert isinstance(ours.value, type(ref.value))  # ours also is the builtin PyTorch raises


def test_an_iterable_dataset_takes_no_shuffle_option():
    torch = import_torch()
    for lib in (minigrad, torch):
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
            lib.utils.data.DataLoader(_stream_class(lib)(3), shuffle=True)


def test_worker_processes_are_replaced_by_loading_in_the_main_process():
    ds = data.TensorDataset(minigrad.arange(10))
    with pytest.warns(UserWarning, match=r"num_workers=2 runs as num_workers=0"):
        loader = data.DataLoader(ds, 4, num_workers=2, prefetch_factor=2, persistent_workers=True)
    assert [b.tolist() for (b,) in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert data.get_worker_info() is None


def test_pin_memory_warns_that_nothing_is_pinned_and_loads_the_same_batches():
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true"):
        loader = data.DataLoader(range(5), 2, pin_memory=True)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]


def test_generator_seeds_states_and_factories():
    g = minigrad.Generator()
    assert g.initial_seed() == 67280421310721 and g.device == "cpu"
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    first = minigrad.randperm(10, generator=g).tolist()
    assert sorted(first) == list(range(10))
    assert g.set_state(state) is g and minigrad.randperm(10, generator=g).tolist() == first
    draws = minigrad.randint(0, 5, (100,), generator=g)
    assert draws.dtype is minigrad.int64 and 0 <= draws.min().item() and draws.max().item() < 5
    seed = g.seed()
    assert isinstance(seed, int) and g.initial_seed() == seed
    with pytest.raises(DTypeError, match="manual_seed expected an int"):
        g.manual_seed(1.5)
    with pytest.raises(DTypeError, match="get_state"):
        g.set_state("state")
