"""The scikit-learn estimator checks these estimators are known to fail, and why."""

EXPECTED_FAILED_CHECKS = {"NeuralNetClassifier": {}, "NeuralNetRegressor": {}}


def expected_failed_checks(estimator) -> dict:
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
