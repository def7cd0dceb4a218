"""Side-by-side benchmarks of minigrad against PyTorch's CPU eager mode (``make bench``)."""
