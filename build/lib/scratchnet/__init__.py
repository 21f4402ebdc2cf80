"""scratchnet: a two-layer neural network for handwritten digits, from scratch in NumPy.

The package follows the pipeline the book walks through:

    data  ->  model  ->  train  ->  evaluate  ->  plots

with the command-line interface (``cli``), saved models (``checkpoint``), picture preprocessing
(``preprocess``) and the fast training path (``fast``) at the edges.

Convention used everywhere: **rows are examples**. A batch of n images is ``X`` with shape
``(n, 784)``; labels are ``y`` with shape ``(n,)``; one-hot targets ``Y`` have shape ``(n, 10)``.
"""

__version__ = "0.1.0"
