"""Tables: read a CSV file, infer what each column holds, and turn it into numbers.

A network sees numbers only, so a table of mixed columns is *represented* first:

=============  ======================================  ================================
column kind    how it is recognised                    its features
=============  ======================================  ================================
numeric        every non-missing value parses as a     z = (x - mean) / std, a missing
               number                                  x is replaced by the median
boolean        values among true/false, yes/no, y/n,   0 or 1; missing -> the most
               t/f (any case)                          frequent value
categorical    anything else (or ``categorical=``)     one-hot: e_k = [x == c_k]; an
                                                       unseen level -> all zeros
embedding      a categorical column with more than     one integer index per row, for an
               ``max_one_hot`` levels (or ``embed=``)  ``nn.Embedding``; unseen -> K
=============  ======================================  ================================

Missing values are the empty field and ``NA``, ``N/A``, ``NaN``, ``null``, ``None``,
``?`` (any case). The statistics (medians, means, standard deviations, the levels of
each category) are fitted by scikit-learn's ``ColumnTransformer`` (``SimpleImputer``,
``StandardScaler``, ``OneHotEncoder``, ``OrdinalEncoder``) on the training rows only.
They are then copied into plain numbers (:meth:`TabularPreprocessor.state_dict`, JSON)
and applied by NumPy: the same JSON applied to the same rows gives identical arrays, in
this process or in ``abinitio predict`` a month later. Nothing is pickled.

Example:
    >>> import io
    >>> text = "age,colour,smoker,y\\n30,red,yes,1\\n,blue,no,0\\n50,red,,1\\n"
    >>> table = read_csv(io.StringIO(text))
    >>> table
    Table(rows=3, columns=['age', 'colour', 'smoker', 'y'])
    >>> kinds = infer_column_types(table, target="y")
    >>> kinds
    {'age': 'numeric', 'colour': 'categorical', 'smoker': 'boolean'}
    >>> pre = TabularPreprocessor(kinds).fit(table)
    >>> pre.feature_names
    ['age', 'smoker', 'colour=blue', 'colour=red']
    >>> pre.transform(table).round(3)  # the missing age is the median, 40
    array([[-1.225,  1.   ,  0.   ,  1.   ],
           [ 0.   ,  0.   ,  1.   ,  0.   ],
           [ 1.225,  0.   ,  0.   ,  1.   ]], dtype=float32)
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from abinitio.data.datasets.resources import require

MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")
MISSING_LEVEL = "(missing)"  # the level a missing categorical value becomes
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "y", "t"), ("false", "no", "n", "f")
KINDS = ("numeric", "boolean", "categorical", "embedding")


class Table:
    """A table read from a CSV file (or a bundled data set): named columns of strings.

    Missing values are stored as the empty string; every other value is kept as written
    (stripped of surrounding spaces), so that inference and encoding see the file's text.

    Args:
        columns: name -> sequence of strings, all of the same length.
        source: where the rows came from (a file name), for messages.
        lines: the file line of each row, for messages (default 2, 3, ... after a header).
        target: the column a bundled data set predicts (a default for ``--target``).
        task: ``"classification"`` or ``"regression"`` for bundled sets, else ``None``.

    Example:
        >>> t = Table({"x": ["1", "NA"], "y": ["a", "b"]})
        >>> t["x"].tolist(), len(t), t.names
        (['1', ''], 2, ['x', 'y'])

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, columns: dict, source: str = "<table>", lines=None,
                 target: str | None = None, task: str | None = None) -> None:  # fmt: skip
        self.columns = {str(k): _canonical(v) for k, v in columns.items()}
        lengths = {name: len(v) for name, v in self.columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Table: columns differ in length: {lengths}")
        n = next(iter(lengths.values()), 0)
        self.source, self.target, self.task = source, target, task
        self.lines = np.arange(2, n + 2) if lines is None else np.asarray(lines)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.columns:
            raise KeyError(
                f"{self.source} has no column {name!r}; its columns are: {', '.join(self.names)}"
            )
        return self.columns[name]

    def take(self, rows) -> Table:
        """The rows at the integer indices ``rows``, as a new Table."""
        rows = np.asarray(rows, dtype=np.int64)
        columns = {name: values[rows] for name, values in self.columns.items()}
        return Table(columns, self.source, self.lines[rows], self.target, self.task)

    def __repr__(self) -> str:
        return f"Table(rows={len(self)}, columns={self.names})"


def _canonical(values) -> np.ndarray:
    """Strings, stripped; the missing tokens become ''."""
    array = np.char.strip(np.asarray(values, dtype=str))
    missing = np.isin(np.char.lower(array), MISSING_TOKENS)
    return np.where(missing, "", array)


def read_csv(path, delimiter: str | None = None) -> Table:
    """Read a CSV file with a header row into a :class:`Table` (the standard ``csv`` module).

    The delimiter (comma, semicolon or tab) is detected from the first lines unless given.
    Blank lines are skipped. Refused, with the file and line named: an empty file, a
    repeated or empty column name, a row with more or fewer fields than the header.

    Args:
        path: a file name, or an open text file.
        delimiter: force the field separator.

    Example:
        >>> read_csv(io.StringIO("a;b\\n1;x\\n2;y\\n"))["b"].tolist()
        ['x', 'y']

    See the article docs/articles/data/feature_engineering.py.
    """
    name = str(path) if isinstance(path, (str, os.PathLike)) else getattr(path, "name", "<csv>")
    if isinstance(path, (str, os.PathLike)):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"CSV file {name!r} does not exist")
        try:
            with open(path, newline="", encoding="utf-8-sig") as file:
                text = file.read()
        except UnicodeDecodeError as error:
            raise ValueError(f"{name} is not UTF-8 text ({error})") from None
    else:
        text = path.read()
    sample = text[:20000]
    if not sample.strip():
        raise ValueError(f"{name} is empty: expected a header row and data rows")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows, lines, header = _read_records(reader, name)
    except csv.Error as error:  # a stray carriage return, a field over csv's size limit
        raise ValueError(f"{name} line {reader.line_num}: not valid CSV ({error})") from None
    if not rows:
        raise ValueError(f"{name} has a header but no data rows")
    grid = np.array(rows, dtype=str)
    return Table(dict(zip(header, grid.T)), source=name, lines=lines)


def _read_records(reader, name: str):
    """The data rows, their line numbers and the header of a ``csv.reader``."""
    header, rows, lines = None, [], []
    for record in reader:
        if not any(field.strip() for field in record):
            continue  # a blank line
        if header is None:
            header = [field.strip() for field in record]
            _check_header(header, name, reader.line_num)
            continue
        if len(record) != len(header):
            raise ValueError(
                f"{name} line {reader.line_num} has {len(record)} fields, but the header has "
                f"{len(header)} ({', '.join(header)})"
            )
        rows.append(record)
        lines.append(reader.line_num)
    return rows, lines, header


def _check_header(header: list, name: str, line: int) -> None:
    if "" in header:
        raise ValueError(f"{name} line {line}: column {header.index('') + 1} has no name")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ValueError(f"{name} line {line}: repeated column names {repeated}")


def write_csv(path, table: Table, extra: dict | None = None) -> None:
    """Write ``table`` (plus ``extra`` columns, e.g. predictions) as a CSV file."""
    columns = {**table.columns, **(extra or {})}
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(list(columns))
        writer.writerows(zip(*(np.asarray(v).tolist() for v in columns.values())))


# ---- what a column holds ------------------------------------------------------------------
def parse_numbers(values: np.ndarray, missing=np.nan) -> np.ndarray:
    """float64 of a column of strings; '' (missing) becomes ``missing``.

    Raises ValueError if a value is not a number.
    """
    values = np.asarray(values, dtype=str)
    out = np.full(values.shape, missing, dtype=np.float64)
    present = values != ""
    out[present] = values[present].astype(np.float64)
    return out


def is_numeric(values: np.ndarray) -> bool:
    try:
        parse_numbers(values)
    except ValueError:
        return False
    return True


def parse_booleans(values: np.ndarray) -> np.ndarray:
    """1.0 for the true words, 0.0 for the false words, NaN for missing (see the table)."""
    lower = np.char.lower(np.asarray(values, dtype=str))
    out = np.full(lower.shape, np.nan)
    out[np.isin(lower, TRUE_WORDS)] = 1.0
    out[np.isin(lower, FALSE_WORDS)] = 0.0
    return out


def is_boolean(values: np.ndarray) -> bool:
    lower = np.char.lower(values[values != ""])
    return lower.size > 0 and bool(np.isin(lower, TRUE_WORDS + FALSE_WORDS).all())


def first_non_number(values: np.ndarray, lines) -> tuple:
    """(line, value) of the first value in ``values`` that is not a number."""
    for value, line in zip(values, lines):
        if value != "" and not is_numeric(np.array([value])):
            return int(line), str(value)
    return None, None


def _split_names(names) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        return [n.strip() for n in names.split(",") if n.strip()]
    return list(names)


def infer_column_types(table: Table, target: str | None = None, *, categorical=(),
                       numeric=(), embed=(), drop=(), max_one_hot: int = 20) -> dict:  # fmt: skip
    """The kind of every feature column (``target`` and ``drop`` excluded), in table order.

    A column is numeric if every non-missing value is a number, boolean if every value is
    a true/false word, categorical otherwise; a categorical column with more than
    ``max_one_hot`` levels gets an embedding instead of one-hot columns. ``categorical``,
    ``numeric`` and ``embed`` (lists, or comma-separated names) override the inference.

    Raises ValueError for a column name that is not in the table, a ``numeric`` column
    with a value that is not a number, or a table with no feature left.

    Example:
        >>> t = Table({"n": ["1", "2"], "zip": ["7", "8"], "ok": ["yes", "NO"]})
        >>> infer_column_types(t, categorical="zip")
        {'n': 'numeric', 'zip': 'categorical', 'ok': 'boolean'}

    See the article docs/articles/data/feature_engineering.py.
    """
    overrides = {"categorical": _split_names(categorical), "numeric": _split_names(numeric),
                 "embedding": _split_names(embed), "drop": _split_names(drop)}  # fmt: skip
    for option, names in overrides.items():
        unknown = [name for name in names if name not in table.columns]
        if unknown:
            raise ValueError(
                f"--{'embed' if option == 'embedding' else option}: no column named "
                f"{', '.join(map(repr, unknown))} in {table.source}; its columns are: "
                f"{', '.join(table.names)}"
            )
    kinds = {}
    for name, values in table.columns.items():
        if name == target or name in overrides["drop"]:
            continue
        forced = [kind for kind in KINDS if name in overrides.get(kind, ())]
        if forced:
            kind = forced[-1]
        elif is_numeric(values):
            kind = "numeric"
        elif is_boolean(values):
            kind = "boolean"
        else:
            kind = "categorical"
        if kind == "numeric" and not is_numeric(values):
            line, value = first_non_number(values, table.lines)
            raise ValueError(
                f"--numeric {name}: {table.source} line {line} holds {value!r}, not a number"
            )
        levels = len(np.unique(values))
        if kind == "categorical" and levels > max_one_hot and name not in overrides["categorical"]:
            kind = "embedding"
        kinds[name] = kind
    if not kinds:
        raise ValueError(f"{table.source}: no feature columns left besides the target {target!r}")
    return kinds


def describe_columns(table: Table, kinds: dict) -> str:
    """One line per column: its kind, missing values and levels (what ``train`` prints)."""
    lines = [f"{'column':<20} {'kind':<12} {'missing':>8} {'levels':>7}"]
    for name, kind in kinds.items():
        values = table[name]
        missing = int((values == "").sum())
        levels = len(np.unique(values[values != ""]))
        lines.append(f"{name[:20]:<20} {kind:<12} {missing:>8} {levels:>7}")
    return "\n".join(lines)


# ---- the preprocessing: fitted by scikit-learn, applied from its numbers -------------------
def _to_float(x):
    """FunctionTransformer step: numeric strings -> float64, '' -> NaN (for SimpleImputer)."""
    return np.stack([parse_numbers(column) for column in np.asarray(x, dtype=str).T], axis=1)


def _to_boolean(x):
    return np.stack([parse_booleans(column) for column in np.asarray(x, dtype=str).T], axis=1)


class UnknownLevelError(ValueError):
    """A categorical value at predict time that the training rows never had.

    See the article docs/articles/data/feature_engineering.py.
    """


class TabularPreprocessor:
    """Table -> float32 feature matrix: impute, standardise, one-hot, ordinal-encode.

    ``fit`` builds a scikit-learn ``ColumnTransformer``, one transformer per kind, and
    fits it on the given (training) rows:

    * numeric:     SimpleImputer(median) -> StandardScaler:  z = (x - mean) / std
    * boolean:     SimpleImputer(most_frequent) on 0/1
    * categorical: SimpleImputer(constant "(missing)") -> OneHotEncoder(handle_unknown="ignore")
    * embedding:   the same imputer -> OrdinalEncoder, unseen levels -> K (the "unknown" row)

    It then keeps only the fitted numbers (``state_dict()``: JSON-ready) and ``transform``
    applies them with NumPy, in the ColumnTransformer's column order: numeric, boolean,
    one-hot blocks, then one index column per embedding (the last ``len(cardinalities)``
    columns, read by :class:`abinitio.models.TabularMLP`). The fitted ``ColumnTransformer``
    stays available as ``.column_transformer`` after ``fit`` (tests compare the two).

    An unseen level of a categorical column is an error in ``transform`` unless
    ``handle_unknown="bucket"``: then it is encoded as the "unknown" bucket (all zeros for
    one-hot, index K for an embedding), as ``OneHotEncoder(handle_unknown="ignore")`` does.

    Args:
        kinds: column name -> kind, as :func:`infer_column_types` returns.

    Example:
        >>> t = Table({"size": ["1", "3"], "city": ["Oslo", "Rome"]})
        >>> pre = TabularPreprocessor({"size": "numeric", "city": "categorical"}).fit(t)
        >>> pre.state_dict()["columns"][0]
        {'name': 'size', 'kind': 'numeric', 'fill': 2.0, 'mean': 2.0, 'scale': 1.0}
        >>> again = TabularPreprocessor.from_state_dict(pre.state_dict())
        >>> bool((again.transform(t) == pre.transform(t)).all())
        True

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, kinds: dict) -> None:
        bad = {name: kind for name, kind in kinds.items() if kind not in KINDS}
        if bad:
            raise ValueError(f"TabularPreprocessor: unknown kinds {bad}; expected one of {KINDS}")
        self.kinds = dict(kinds)
        self.columns = None  # the fitted numbers, one dict per column, in output order
        self.column_transformer = None

    # -- fitting (scikit-learn) -------------------------------------------------------------
    def _groups(self) -> dict:
        names = {kind: [n for n, k in self.kinds.items() if k == kind] for kind in KINDS}
        return names

    def fit(self, table: Table) -> TabularPreprocessor:
        """Fit the ColumnTransformer on ``table`` and copy out its numbers; returns self."""
        compose = require("sklearn.compose", "TabularPreprocessor", package="scikit-learn")
        impute = require("sklearn.impute", "TabularPreprocessor", package="scikit-learn")
        pre = require("sklearn.preprocessing", "TabularPreprocessor", package="scikit-learn")
        from sklearn.pipeline import make_pipeline

        groups, order = self._groups(), list(self.kinds)
        index = {name: order.index(name) for name in order}
        missing = impute.SimpleImputer(missing_values="", strategy="constant",
                                       fill_value=MISSING_LEVEL)  # fmt: skip
        transformers = []
        if groups["numeric"]:
            steps = [pre.FunctionTransformer(_to_float), impute.SimpleImputer(strategy="median"),
                     pre.StandardScaler()]  # fmt: skip
            transformers.append(("numeric", make_pipeline(*steps), groups["numeric"]))
        if groups["boolean"]:
            steps = [pre.FunctionTransformer(_to_boolean),
                     impute.SimpleImputer(strategy="most_frequent")]  # fmt: skip
            transformers.append(("boolean", make_pipeline(*steps), groups["boolean"]))
        for name in groups["categorical"]:
            one_hot = pre.OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            transformers.append((f"onehot:{name}", make_pipeline(missing, one_hot), [name]))
        for name in groups["embedding"]:
            levels = len(np.unique(np.where(table[name] == "", MISSING_LEVEL, table[name])))
            ordinal = pre.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=levels)
            transformers.append((f"embed:{name}", make_pipeline(missing, ordinal), [name]))
        # the ColumnTransformer selects by position in this object matrix of strings
        transformers = [(t, p, [index[n] for n in cols]) for t, p, cols in transformers]
        self.column_transformer = compose.ColumnTransformer(transformers, sparse_threshold=0)
        self.column_transformer.fit(self._matrix(table))
        self.columns = self._fitted_numbers(groups)
        return self

    def _matrix(self, table: Table) -> np.ndarray:
        missing = [name for name in self.kinds if name not in table.columns]
        if missing:
            raise ValueError(
                f"{table.source} lacks the column(s) {', '.join(map(repr, missing))} that the "
                f"model was trained on; its columns are: {', '.join(table.names)}"
            )
        return np.stack([table[name] for name in self.kinds], axis=1).astype(object)

    def _fitted_numbers(self, groups: dict) -> list:
        step = self.column_transformer.named_transformers_
        columns = []
        if groups["numeric"]:
            imputer, scaler = step["numeric"][1], step["numeric"][2]
            for k, name in enumerate(groups["numeric"]):
                columns.append({"name": name, "kind": "numeric",
                                "fill": float(imputer.statistics_[k]),
                                "mean": float(scaler.mean_[k]),
                                "scale": float(scaler.scale_[k])})  # fmt: skip
        if groups["boolean"]:
            imputer = step["boolean"][1]
            for k, name in enumerate(groups["boolean"]):
                columns.append({"name": name, "kind": "boolean",
                                "fill": float(imputer.statistics_[k])})  # fmt: skip
        for kind, prefix in (("categorical", "onehot"), ("embedding", "embed")):
            for name in groups[kind]:
                levels = step[f"{prefix}:{name}"][1].categories_[0]
                columns.append({"name": name, "kind": kind,
                                "categories": [str(c) for c in levels]})  # fmt: skip
        return columns

    # -- the fitted numbers, as JSON ----------------------------------------------------------
    def state_dict(self) -> dict:
        """The fitted preprocessing as plain JSON types: save it with ``json.dump``."""
        self._check_fitted()
        return {"format": "abinitio.tabular/1", "kinds": dict(self.kinds),
                "columns": [dict(c) for c in self.columns]}  # fmt: skip

    @classmethod
    def from_state_dict(cls, state: dict) -> TabularPreprocessor:
        """Rebuild a fitted preprocessor from :meth:`state_dict` (no scikit-learn needed)."""
        if not isinstance(state, dict) or state.get("format") != "abinitio.tabular/1":
            raise ValueError("not a saved TabularPreprocessor (format abinitio.tabular/1)")
        preprocessor = cls(state["kinds"])
        preprocessor.columns = [dict(c) for c in state["columns"]]
        return preprocessor

    def _check_fitted(self) -> None:
        if self.columns is None:
            raise RuntimeError("TabularPreprocessor: call fit(table) before transform")

    # -- applying them (NumPy) --------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """The name of every output column: ``age``, ``colour=red``, ``city (index)``."""
        self._check_fitted()
        names = []
        for column in self.columns:
            if column["kind"] == "categorical":
                names += [f"{column['name']}={level}" for level in column["categories"]]
            elif column["kind"] == "embedding":
                names.append(f"{column['name']} (index)")
            else:
                names.append(column["name"])
        return names

    @property
    def cardinalities(self) -> list[int]:
        """Rows of each embedding table: the levels seen in fit, plus the unknown bucket."""
        self._check_fitted()
        return [len(c["categories"]) + 1 for c in self.columns if c["kind"] == "embedding"]

    @property
    def n_continuous(self) -> int:
        """Output columns before the embedding indices (numeric, boolean, one-hot)."""
        return len(self.feature_names) - len(self.cardinalities)

    def unknown_levels(self, table: Table) -> list[tuple]:
        """``(column, level, line)`` of every categorical value unseen in fit."""
        self._check_fitted()
        found = []
        for column in self.columns:
            if column["kind"] in ("categorical", "embedding"):
                values = np.where(table[column["name"]] == "", MISSING_LEVEL, table[column["name"]])
                unseen = ~np.isin(values, column["categories"])
                found += [(column["name"], str(v), int(line))
                          for v, line in zip(values[unseen], table.lines[unseen])]  # fmt: skip
        return found

    def transform(self, table: Table, handle_unknown: str = "error") -> np.ndarray:
        """The (N, features) float32 matrix of ``table``, from the fitted numbers.

        Args:
            table: rows with (at least) the fitted columns; others are ignored.
            handle_unknown: ``"error"`` (an :class:`UnknownLevelError` naming the column,
                the level and its line) or ``"bucket"`` (the unknown bucket, see above).
        """
        self._check_fitted()
        if handle_unknown not in ("error", "bucket"):
            raise ValueError(f"handle_unknown must be 'error' or 'bucket', got {handle_unknown!r}")
        self._matrix(table)  # the same missing-column check as fit
        unknown = self.unknown_levels(table)
        if unknown and handle_unknown == "error":
            name, level, line = unknown[0]
            known = next(c["categories"] for c in self.columns if c["name"] == name)
            raise UnknownLevelError(
                f"{table.source} line {line}: column {name!r} has the level {level!r}, unseen "
                f"in training (known: {', '.join(known[:10])}{', ...' if len(known) > 10 else ''}"
                f"); {len(unknown)} such value(s) in all. Map them to the 'unknown' bucket "
                f"with --handle-unknown bucket"
            )
        blocks = [self._encode(column, table[column["name"]], table) for column in self.columns]
        return np.concatenate(blocks, axis=1).astype(np.float32)

    @staticmethod
    def _encode(column: dict, values: np.ndarray, table: Table) -> np.ndarray:
        kind = column["kind"]
        if kind == "numeric":
            try:
                x = parse_numbers(values, missing=column["fill"])
            except ValueError:
                line, value = first_non_number(values, table.lines)
                raise ValueError(
                    f"{table.source} line {line}: column {column['name']!r} holds {value!r}, "
                    "but it was numeric in training"
                ) from None
            return ((x - column["mean"]) / column["scale"])[:, None]
        if kind == "boolean":
            x = parse_booleans(values)
            return np.where(np.isnan(x), column["fill"], x)[:, None]
        values = np.where(values == "", MISSING_LEVEL, values)
        categories = np.asarray(column["categories"], dtype=str)
        if kind == "categorical":  # e[i, k] = [x_i == c_k]: zeros for an unseen level
            return (values[:, None] == categories[None, :]).astype(np.float64)
        # embedding: the index of x in the sorted categories, K when it is not one of them
        position = np.searchsorted(categories, values).clip(0, len(categories) - 1)
        found = categories[position] == values
        return np.where(found, position, len(categories)).astype(np.float64)[:, None]


# ---- the target -------------------------------------------------------------------------
def infer_task(values: np.ndarray) -> str:
    """``"regression"`` for a numeric target with non-integer values or more than 20
    distinct values; ``"classification"`` otherwise.

    Example:
        >>> infer_task(np.array(["0.5", "1.25", "3"])), infer_task(np.array(["cat", "dog"]))
        ('regression', 'classification')
    """
    present = values[values != ""]
    if not is_numeric(present):
        return "classification"
    numbers = parse_numbers(present)
    integral = bool(np.all(numbers == np.round(numbers)))
    return "regression" if not integral or len(np.unique(numbers)) > 20 else "classification"


def encode_target(table: Table, target: str, task: str, classes=None) -> tuple:
    """``(y, classes)``: int64 class indices and the sorted class names for
    classification (numeric labels in numeric order), float32 values for regression
    (classes ``None``). Rows with a missing target are refused, naming the first line.

    With ``classes`` given (at predict time), labels outside them are refused.
    """
    values = table[target]
    empty = values == ""
    if empty.any():
        raise ValueError(
            f"target column {target!r} is missing on {int(empty.sum())} row(s), first at "
            f"{table.source} line {int(table.lines[empty][0])}: fill or remove those rows"
        )
    if task == "regression":
        if not is_numeric(values):
            line, value = first_non_number(values, table.lines)
            raise ValueError(
                f"--task regression needs a numeric target, but column {target!r} holds "
                f"{value!r} at {table.source} line {line}; use --task classification"
            )
        return parse_numbers(values).astype(np.float32), None
    if classes is None:
        levels = np.unique(values)
        if is_numeric(levels):
            levels = levels[np.argsort(parse_numbers(levels), kind="stable")]
        classes = [str(level) for level in levels]
    if len(classes) < 2:
        raise ValueError(
            f"target column {target!r} has a single value ({classes[0]!r}) in {len(values)} "
            "rows: there is nothing to classify"
        )
    names = np.asarray(classes, dtype=str)
    unseen = sorted(set(np.unique(values).tolist()) - set(classes))
    if unseen:
        raise ValueError(f"target column {target!r} has labels {unseen} unseen in training")
    sorter = np.argsort(names)  # y_i = the k with classes[k] == values[i]
    y = sorter[np.searchsorted(names, values, sorter=sorter)]
    return y.astype(np.int64), list(classes)


__all__ = [
    "Table",
    "TabularPreprocessor",
    "UnknownLevelError",
    "describe_columns",
    "encode_target",
    "infer_column_types",
    "infer_task",
    "read_csv",
    "write_csv",
]
