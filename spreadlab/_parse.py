"""Safe parsing of distributions written as text, e.g. ``"Gaussian(0, 0.49)"``.

The text is parsed with :mod:`ast` and only a call of a known distribution with numeric
literals (numbers, unary signs, lists of numbers, lists of lists of numbers) as arguments
is accepted; nothing is ever evaluated, so ``"__import__('os')"`` is a parse error, not a
command. Every rejection is a :class:`ValueError` (or :class:`TypeError` for a non-string)
that quotes at most :data:`QUOTE_CHARS` characters of the text, so a megabyte of input
never becomes a megabyte of error message.
"""

import ast

from ._kernel_hooks import parse_names

__all__ = ["parse_distribution", "DISTRIBUTION_NAMES", "MAX_TEXT_CHARS", "QUOTE_CHARS"]

#: The built-in distributions that may be named in the text (their ``name`` hook in
#: :mod:`spreadlab._kernel_hooks`; a class registered later is accepted too).
DISTRIBUTION_NAMES = tuple(parse_names())

#: Longest accepted text: room for a 100 x 100 covariance matrix written out in full.
MAX_TEXT_CHARS = 200_000

#: At most this many characters of the input are quoted in an error message.
QUOTE_CHARS = 80

_MAX_LIST_DEPTH = 2  # a number, a vector or a matrix: no parameter is a 3-D array


def _quote(text):
    """``repr`` of ``text``, cut to about :data:`QUOTE_CHARS` characters."""
    if len(text) <= QUOTE_CHARS:
        return repr(text)
    return f"{text[:QUOTE_CHARS - 20]!r}... ({len(text):,} characters)"


def _number(value, text):
    """A literal number as a float (ints too: a 400-digit int would overflow later)."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(
            f"cannot parse {_quote(text)}: the integer {str(value)[:20]}... is too large "
            f"for a float (largest about 1.8e308)"
        ) from None


def _literal(node, text, depth=0):
    """Value of a numeric literal node; unary signs are folded in a loop, not recursion."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return sign * _number(node.value, text)
    if isinstance(node, (ast.List, ast.Tuple)) and sign == 1.0 and depth < _MAX_LIST_DEPTH:
        return [_literal(elt, text, depth + 1) for elt in node.elts]
    if isinstance(node, (ast.List, ast.Tuple)):
        what = "a negated list" if sign != 1.0 else f"lists nested deeper than {_MAX_LIST_DEPTH}"
    else:
        what = ast.dump(node)[:40]
    raise ValueError(
        f"cannot parse {_quote(text)}: arguments must be numbers, lists of numbers or "
        f"lists of lists of numbers; got {what}"
    )


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def named_classes():
    """The built-in names, then every user-defined Distribution subclass already imported.

    A class defined outside the ``spreadlab`` package (a user's own family, e.g. one with a
    registered closed form) is nameable by its class name once its module is imported (the
    CLI's ``--import``). Two user classes with one name are refused rather than guessed.
    """
    from .distributions._base import Distribution

    classes = parse_names()
    users = {}
    for sub in _subclasses(Distribution):
        if sub.__module__.split(".")[0] == "spreadlab" or sub.__name__.startswith("_"):
            continue
        users.setdefault(sub.__name__, set()).add(sub)
    for name, found in users.items():
        if name in classes:
            continue  # a built-in name cannot be shadowed
        if len(found) > 1:
            where = ", ".join(sorted(f"{c.__module__}.{c.__qualname__}" for c in found))
            classes[name] = ValueError(f"distribution name {name!r} is ambiguous: {where}")
        else:
            classes[name] = found.pop()
    return classes


def parse_distribution(text):
    """Turn text such as ``"Laplace(0, 1.5)"`` into a distribution object.

    Only the grammar ``Name(arg, ..., key=value, ...)`` is accepted, where ``Name`` is one
    of :data:`DISTRIBUTION_NAMES` (or the class name of a user-defined
    :class:`~spreadlab.Distribution` subclass whose module has been imported) and every
    argument is a number (``1``, ``-2.5e-3``,
    ``1e400`` is ``inf``), a list of numbers or a list of lists of numbers.

    Parameters
    ----------
    text : str
        The distribution, at most :data:`MAX_TEXT_CHARS` characters.

    Returns
    -------
    Distribution
        The constructed object; the distribution's own constructor validates the values.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        For anything else (syntax, unknown name, non-numeric or too deeply nested
        arguments, a keyword given twice, arguments the distribution rejects), with a
        message saying what is allowed and quoting at most :data:`QUOTE_CHARS`
        characters of the text.

    Examples
    --------
    >>> from spreadlab._parse import parse_distribution
    >>> parse_distribution("Gaussian([0, 1], 0.5)").dim
    2
    >>> parse_distribution("Laplace(0, scale=2)")
    Laplace(loc=0, scale=2)
    >>> parse_distribution("Gaussian(mean=0, mean=5)")
    Traceback (most recent call last):
    ...
    ValueError: cannot parse 'Gaussian(mean=0, mean=5)': keyword 'mean' given more than once
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str such as 'Gaussian(0, 1)'; got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"cannot parse {_quote(text)}: at most {MAX_TEXT_CHARS:,} characters are accepted"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {_quote(text)}: {str(exc.msg)[:100]}") from None
    except (RecursionError, MemoryError, ValueError):
        # CPython's parser gives up on very deep nesting (e.g. 100,000 unary minus signs)
        raise ValueError(f"cannot parse {_quote(text)}: the expression is nested too deeply") from None
    classes = named_classes()
    names = ", ".join(classes)
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError(f"cannot parse {_quote(text)}: expected Name(...) with Name one of {names}")
    cls = classes.get(call.func.id)
    if cls is None:
        raise ValueError(f"unknown distribution {_quote(call.func.id)}; should be one of {names}")
    if isinstance(cls, ValueError):
        raise cls
    args = []
    for a in call.args:
        if isinstance(a, ast.Starred):
            raise ValueError(f"cannot parse {_quote(text)}: *args are not allowed")
        args.append(_literal(a, text))
    kwargs = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError(f"cannot parse {_quote(text)}: **kwargs are not allowed")
        if kw.arg in kwargs:
            raise ValueError(f"cannot parse {_quote(text)}: keyword {kw.arg!r} given more than once")
        kwargs[kw.arg] = _literal(kw.value, text)
    try:
        return cls(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"bad arguments in {_quote(text)}: {str(exc)[:200]}") from None
