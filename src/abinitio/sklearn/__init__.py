"""abinitio modules as scikit-learn estimators (skorch's shape): ``NeuralNetClassifier``
and ``NeuralNetRegressor`` work in ``cross_val_score``, ``GridSearchCV``, ``Pipeline``
and the rest of scikit-learn's model-selection tools. Needs scikit-learn (the ``tune``
extra); ``import abinitio`` alone does not import it."""

from abinitio.sklearn.checks import EXPECTED_FAILED_CHECKS, expected_failed_checks
from abinitio.sklearn.net import NeuralNet, NeuralNetClassifier, NeuralNetRegressor, ValidSplit

__all__ = [
    "EXPECTED_FAILED_CHECKS",
    "NeuralNet",
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "ValidSplit",
    "expected_failed_checks",
]
