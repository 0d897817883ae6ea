"""Regenerate each competition's leaderboard.csv from real models, then show where the oracle and the sample land.

    python scripts/make_leaderboards.py                     # every competition under task_specs/mle
    python scripts/make_leaderboards.py iris-species        # only these
    python scripts/make_leaderboards.py --check             # rewrite nothing; only rank oracle and sample

A leaderboard here is honest in this sense: every row is a real model (constant predictors, linear models over a
range of regularisation, k-nearest neighbours over a range of k, shallow to deep trees, forests, boosting, and
variants trained on fewer rows or features or on noisy labels), fitted on the public train split, predicting the
test split, and scored by the competition's own grade.py against the prepared answers, through the same
`score_submission` the harness uses. The spread stands in for a Kaggle field of weak to strong teams.

Any competition works without editing this file: the train column to predict is the one test.csv lacks, a
submission holds probabilities when the sample has a column per class, else values (a float target with many
distinct values) or labels; the direction comes from an existing leaderboard, or from --lower-is-better /
--higher-is-better. SPECS pins these for the bundled competitions. A competition without a leaderboard yet is
given a placeholder while its board is made (the loader insists on one), removed if that fails.

    python scripts/make_leaderboards.py my-competition --higher-is-better --root task_specs/mle
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier, GradientBoostingRegressor,
    HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor,
)
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_agentbench.families.competition.competition import (  # noqa: E402
    DEFAULT_COMPETITIONS_ROOT, LEADERBOARD_FILE, grade_submission, load_config, load_leaderboard,
    prepare_competition, score_submission,
)
from pytest_agentbench.families.competition.medals import infer_is_lower_better  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"  # the agent image's interpreter, with Debian's scikit-learn, if installed here
SEED = 0


@dataclass(frozen=True)
class Spec:
    target: str  # the train.csv column to predict
    output: str  # "proba": a probability per class column of the sample; "label": the class; "value": a number
    lower_is_better: bool


SPECS = {
    "breast-cancer-diagnosis": Spec("diagnosis", "proba", False),
    "cars-mpg": Spec("mpg", "value", True),
    "diabetes-progression": Spec("progression", "value", True),
    "digits-recognition": Spec("label", "label", False),
    "iris-species": Spec("species", "proba", True),
    "penguins-sex": Spec("sex", "proba", True),
    "seattle-weather": Spec("weather", "label", False),
    "wine-alcohol": Spec("alcohol", "value", True),
}


def infer_spec(comp_dir: Path, data_dir: Path, lower_is_better: bool | None) -> Spec:
    """What SPECS would say of a competition, read from its prepared files (see the module's doc)."""
    config = load_config(comp_dir)
    public, _ = prepare_competition(comp_dir, data_dir)
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    sample = pd.read_csv(public / "sample_submission.csv")
    targets = [c for c in train.columns if c not in test.columns]
    if len(targets) != 1:
        raise SystemExit(f"{comp_dir.name}: train.csv has {targets or 'no'} columns test.csv lacks; "
                         f"one is the target: add a SPECS entry")
    target = targets[0]
    if len(sample.columns.drop(config.id_column)) > 1:
        output = "proba"
    elif pd.api.types.is_float_dtype(train[target]) and train[target].nunique() > 20:
        output = "value"
    else:
        output = "label"
    if lower_is_better is None:
        board = comp_dir / LEADERBOARD_FILE
        if not board.is_file() or board.read_text().startswith(PLACEHOLDER):
            raise SystemExit(f"{comp_dir.name}: is a lower score better? Say --lower-is-better or --higher-is-better")
        lower_is_better = infer_is_lower_better(load_leaderboard(comp_dir))
    return Spec(target, output, lower_is_better)


PLACEHOLDER = "teamName,score\nplaceholder-while-making-the-board,"


@dataclass(frozen=True)
class Entry:
    name: str
    make: Callable[[], Any]  # a fresh estimator
    scale: bool = False  # standardise features first
    features: float = 1.0  # share of feature columns kept (a seeded random subset)
    rows: float = 1.0  # share of training rows kept
    noise: float = 0.0  # share of labels shuffled (classification) or noise sd in target sds (regression)


def classifier_entries(output: str) -> list[Entry]:
    proba = output == "proba"  # SVC's probabilities cost a cross-validation; only pay for them when scored
    constants = [Entry("constant-prior", lambda: DummyClassifier(strategy="prior")),
                 Entry("constant-majority", lambda: DummyClassifier(strategy="most_frequent"))]
    if output == "proba":
        constants.append(Entry("constant-uniform", lambda: DummyClassifier(strategy="uniform")))
    else:
        constants.append(Entry("random-guess", lambda: DummyClassifier(strategy="stratified", random_state=SEED)))
    return constants + [
        *[Entry(f"logreg-C{c:g}", lambda c=c: LogisticRegression(C=c, max_iter=5000), scale=True)
          for c in (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)],
        Entry("logreg-unscaled", lambda: LogisticRegression(max_iter=5000)),
        *[Entry(f"knn-k{k}", lambda k=k: KNeighborsClassifier(k), scale=True) for k in (1, 2, 3, 5, 8, 12, 20, 35, 60)],
        Entry("knn-k5-unscaled", lambda: KNeighborsClassifier(5)),
        *[Entry(f"tree-depth{d}", lambda d=d: DecisionTreeClassifier(max_depth=d, random_state=SEED))
          for d in (1, 2, 3, 4, 6, 8, None)],
        Entry("forest-10-depth3", lambda: RandomForestClassifier(10, max_depth=3, random_state=SEED)),
        Entry("forest-100", lambda: RandomForestClassifier(100, random_state=SEED)),
        Entry("forest-300-leaf3", lambda: RandomForestClassifier(300, min_samples_leaf=3, random_state=SEED)),
        Entry("extra-trees-200", lambda: ExtraTreesClassifier(200, random_state=SEED)),
        Entry("gbm-100-depth2", lambda: GradientBoostingClassifier(n_estimators=100, max_depth=2, random_state=SEED)),
        Entry("gbm-300-lr0.05", lambda: GradientBoostingClassifier(n_estimators=300, learning_rate=0.05,
                                                                   random_state=SEED)),
        Entry("hist-gbm", lambda: HistGradientBoostingClassifier(random_state=SEED)),
        Entry("naive-bayes", lambda: GaussianNB()),
        Entry("lda", lambda: LinearDiscriminantAnalysis()),
        *[Entry(f"svm-rbf-C{c:g}", lambda c=c: SVC(C=c, probability=proba, random_state=SEED), scale=True)
          for c in (0.1, 1, 10)],
        Entry("svm-linear", lambda: SVC(kernel="linear", probability=proba, random_state=SEED), scale=True),
        *[Entry(f"logreg-{int(f * 100)}pct-features", lambda: LogisticRegression(max_iter=5000), scale=True,
                features=f) for f in (0.2, 0.5)],
        *[Entry(f"forest-{int(f * 100)}pct-features", lambda: RandomForestClassifier(100, random_state=SEED),
                features=f) for f in (0.2, 0.5)],
        *[Entry(f"logreg-{int(r * 100)}pct-rows", lambda: LogisticRegression(max_iter=5000), scale=True, rows=r)
          for r in (0.1, 0.25)],
        Entry("forest-25pct-rows", lambda: RandomForestClassifier(100, random_state=SEED), rows=0.25),
        *[Entry(f"logreg-noisy{int(n * 100)}", lambda: LogisticRegression(max_iter=5000), scale=True, noise=n)
          for n in (0.1, 0.3, 0.6)],
        *[Entry(f"forest-noisy{int(n * 100)}", lambda: RandomForestClassifier(100, random_state=SEED), noise=n)
          for n in (0.1, 0.3)],
        Entry("tree-noisy30", lambda: DecisionTreeClassifier(random_state=SEED), noise=0.3),
    ]


def regressor_entries() -> list[Entry]:
    return [
        Entry("constant-mean", lambda: DummyRegressor(strategy="mean")),
        Entry("constant-median", lambda: DummyRegressor(strategy="median")),
        Entry("constant-q25", lambda: DummyRegressor(strategy="quantile", quantile=0.25)),
        Entry("linear", lambda: LinearRegression(), scale=True),
        *[Entry(f"ridge-a{a:g}", lambda a=a: Ridge(alpha=a), scale=True)
          for a in (0.01, 0.1, 1, 3, 10, 30, 100, 300, 1000, 3000)],
        *[Entry(f"lasso-a{a:g}", lambda a=a: Lasso(alpha=a, max_iter=50000), scale=True)
          for a in (0.001, 0.01, 0.1, 0.3, 1, 3)],
        *[Entry(f"knn-k{k}", lambda k=k: KNeighborsRegressor(k), scale=True) for k in (1, 2, 3, 5, 8, 12, 20, 35, 60)],
        Entry("knn-k5-unscaled", lambda: KNeighborsRegressor(5)),
        *[Entry(f"tree-depth{d}", lambda d=d: DecisionTreeRegressor(max_depth=d, random_state=SEED))
          for d in (1, 2, 3, 4, 6, 8, None)],
        Entry("forest-10-depth3", lambda: RandomForestRegressor(10, max_depth=3, random_state=SEED)),
        Entry("forest-100", lambda: RandomForestRegressor(100, random_state=SEED)),
        Entry("forest-300-leaf5", lambda: RandomForestRegressor(300, min_samples_leaf=5, random_state=SEED)),
        Entry("extra-trees-200", lambda: ExtraTreesRegressor(200, random_state=SEED)),
        Entry("gbm-100-depth2", lambda: GradientBoostingRegressor(n_estimators=100, max_depth=2, random_state=SEED)),
        Entry("gbm-300-lr0.05", lambda: GradientBoostingRegressor(n_estimators=300, learning_rate=0.05,
                                                                  random_state=SEED)),
        Entry("hist-gbm", lambda: HistGradientBoostingRegressor(random_state=SEED)),
        *[Entry(f"svr-rbf-C{c:g}", lambda c=c: SVR(C=c), scale=True) for c in (1, 10, 100)],
        *[Entry(f"ridge-{int(f * 100)}pct-features", lambda: Ridge(alpha=1), scale=True, features=f)
          for f in (0.2, 0.5)],
        *[Entry(f"forest-{int(f * 100)}pct-features", lambda: RandomForestRegressor(100, random_state=SEED),
                features=f) for f in (0.2, 0.5)],
        *[Entry(f"ridge-{int(r * 100)}pct-rows", lambda: Ridge(alpha=1), scale=True, rows=r) for r in (0.1, 0.25)],
        Entry("forest-25pct-rows", lambda: RandomForestRegressor(100, random_state=SEED), rows=0.25),
        *[Entry(f"ridge-noisy{int(n * 100)}", lambda: Ridge(alpha=1), scale=True, noise=n) for n in (0.5, 1, 2)],
        *[Entry(f"forest-noisy{int(n * 100)}", lambda: RandomForestRegressor(100, random_state=SEED), noise=n)
          for n in (0.5, 1)],
        Entry("tree-noisy100", lambda: DecisionTreeRegressor(random_state=SEED), noise=1),
    ]


def feature_matrices(train: pd.DataFrame, test: pd.DataFrame, target: str, id_column: str):
    """Generic features: numbers (median-imputed), dates as year/month/day of year, small categories one-hot."""
    both = pd.concat([train.drop(columns=target), test], keys=["train", "test"])
    columns = []
    for name in both.columns.drop(id_column):
        column = both[name]
        if pd.api.types.is_numeric_dtype(column):
            columns.append(column.fillna(train[name].median()).rename(name))
            continue
        dates = pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")
        if dates.notna().all():
            columns += [dates.dt.year.rename(f"{name}_year"), dates.dt.month.rename(f"{name}_month"),
                        dates.dt.day_of_year.rename(f"{name}_dayofyear")]
        elif column.nunique() <= 20:
            columns.append(pd.get_dummies(column, prefix=name, dtype=float))
        # other text (such as car names) is left out
    matrix = pd.concat(columns, axis=1).astype(float)
    return matrix.loc["train"].to_numpy(), matrix.loc["test"].to_numpy()


def fit_predict(entry: Entry, spec: Spec, x_train, y_train, x_test, sample: pd.DataFrame, id_column: str):
    """The entry's submission, in the sample's columns."""
    rng = np.random.RandomState(SEED)
    if entry.features < 1:
        keep = rng.choice(x_train.shape[1], max(1, int(entry.features * x_train.shape[1])), replace=False)
        x_train, x_test = x_train[:, keep], x_test[:, keep]
    if entry.rows < 1:
        keep = rng.choice(len(x_train), int(entry.rows * len(x_train)), replace=False)
        x_train, y_train = x_train[keep], y_train[keep]
    if entry.noise and spec.output == "value":
        y_train = y_train + rng.normal(0, entry.noise * y_train.std(), len(y_train))
    elif entry.noise:
        flip = rng.rand(len(y_train)) < entry.noise
        y_train = y_train.copy()
        y_train[flip] = rng.permutation(y_train[flip])

    model = make_pipeline(StandardScaler(), entry.make()) if entry.scale else entry.make()
    model.fit(x_train, y_train)
    submission = sample[[id_column]].copy()
    if spec.output == "proba":
        probs = pd.DataFrame(model.predict_proba(x_test), columns=[str(c) for c in model.classes_])
        for column in sample.columns.drop(id_column):  # each column is the probability of the class of its name
            submission[column] = probs[column].to_numpy() if column in probs else 0.0
    else:
        submission[sample.columns.drop(id_column)[0]] = model.predict(x_test)
    return submission


def make_leaderboard(comp_dir: Path, data_dir: Path, spec: Spec) -> pd.DataFrame:
    config = load_config(comp_dir)
    public, _ = prepare_competition(comp_dir, data_dir)
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    sample = pd.read_csv(public / "sample_submission.csv")
    if not test[config.id_column].equals(sample[config.id_column]):
        raise SystemExit(f"{comp_dir}: test.csv and sample_submission.csv list different ids")
    x_train, x_test = feature_matrices(train, test, spec.target, config.id_column)
    y_train = train[spec.target].to_numpy()
    entries = regressor_entries() if spec.output == "value" else classifier_entries(spec.output)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in entries:
            path = Path(tmp) / f"{entry.name}.csv"
            fit_predict(entry, spec, x_train, y_train, x_test, sample, config.id_column).to_csv(path, index=False)
            scored = score_submission(comp_dir, data_dir, path)
            if scored.score is None:
                raise SystemExit(f"{comp_dir.name}: entry {entry.name} was judged invalid: {scored.problems}")
            rows.append({"teamName": entry.name, "score": scored.score})
    board = pd.DataFrame(rows).sort_values("score", ascending=spec.lower_is_better, kind="stable")
    return board.reset_index(drop=True)


def oracle_submission(comp_dir: Path, public: Path, python: str, out: Path) -> Path:
    """Run the competition's solution.py with `python` on the public data, as the oracle agent would."""
    config = load_config(comp_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = {"DATA_DIR": str(public), "SUBMISSION_DIR": str(out), "PATH": "/usr/bin:/bin"}
    subprocess.run([python, str(comp_dir / config.solution)], env=env, check=True, timeout=600)
    return out / "submission.csv"


def describe(comp_dir: Path, data_dir: Path, path: Path) -> str:
    report = grade_submission(comp_dir, data_dir, path)
    medal = next((m for m in ("gold", "silver", "bronze") if report[f"{m}_medal"]), "none")
    scores = pd.read_csv(comp_dir / "leaderboard.csv")["score"]
    better = (scores < report["score"]) if report["is_lower_better"] else (scores > report["score"])
    return (f"{report['score']} (rank {int(better.sum()) + 1}/{len(scores)}, medal {medal}, "
            f"above median {report['above_median']})")


def has_debian_sklearn() -> bool:
    if not Path(DEBIAN_PYTHON).exists():
        return False
    return subprocess.run([DEBIAN_PYTHON, "-c", "import sklearn, pandas"], capture_output=True).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="competition ids (default: every one under --root)")
    parser.add_argument("--root", type=Path, default=ROOT / DEFAULT_COMPETITIONS_ROOT)
    parser.add_argument("--data-dir", type=Path, help="prepared data (default: a temporary folder)")
    parser.add_argument("--check", action="store_true", help="rewrite no leaderboard; only rank oracle and sample")
    sides = parser.add_mutually_exclusive_group()
    sides.add_argument("--lower-is-better", dest="direction", action="store_const", const="lower",
                       help="for a competition without SPECS entry or leaderboard: its metric's direction")
    sides.add_argument("--higher-is-better", dest="direction", action="store_const", const="higher")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")  # convergence and deprecation chatter of the deliberately weak entries
    threadpool_limits(1)  # small data: more threads only add contention, worst on a busy machine

    ids = args.ids or sorted(p.name for p in args.root.iterdir() if (p / "task.yaml").is_file())
    direction = {"lower": True, "higher": False}.get(args.direction)
    pythons = [sys.executable] + ([DEBIAN_PYTHON] if has_debian_sklearn() else [])
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="leaderboards-"))
    try:
        for competition_id in ids:
            comp_dir = args.root / competition_id
            started = time.monotonic()
            if args.check:
                print(competition_id)
            else:
                board_file = comp_dir / LEADERBOARD_FILE
                placeholder = not board_file.is_file()
                if placeholder:
                    board_file.write_text(PLACEHOLDER + "0\n")
                try:
                    spec = SPECS.get(competition_id) or infer_spec(comp_dir, data_dir, direction)
                    board = make_leaderboard(comp_dir, data_dir, spec)
                except BaseException:
                    if placeholder:
                        board_file.unlink()
                    raise
                board.to_csv(board_file, index=False)
                print(f"{competition_id}: {len(board)} rows, best {board.score.iloc[0]}, worst {board.score.iloc[-1]} "
                      f"({time.monotonic() - started:.0f} s)")
            public, _ = prepare_competition(comp_dir, data_dir)
            print(f"  sample: {describe(comp_dir, data_dir, public / 'sample_submission.csv')}")
            for python in pythons:
                out = data_dir / "oracle" / competition_id / Path(python).name
                submission = oracle_submission(comp_dir, public, python, out)
                print(f"  oracle ({python}): {describe(comp_dir, data_dir, submission)}")
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
