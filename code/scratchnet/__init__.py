"""scratchnet: a two-layer neural network for handwritten digits, from scratch in NumPy.

The package follows the pipeline the book walks through, data -> model -> evaluate -> train ->
plots. Each line below is a part; a module may import the parts on the lines above its own, and on
its own line the modules named before it (``tests/test_layout.py`` checks this list):

    errors, files      the one exception type and its one-line messages; atomic file writes
    data/              the datasets: formats (IDX), csv_format (Kaggle CSV), download (bounded
                       HTTP), sources (local, system, mirror), npm, datasets (load), kaggle (a
                       CSV as a dataset, submissions), splits (split, scale, SPLIT_SEED), catalog
                       (data info), preprocess (a picture as an input row)
    model              the network, its loss and gradients
    evaluate           accuracy, the confusion matrix, per-class accuracy, confident mistakes
    config_rules       the rules a training configuration's fields obey (no imports)
    augment            transforms of a batch: the distortions a configuration asks for
    epochs             what reads the epochs of training: their History, and when to stop
    train              the optimisers and the training loop
    blas, fast_augment, fast
                       the parts of training again, for speed (beside train, never instead of
                       it): gemm and axpy of NumPy's own BLAS, the batch distortions in float32,
                       and fast.train, which the CLI, runs and the chapters train with
    robustness, perf, plots, gradcheck
                       measuring a network and its training (noise, calibration, FLOPs, the
                       machine's peak); the book's figures; gradient checks
    checkpoint         model files (.npz, no pickle) and the weights' fingerprint
    export             the web demo's model file
    runs               the cache of trained runs the chapters share (train, or load the same run)
    budget             the memory a training run needs, and what the machine has
    selfcheck/         the exercises' checks: a harness and one module per chapter
    targets            the accuracy and time targets (no imports)
    cli_args, cli_data, cli
                       the ``scratchnet`` command's option types, its ``data`` subcommands, and the
                       command (other packages add subcommands through the entry-point group
                       ``scratchnet.commands``: scratchnet_book's ``grade``)

The book's build tooling (student edition, downloadable notebooks) is a separate package,
``scratchnet_book``, which imports this one and is never imported by it.

Convention used everywhere: **rows are examples**. An image is ``SIDE`` x ``SIDE`` = 28 x 28
pixels, ``N_PIXELS`` = 784 numbers in row-major order. A batch of n images is ``X`` with shape
``(n, 784)``; labels are ``y`` with shape ``(n,)``; one-hot targets ``Y`` have shape ``(n, 10)``,
one column per class (``N_CLASSES`` = 10). The three constants are defined here, once.
"""

__version__ = "0.1.0"

SIDE = 28                    # images are SIDE x SIDE pixels
N_PIXELS = SIDE * SIDE       # 784 inputs: one image, flattened row by row
N_CLASSES = 10               # digits 0-9 (or the ten Fashion-MNIST classes)
