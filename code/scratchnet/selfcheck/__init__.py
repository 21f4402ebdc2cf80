"""Self-checks for the book's coding exercises: is *your* implementation right?

Each ``check_<name>(fn)`` calls the reader's function on fresh random inputs, tests the properties
the book derives (rows of a softmax sum to 1, a gradient agrees with central differences, ...) and
compares with the library on those random inputs. It prints one line and returns a
:class:`CheckResult`::

    ✓ correct: softmax — rows sum to 1, shift-invariant, finite for logits of ±1e4, ...
    ✗ not yet: softmax — rows do not sum to 1 (row 0 sums to 2.3)
    … softmax not implemented yet (it raises NotImplementedError)

The printed line names the property that failed, never the expected array or the reference code.
A check never raises: a build of the student edition, where the exercise stubs still raise
``NotImplementedError``, runs every self-check cell and succeeds.

In a chapter (see the instructor guide for the full exercise markup)::

    from scratchnet import selfcheck
    selfcheck.check_softmax(softmax)

The package: :mod:`~scratchnet.selfcheck.harness` (the verdict machinery, the registry
:data:`CHECKS` and the decorator :func:`registered`, and the helpers for new checks:
:func:`run_checks`, :func:`require`, :func:`compare_on_random`, :func:`gradient_matches`,
:func:`gradient_close`), then one
module per chapter, in the book's order: ``data``, ``architecture``, ``forward``, ``loss``,
``backward``, ``gradient_descent``, ``training``, ``evaluation``. A new check goes into the module
of its chapter, decorated with ``@registered``, and is imported below.
"""

from scratchnet.selfcheck.harness import (
                                          CHECKS,
                                          CheckFailed,
                                          CheckResult,
                                          compare_on_random,
                                          gradient_close,
                                          gradient_matches,
                                          registered,
                                          require,
                                          run_checks,
)

# isort: off
# In the order of the chapters: importing a module registers its checks in CHECKS.
from scratchnet.selfcheck.data import check_read_csv
from scratchnet.selfcheck.architecture import check_init_glorot_uniform, check_init_he
from scratchnet.selfcheck.forward import check_forward, check_log_softmax, check_relu, check_softmax
from scratchnet.selfcheck.loss import check_cross_entropy
from scratchnet.selfcheck.backward import (check_leaky_relu_backward,
                                           check_squared_error_backward)
from scratchnet.selfcheck.gradient_descent import check_gradient_descent_step
from scratchnet.selfcheck.training import (check_l2_gradient, check_learning_rate,
                                           check_minibatches, check_momentum_step)
from scratchnet.selfcheck.evaluation import (check_confusion_matrix, check_per_class_accuracy,
                                             check_top_k_accuracy)
# isort: on

__all__ = [
    "CHECKS", "CheckFailed", "CheckResult", "compare_on_random", "gradient_close",
    "gradient_matches", "registered", "require", "run_checks",
    "check_read_csv", "check_init_he", "check_init_glorot_uniform", "check_relu", "check_softmax",
    "check_log_softmax", "check_forward", "check_cross_entropy", "check_leaky_relu_backward",
    "check_squared_error_backward", "check_gradient_descent_step", "check_minibatches",
    "check_momentum_step", "check_l2_gradient", "check_learning_rate", "check_confusion_matrix",
    "check_per_class_accuracy", "check_top_k_accuracy",
]
