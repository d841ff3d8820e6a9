"""The theory, made runnable: each claim of deep learning's theory as code you can run.

* :mod:`~abinitio.theory.approximation`: the universal approximation theorem's
  constructive proof (a hand-built one-hidden-layer network and its sup-norm bound),
  beside trained networks of the same width.
* :mod:`~abinitio.theory.no_free_lunch`: Wolpert's off-training-set average, counted
  exactly over all Boolean functions, and optimisers ranked on different problems.
* :mod:`~abinitio.theory.information`: entropy, cross-entropy, KL and Jensen-Shannon
  divergences, Gaussian differential entropy, mutual information (binning, KSG, MINE),
  and the information plane.
* :mod:`~abinitio.theory.initialisation`: activation and gradient variance through
  30+ layers under Xavier and He initialisation, and training curves.
* :mod:`~abinitio.theory.gmdh`: Ivakhnenko's Group Method of Data Handling (1965-71),
  the first deep network that learned from data.

NumPy only, except the KSG estimator (scipy, the ``theory`` extra).
"""

from abinitio.theory.approximation import (
    approximation_bound,
    construct_network,
    sup_error,
    train_network,
)
from abinitio.theory.gmdh import GMDHLayer, GMDHRegressor
from abinitio.theory.information import (
    InformationPlaneTrace,
    binary_task,
    correlated_gaussians,
    cross_entropy,
    entropy,
    gaussian_entropy,
    gaussian_mutual_information,
    information_plane,
    js_divergence,
    kl_divergence,
    mutual_information,
    trace_information_plane,
)
from abinitio.theory.initialisation import (
    SignalPropagation,
    deep_network,
    signal_propagation,
    training_curves,
)
from abinitio.theory.no_free_lunch import (
    OffTrainingSetResult,
    all_boolean_functions,
    anti_learner,
    boolean_inputs,
    compare_optimisers,
    majority,
    mlp_learner,
    nearest_neighbour,
    off_training_set_accuracy,
    rankings,
)

__all__ = [name for name in dir() if not name.startswith("_")]
