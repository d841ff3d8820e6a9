"""Active learning: choose which samples to label, so that fewer labels are needed.

A pool-based loop (:class:`ActiveLoop`) around a learner with modAL's API
(:class:`ActiveLearner`, :class:`Committee`), and the query strategies, one function each
with its maths in the docstring:

* uncertainty: :func:`least_confidence`, :func:`margin`, :func:`entropy`
* disagreement: :func:`vote_entropy`, :func:`consensus_kl` (query-by-committee),
  :func:`mutual_information` (BALD, Monte-Carlo dropout)
* diversity: :func:`k_center_greedy` (core-set) and, mixing both, BADGE
  (:func:`gradient_embedding` + :func:`kmeans_plus_plus`)

Oracles reveal labels: :class:`ArrayOracle` (simulated), :class:`PromptOracle` (a person
at a prompt), :class:`FileOracle` (a person filling in a CSV between sessions).
"""

from abinitio.active.disagreement import (
    bald_sampling,
    consensus_kl,
    consensus_kl_sampling,
    mutual_information,
    vote_entropy,
    vote_entropy_sampling,
)
from abinitio.active.diversity import (
    badge_sampling,
    coreset_sampling,
    gradient_embedding,
    k_center_greedy,
    kmeans_plus_plus,
)
from abinitio.active.learner import ActiveLearner, Committee, NetworkClassifier
from abinitio.active.loop import ActiveLoop
from abinitio.active.oracle import ArrayOracle, FileOracle, PromptOracle
from abinitio.active.simulate import STRATEGIES, curve_summary, labels_to_reach, simulate
from abinitio.active.uncertainty import (
    entropy,
    entropy_sampling,
    least_confidence,
    margin,
    margin_sampling,
    multi_argmax,
    random_sampling,
    uncertainty_sampling,
)

__all__ = [name for name in dir() if not name.startswith("_")]
