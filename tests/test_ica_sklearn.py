"""SpreadICA is a real scikit-learn estimator: check_estimator, set_output,
feature names, NotFittedError."""
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from spreadlab.ica import SpreadICA, make_ica_data


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_check_estimator_passes():
    # every check scikit-learn runs on its own transformers (fit/transform API,
    # parameter validation, idempotence, pickling, n_features_in_, dtypes, ...)
    check_estimator(SpreadICA(random_state=0, max_iter=50))


def test_not_fitted_error():
    with pytest.raises(NotFittedError, match="This SpreadICA instance is not fitted yet"):
        SpreadICA(2).transform(np.zeros((3, 4)))


def test_set_output_pandas_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, _, _ = make_ica_data(500, 3, 2, random_state=0)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    est = SpreadICA(2, random_state=0).set_output(transform="pandas").fit(df)
    out = est.transform(df)
    assert list(out.columns) == ["spreadica0", "spreadica1"]
    assert list(est.feature_names_in_) == ["a", "b", "c"] and est.n_features_in_ == 3


def test_keyword_only_parameters_after_n_components():
    with pytest.raises(TypeError, match="positional argument"):
        SpreadICA(2, "auto")
