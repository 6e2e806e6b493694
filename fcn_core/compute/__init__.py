"""The compute process: the one place torch, the model, its segmentations, the CRF kernels and
batch export live while the window runs (DESIGN §7). ``server`` is its entry point, ``protocol``
the messages both sides exchange; import the module you need directly."""
