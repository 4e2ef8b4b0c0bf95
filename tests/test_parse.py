"""spreadlab._parse: the only text the CLI turns into objects, so it is tested as a boundary."""

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spreadlab
from spreadlab._parse import DISTRIBUTION_NAMES, MAX_TEXT_CHARS, QUOTE_CHARS, parse_distribution


def test_every_name_is_a_public_distribution():
    for name in DISTRIBUTION_NAMES:
        assert name in spreadlab.__all__
        assert issubclass(getattr(spreadlab, name), spreadlab.Distribution)


@pytest.mark.parametrize("text, expected", [
    ("Delta(0)", spreadlab.Delta(0.0)),
    ("Delta([1, -2])", spreadlab.Delta([1.0, -2.0])),
    ("Gaussian(0, 0.49)", spreadlab.Gaussian(0.0, 0.49)),
    ("Gaussian(mean=[0, 1], cov=[[2, 0.5], [0.5, 1]])", spreadlab.Gaussian([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]])),
    ("Gaussian((0, 1), 0.5)", spreadlab.Gaussian([0.0, 1.0], 0.5)),
    ("Laplace(-1.5e-3, scale=2)", spreadlab.Laplace(-1.5e-3, 2.0)),
    ("  StudentT(3, 0, +1)  ", spreadlab.StudentT(3.0, 0.0, 1.0)),
    ("Triangular(0, 1, c=0.25)", spreadlab.Triangular(0.0, 1.0, c=0.25)),
    ("Fejer(0, 1)", spreadlab.Fejer(0.0, 1.0)),
])
def test_parsed_object_equals_the_direct_constructor(text, expected):
    """Oracle: the constructor called directly; compared through repr (parameters, type)."""
    got = parse_distribution(text)
    assert type(got) is type(expected)
    assert repr(got) == repr(expected)


@given(st.integers(min_value=0, max_value=3000), st.floats(0.5, 10.0))
@settings(max_examples=25, deadline=None, database=None)
def test_unary_signs_fold_by_parity(n_minus, value):
    """Oracle: (-1)**n; the old recursive fold hit RecursionError near 1,000 signs."""
    got = parse_distribution("Delta(" + "-" * n_minus + repr(value) + ")")
    assert got.loc.item() == (-1) ** n_minus * value


@pytest.mark.parametrize("text, match", [
    ("__import__('os')", "unknown distribution '__import__'"),
    ("os.system('ls')", "expected Name"),
    ("Gaussian", "expected Name"),
    ("Gaussian(0, 1) + 1", "expected Name"),
    ("Gaussian('0', 1)", "arguments must be numbers"),
    ("Gaussian(True, 1)", "arguments must be numbers"),
    ("Gaussian(1j, 1)", "arguments must be numbers"),
    ("Gaussian(x, 1)", "arguments must be numbers"),
    ("Gaussian(1 + 1, 1)", "arguments must be numbers"),
    ("Gaussian(-[1, 2], 1)", "a negated list"),
    ("Gaussian([[[1]]], 1)", "nested deeper than 2"),
    ("Gaussian(*[1, 2])", r"\*args are not allowed"),
    ("Gaussian(**{'mean': 1})", r"\*\*kwargs are not allowed"),
    ("Gaussian(mean=0, mean=5)", "keyword 'mean' given more than once"),
    ("Gaussian(0, mean=5)", "bad arguments .*multiple values"),
    ("Laplace(0, 1, 2, 3)", "bad arguments"),
    ("Gaussian(0, sd=1)", "bad arguments .*sd"),
    ("Gaussian(1" + "0" * 400 + ", 1)", "too large for a float"),
    ("Gaussian(1" + "0" * 5000 + ", 1)", "cannot parse"),  # CPython's 4300-digit limit
    ("Gaussian(0, 1", "cannot parse"),
    ("Gaussian(" + "[" * 300 + "1" + "]" * 300 + ")", "cannot parse"),
    ("Gaussian(" + "-" * 100_000 + "1, 1)", "nested too deeply"),
])
def test_rejected_text_is_a_value_error_saying_what_is_allowed(text, match):
    with pytest.raises(ValueError, match=match):
        parse_distribution(text)


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="text must be a str"):
        parse_distribution(b"Delta(0)")


def test_too_long_text_refused_before_parsing():
    text = "Delta([" + ", ".join(["0"] * MAX_TEXT_CHARS) + "])"
    with pytest.raises(ValueError, match=f"at most {MAX_TEXT_CHARS:,} characters"):
        parse_distribution(text)


def test_text_just_under_the_limit_is_parsed():
    """Negative control for the limit: a 100 x 100 covariance written out in full fits."""
    n = 100
    rows = ", ".join("[" + ", ".join("1.0" if i == j else "0.0" for j in range(n)) + "]" for i in range(n))
    text = f"Gaussian([{', '.join(['0.0'] * n)}], [{rows}])"
    assert len(text) < MAX_TEXT_CHARS
    assert parse_distribution(text).dim == n


def test_library_value_errors_pass_through_unchanged():
    """Values are checked by the distribution itself (one source of truth), not re-checked here."""
    with pytest.raises(ValueError, match="loc must be finite"):
        parse_distribution("Laplace(1e400, 1)")  # 1e400 is the float inf


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None, database=None)
def test_any_text_is_a_distribution_or_a_short_value_error(text):
    """Fuzz: no other exception type, and the message quotes at most QUOTE_CHARS of the input."""
    try:
        parse_distribution(text)
    except ValueError as exc:
        assert len(str(exc)) < QUOTE_CHARS + 400


@given(st.sampled_from(DISTRIBUTION_NAMES),
       st.lists(st.one_of(st.floats(allow_nan=False), st.integers(-10**6, 10**6),
                          st.lists(st.floats(-1e3, 1e3), max_size=3)), max_size=4))
@settings(max_examples=200, deadline=None, database=None)
def test_grammar_fuzz_gives_an_object_or_a_clean_error(name, args):
    """Well-formed calls with arbitrary numbers: an object, or a ValueError/TypeError of the
    constructor (never e.g. OverflowError from the parser's handling of the literals)."""
    text = f"{name}({', '.join(map(repr, args))})".replace("inf", "1e400")
    ast.parse(text, mode="eval")  # the generated text is valid Python syntax
    try:
        parse_distribution(text)
    except (ValueError, TypeError):
        pass


def test_long_bad_text_quotes_at_most_quote_chars():
    text = "Gaussian(" + "x" * 10_000 + ")"
    with pytest.raises(ValueError) as err:
        parse_distribution(text)
    assert "x" * (QUOTE_CHARS + 1) not in str(err.value)
    assert "(10,010 characters)" in str(err.value)


def test_user_subclass_is_nameable_once_defined_and_ambiguity_is_refused():
    """A Distribution subclass defined outside spreadlab is found by its class name."""
    with pytest.raises(ValueError, match="unknown distribution 'ParseUserLaplace'"):
        parse_distribution("ParseUserLaplace(0, 1)")  # negative control: not defined yet

    class ParseUserLaplace(spreadlab.Laplace):
        pass

    got = parse_distribution("ParseUserLaplace(0, 2)")
    assert type(got) is ParseUserLaplace and repr(got) == "ParseUserLaplace(loc=0, scale=2)"

    first = ParseUserLaplace
    ParseUserLaplace = type("ParseUserLaplace", (spreadlab.Laplace,), {"__module__": "another.module"})
    with pytest.raises(ValueError, match="'ParseUserLaplace' is ambiguous: .*another.module.ParseUserLaplace"):
        parse_distribution("ParseUserLaplace(0, 2)")
    assert first is not ParseUserLaplace


def test_a_user_class_cannot_shadow_a_built_in_name():
    shadow = type("Gaussian", (spreadlab.Laplace,), {"__module__": "user.shadow"})
    assert type(parse_distribution("Gaussian(0, 1)")) is spreadlab.Gaussian
    assert shadow.__module__ == "user.shadow"
