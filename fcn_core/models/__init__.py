"""Model architectures (``vgg_fcn``, ``torchvision_models``), their input normalisation, the
registry that names them, and the CPU fast path (``cpu/``). This package imports nothing itself,
so looking up a name in ``registry`` stays cheap."""
