"""Weights: where they come from (``sources``), how each file format is read (``formats``,
``caffe``, ``checkpoint``), downloading (``download``), the cache and loading a model (``store``),
and the errors a user can act on (``errors``). Import the module you need: this package imports
nothing, so naming one of its light modules never pulls in torch."""
