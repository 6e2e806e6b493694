"""The CPU fast path for the VGG FCN family: a constant-border trunk, packed or GEMM
conv+ReLU steps, the per-machine choice between them and the plain forward (``path_choice``) and
the allocator tuning. ``fast_inference.optimize_for_inference`` is the entry."""
