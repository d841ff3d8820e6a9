"""Real tabular data sets that need no download: scikit-learn's bundled copies, as Tables.

===================  ====================  ======  ========  ==============================
function             task                  rows    features  source
===================  ====================  ======  ========  ==============================
breast_cancer        classification (2)    569     30        Wisconsin diagnostic (UCI)
diabetes             regression            442     10        Efron et al. 2004
wine                 classification (3)    178     13        UCI wine recognition
iris                 classification (3)    150     4         Fisher 1936
california_housing   regression            20,640  8         1990 census; a local file
===================  ====================  ======  ========  ==============================

Each returns a :class:`~abinitio.data.tabular.Table` whose ``target`` and ``task`` are set,
so it goes through the same preprocessing as a CSV file of your own
(``abinitio train --dataset breast_cancer`` or ``--dataset csv:FILE``). Numbers are kept
as the shortest strings that read back to the identical float64.

scikit-learn does not ship California housing: it downloads it. Here it is read from a
path you give: the archive ``cal_housing.tgz`` (StatLib's, which scikit-learn downloads)
or the ``cal_housing.data`` file inside it, with scikit-learn's column order and derived
features (rooms, bedrooms and occupancy per household; the value in $100,000).
"""

from __future__ import annotations

import os
import tarfile

import numpy as np

from abinitio.data.datasets.resources import require
from abinitio.data.tabular import Table

CALIFORNIA_FEATURES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population",
                       "AveOccup", "Latitude", "Longitude")  # fmt: skip


def _as_table(data, target, feature_names, target_name, name, task, classes=None) -> Table:
    # NumPy writes the shortest string that reads back to the same float64
    numbers = np.asarray(data, dtype=np.float64).astype(str)
    columns = {str(f): column for f, column in zip(feature_names, numbers.T)}
    if classes is not None:
        labels = np.asarray(classes, dtype=str)[np.asarray(target)]
    else:
        labels = np.asarray(target, dtype=np.float64).astype(str)
    columns[target_name] = labels
    return Table(columns, source=name, target=target_name, task=task)


def _sklearn(loader: str, name: str, task: str, target_name: str, classes=True) -> Table:
    datasets = require("sklearn.datasets", f"{name}()", package="scikit-learn")
    bunch = getattr(datasets, loader)()
    names = bunch.target_names if classes else None
    return _as_table(bunch.data, bunch.target, bunch.feature_names, target_name, name, task,
                     names)  # fmt: skip


def breast_cancer() -> Table:
    """The Wisconsin diagnostic breast cancer set: 569 tumours, 30 measurements of their
    cell nuclei, target ``diagnosis`` (``malignant`` or ``benign``): medical diagnosis.

    Example:
        >>> t = breast_cancer()
        >>> len(t), t.target, sorted(set(t["diagnosis"].tolist()))
        (569, 'diagnosis', ['benign', 'malignant'])

    See the article docs/articles/data/feature_engineering.py.
    """
    return _sklearn("load_breast_cancer", "breast_cancer", "classification", "diagnosis")


def diabetes() -> Table:
    """442 diabetes patients: age, sex, BMI, blood pressure and six blood serum values
    (already centred and scaled by scikit-learn), target ``progression`` one year later
    (a number from 25 to 346): medical regression.

    Example:
        >>> t = diabetes()
        >>> len(t), t.task, len(t.names)
        (442, 'regression', 11)
    """
    return _sklearn("load_diabetes", "diabetes", "regression", "progression", classes=False)


def wine() -> Table:
    """178 wines from three cultivars, 13 chemical measurements, target ``cultivar``.

    Example:
        >>> sorted(set(wine()["cultivar"].tolist()))
        ['class_0', 'class_1', 'class_2']
    """
    return _sklearn("load_wine", "wine", "classification", "cultivar")


def iris() -> Table:
    """Fisher's 150 irises: sepal and petal length and width, target ``species``.

    Example:
        >>> iris().names[:2], iris().names[-1]
        (['sepal length (cm)', 'sepal width (cm)'], 'species')
    """
    return _sklearn("load_iris", "iris", "classification", "species")


def california_housing(path) -> Table:
    """California housing (Pace and Barry, 1997), from a local copy: 20,640 census block
    groups, 8 features, target ``MedHouseVal`` in $100,000 (regression).

    Args:
        path: ``cal_housing.tgz``, the ``cal_housing.data`` file from it, or a folder
            holding either.

    Raises FileNotFoundError (naming what was looked for) when there is no such file.
    """
    data = _read_cal_housing(path)
    # scikit-learn's column order, then its derived features (fetch_california_housing)
    data = data[:, [8, 7, 2, 3, 4, 5, 6, 1, 0]]
    target, x = data[:, 0] / 100000.0, data[:, 1:].copy()
    x[:, 2] /= x[:, 5]  # average rooms = total rooms / households
    x[:, 3] /= x[:, 5]  # average bedrooms = total bedrooms / households
    x[:, 5] = x[:, 4] / x[:, 5]  # average occupancy = population / households
    return _as_table(x, target, CALIFORNIA_FEATURES, "MedHouseVal", "california_housing",
                     "regression")  # fmt: skip


def _read_cal_housing(path) -> np.ndarray:
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in ("cal_housing.tgz", "cal_housing.data",
                     os.path.join("CaliforniaHousing", "cal_housing.data")):  # fmt: skip
            if os.path.isfile(os.path.join(path, name)):
                return _read_cal_housing(os.path.join(path, name))
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"no California housing data at {path!r}: expected cal_housing.tgz (the StatLib "
            "archive scikit-learn downloads) or the cal_housing.data file inside it"
        )
    if path.endswith((".tgz", ".tar.gz")):
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile("CaliforniaHousing/cal_housing.data")
            data = np.loadtxt(member, delimiter=",")
    else:
        data = np.loadtxt(path, delimiter=",")
    if data.ndim != 2 or data.shape[1] != 9:
        raise ValueError(f"{path}: expected 9 comma-separated columns, got shape {data.shape}")
    return data
