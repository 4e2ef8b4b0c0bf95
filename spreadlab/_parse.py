"""Safe parsing of distributions written as text, e.g. ``"Gaussian(0, 0.49)"``.

The text is parsed with :mod:`ast` and only a call of a known distribution with numeric
literals (numbers, unary minus, lists of numbers) as arguments is accepted; nothing is
ever evaluated, so ``"__import__('os')"`` is a parse error, not a command.
"""

import ast

from . import distributions as _d

__all__ = ["parse_distribution"]

_ALLOWED = {
    name: getattr(_d, name)
    for name in (
        "Delta", "Gaussian", "Laplace", "Cauchy", "Logistic", "HyperbolicSecant",
        "StudentT", "Uniform", "Triangular", "Epanechnikov", "Fejer",
    )
}


def _literal(node, text):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(elt, text) for elt in node.elts]
    raise ValueError(
        f"cannot parse {text!r}: arguments must be numbers or lists of numbers, "
        f"got {ast.dump(node)[:60]}"
    )


def parse_distribution(text):
    """Turn text such as ``"Laplace(0, 1.5)"`` into a distribution object.

    Parameters
    ----------
    text : str
        ``Name(arg, ..., key=value)`` with ``Name`` one of the spreadlab distributions
        and numeric (or list-of-numeric) arguments.

    Returns
    -------
    Distribution

    Raises
    ------
    ValueError
        For anything else, with a message saying what is allowed.

    Examples
    --------
    >>> from spreadlab._parse import parse_distribution
    >>> parse_distribution("Gaussian([0, 1], 0.5)").dim
    2
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {text!r}: {exc.msg}") from None
    call = tree.body
    names = ", ".join(_ALLOWED)
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError(f"cannot parse {text!r}: expected Name(...) with Name one of {names}")
    cls = _ALLOWED.get(call.func.id)
    if cls is None:
        raise ValueError(f"unknown distribution {call.func.id!r}; should be one of {names}")
    args = [_literal(a, text) for a in call.args]
    kwargs = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError(f"cannot parse {text!r}: **kwargs are not allowed")
        kwargs[kw.arg] = _literal(kw.value, text)
    try:
        return cls(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"bad arguments in {text!r}: {exc}") from None
