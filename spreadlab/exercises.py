r"""Exercise checker of the tutorial notebooks and the student edition of the notebooks.

``check(exercise, answer, **parts)`` says whether an answer is right. A wrong answer raises
:class:`WrongAnswer` (an ``AssertionError``) whose message gives a hint and the tolerance,
**never the expected value**: a student can test an answer as often as they like without
being handed it. "Explain why" exercises have a checkable second part (a number, a yes/no
or a multiple choice), passed by keyword.

Solutions in the notebooks are marked with nbgrader's conventions::

    ### BEGIN SOLUTION
    ...the instructor's code...
    ### END SOLUTION
    ### BEGIN HIDDEN TESTS
    ...asserts that would give the answer away...
    ### END HIDDEN TESTS
    assert check("2.2", sigma)

:func:`make_student_edition` (or ``spreadlab course student OUTDIR``) runs nbgrader's
``ClearSolutions`` and ``ClearHiddenTests`` preprocessors over the notebooks: each solution
region becomes ``raise NotImplementedError(...)`` under ``# YOUR CODE HERE``, hidden tests
vanish, and the ``check(...)`` line stays so the student can test their answer. nbgrader is
an optional dependency (``pip install spreadlab[course]``).

Examples
--------
>>> from spreadlab.exercises import check, WrongAnswer
>>> check("2.2", 1.3 / 2**0.5)
Exercise 2.2: correct.
True
>>> try:
...     check("2.2", 1.3)
... except WrongAnswer as exc:
...     print(exc)  # doctest: +ELLIPSIS
Exercise 2.2: not right (relative tolerance 1e-09). Hint: ...
>>> EXERCISE_KINDS["4.2"]
'number + explanation'
"""

import numbers
import pathlib
import shutil

import numpy as np
from scipy import integrate, optimize

__all__ = ["check", "WrongAnswer", "EXERCISES", "EXERCISE_KINDS", "make_student_edition",
           "STUDENT_STUB"]

#: What a cleared solution region becomes in the student edition.
STUDENT_STUB = ("# YOUR CODE HERE\n"
                "raise NotImplementedError(\"exercise not answered yet: replace this line with your answer\")")


class WrongAnswer(AssertionError):
    """An exercise answer is wrong; the message holds a hint, never the expected value."""


class _Exercise:
    """One exercise: a checker of the main answer, a hint, and the checkable parts."""

    def __init__(self, kind, hint, check_main, parts=()):
        self.kind = kind
        self.hint = hint
        self.check_main = check_main
        self.parts = dict(parts)  # name -> (what it asks, checker(value) -> bool)


def _number(value, name):
    if not isinstance(value, (numbers.Real, np.floating, np.integer)) or isinstance(value, (bool, np.bool_)):
        try:  # a sympy number or a 0-d array is accepted; a string, a list or a bool is not
            if isinstance(value, (str, bytes, bool, np.bool_)) or np.ndim(value) != 0:
                raise TypeError
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a real number; got {type(value).__name__}: {value!r}") from None
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"{name} is NaN: compute a number first")
    return value


def _close(expected, rtol):
    """Checker: the answer is within ``rtol`` (relative) of ``expected``."""
    def ok(answer):
        return bool(np.isclose(answer, expected, rtol=rtol, atol=0.0))
    ok.rtol = rtol
    return ok


def _within(expected, atol):
    def ok(answer):
        return bool(abs(answer - expected) < atol)
    ok.atol = atol
    return ok


def _is(expected):
    """Checker of a yes/no or a multiple-choice part."""
    def ok(answer):
        if isinstance(expected, bool):
            if not isinstance(answer, (bool, np.bool_)):
                raise TypeError(f"this part is True or False; got {answer!r}")
            return bool(answer) is expected
        if not isinstance(answer, str):
            raise TypeError(f"this part is one of the letters offered; got {answer!r}")
        return answer.strip().lower() == expected
    return ok


# ------------------------------------------------------------------------------------------
# The reference values, each computed from its derivation (not typed in)
# ------------------------------------------------------------------------------------------
def _distance_off_plane():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])
    y = np.array([1.0, 0.0, -1.0])
    coef = np.linalg.lstsq(W, y, rcond=None)[0]
    return float(np.linalg.norm(y - W @ coef))


def _chi2_threshold():
    Sp = np.array([[1.0, 1.0], [1.0, 1.0]])
    Sq = np.array([[1.0, -0.5], [-0.5, 0.25]])
    return float(np.sqrt(max(0.0, -np.linalg.eigvalsh(2 * Sq - Sp)[0])))


def _sd_of_scale_fit(a0_sq, sigma, n, m):
    return float(np.sqrt(2 * a0_sq**2 / n + (4 * a0_sq * sigma**2 + 2 * sigma**4) / (n * m)))


def _amari_by_formula(P):
    """The normalised Amari distance of a Z x Z matrix P, written from its formula (no spreadlab)."""
    P = np.abs(np.asarray(P, dtype=float))
    Z = P.shape[0]
    rows = np.sum(P.sum(axis=1) / P.max(axis=1) - 1)
    cols = np.sum(P.sum(axis=0) / P.max(axis=0) - 1)
    return (rows + cols) / (2 * Z * (Z - 1))


def _wave_log_density():
    """log p~(y) of the wave g(z) = (z, sin 2z) at y = (0.5, 0.2), Gaussian spread 0.1, by quadrature."""
    y1, y2, s = 0.5, 0.2, 0.1

    def integrand(z):  # N(y; g(z), s^2 I) N(z; 0, 1)
        return np.exp(-((y1 - z) ** 2 + (y2 - np.sin(2 * z)) ** 2) / (2 * s * s) - np.log(2 * np.pi * s * s)
                      - 0.5 * z * z - 0.5 * np.log(2 * np.pi))

    # a bump of width ~ s around z = 0.5; beyond |z| = 8 the prior is < 1e-13
    value = integrate.quad(integrand, -8.0, 8.0, points=[0.0, 0.5], epsabs=0.0, epsrel=1e-11, limit=200)[0]
    return float(np.log(value))


def _check_2_1(answer):
    import sympy as sp

    d, b = sp.symbols("d b", positive=True)
    expr = sp.sympify(answer)
    free = {s.name for s in expr.free_symbols}
    if not free <= {"d", "b"}:
        raise WrongAnswer(f"Exercise 2.1: the answer must be written in d and b only; it uses {sorted(free)}")
    expr = expr.subs({s: (d if s.name == "d" else b) for s in expr.free_symbols})
    return sp.simplify(expr - (d / b + sp.exp(-d / b) - 1)) == 0


def _build():
    E = _Exercise
    ex = {
        "1.1": E("number", "sigma^2 log p~ is -(distance to the plane)^2 / 2 plus terms that vanish with "
                 "sigma; use linear_spread_logpdf at sigma = 1e-3 and multiply by sigma^2.",
                 _close(-0.5 * _distance_off_plane() ** 2, 1e-4)),
        "1.2": E("number + explanation",
                 "take a central difference of log p~ in log sigma (a step h ~ 1e-4); the determinant of "
                 "W W^T + sigma^2 I has one factor per direction off the plane.",
                 _close(-1.0, 1e-3),
                 {"squeezed": ("the number of eigenvalues of W W^T + sigma^2 I that shrink to 0 with sigma",
                               _close(1.0, 0.0))}),
        "2.1": E("symbolic", "split the integral at y = 0 and y = d, where |y| and |y - d| change form; "
                 "sp.simplify the sum.", _check_2_1),
        "2.2": E("number", "the Gaussian spread KL of two point masses is d^2 / (2 sigma^2); solve it for sigma.",
                 _close(1.3 / np.sqrt(2.0), 1e-9)),
        "3.1": E("number + explanation",
                 "spreading adds sigma^2 to both variances; differentiate Delta^2 / (2 (1 + sigma^2)).",
                 _close(-(1.5**2) * 0.5 / (1.0 + 0.5**2) ** 2, 1e-6),
                 {"why": ("the letter of the reason offered in the exercise", _is("b"))}),
        "3.2": E("number", "chi^2 is finite when 2 (Sigma_q + sigma^2 I) - (Sigma_p + sigma^2 I) is positive "
                 "definite: look at the smallest eigenvalue of 2 Sigma_q - Sigma_p.",
                 _close(_chi2_threshold(), 1e-6)),
        "4.1": E("number", "sin u - u cos u = 0 has its first positive root between pi and 3 pi / 2.",
                 _close(optimize.brentq(lambda u: np.tan(u) - u, np.pi + 0.1, 1.5 * np.pi - 1e-9), 1e-6)),
        "4.2": E("number + explanation",
                 "Fejer(0, s) has the transform max(0, 1 - s |omega| / 2): where does it reach 0?",
                 _close(2 / 0.25, 1e-6),
                 {"one_to_one": ("does a narrower Fejér kernel make spreading one-to-one? (True/False)",
                                 _is(False))}),
        "5.1": E("number + explanation",
                 "a0^2 = 4, sigma = 1, N = 2000, m = 10 in the variance formula; the first term does not "
                 "depend on m.",
                 _close(_sd_of_scale_fit(4.0, 1.0, 2000, 10), 1e-9),
                 {"limit": ("the standard deviation of a^2-hat with infinitely many draws per point",
                            _close(float(np.sqrt(2 * 4.0**2 / 2000)), 1e-9))}),
        "5.2": E("number", "the largest eigenvalue of the spread data's covariance is |w0|^2 + sigma^2; the "
                 "model subtracts its own s^2.", _close(5.0 + 0.5**2 - 0.3**2, 1e-9)),
        "6.1": E("number", "sum over rows of (row sum / row max - 1), the same over columns, divided by "
                 "2 Z (Z - 1), with absolute values.", _close(_amari_by_formula([[1.0, 0.5], [0.0, 1.0]]), 1e-12)),
        # the step is sigma^2 times a fixed direction plus O(sigma^4): at sigma <= 1e-2 the ratio is 4 to
        # about 1e-3 relative (notebook 6, section 2); 1% allows other small settings
        "6.2": E("number + explanation", "divide the step length at sigma = 1e-2 by that at 5e-3.",
                 _close(4.0, 1e-2),
                 {"if_linear": ("the ratio a step proportional to sigma (not sigma^2) would give",
                                _close(2.0, 1e-12))}),
        # the O(gamma^2) correction and whole-number iteration counts move the fitted exponent by a few
        # hundredths (measured -1.978 over gamma in [0.05, 0.1], -1.986 over [0.025, 0.1], -1.93 over
        # [0.05, 0.2]); 0.1 rejects -1 (a step linear in gamma) and -3
        "6.3": E("number", "np.polyfit(np.log(gammas), np.log(counts), 1)[0] is the exponent.",
                 _within(-2.0, 0.1)),
        "7.1": E("number", "the one-sided fit matches the spread data's variance along the line with its "
                 "own spread subtracted.", _close(np.sqrt(5.0 - 0.8**2), 1e-9)),
        # only the direction's length differs: a 1-D KL between N(0, 5 + s^2) and N(0, 4.36 + s^2)
        "7.2": E("number", "both lines spread with s^2 I differ only along a: a one-dimensional Gaussian KL "
                 "(r - 1 - log r) / 2 of the spread variances.",
                 _close(0.5 * ((5.25 / 4.61) - 1.0 - np.log(5.25 / 4.61)), 1e-9)),
        # 4 standard errors of a Monte Carlo estimate with 10^6 latent draws (about 0.005 nats);
        # a quadrature answer is far closer
        "7.3": E("number", "integrate N(y; g(z), s^2 I) N(z; 0, 1) over z (one dimension): keep the Gaussian's "
                 "normalisation 1 / (2 pi s^2).", _within(_wave_log_density(), 0.02)),
        "8.1": E("number", "the least variance allowed along Delta is sigma^2 a^(-(d-1)/d); KL = "
                 "|Delta|^2 / (2 x that variance).", _close(2.0 / (2.0 * 8.0 ** (-2.0 / 3.0)), 1e-9)),
        "8.2": E("number + explanation", "the spread KL of two point masses is Delta^T S^-1 Delta / 2.",
                 _close(1.0 / (2.0 * 1e-3), 1e-9),
                 {"bounded": ("is the spread KL bounded over all S with det S = 1? (True/False)", _is(False))}),
        "8.3": E("number + explanation",
                 "(I + S)^-1 along Delta is 1 / (1 + variance of S along Delta).",
                 _close(0.6**2 / (2.0 * (1.0 + 4.0 * 10.0 ** (-7.0 / 8.0))), 1e-9),
                 {"why": ("the letter of the reason offered in the exercise", _is("a"))}),
        "9.1": E("number", "a Laplace(0, b) law has variance 2 b^2: match it to sigma^2 at sigma = 0.1.",
                 _close(0.1 / np.sqrt(2.0), 1e-6)),
        # 14 x 14 images: D = 196 pixels, sigma = 0.1
        "9.2": E("number", "E||eps||^2 = D sigma^2 under N(0, sigma^2 I): the expected log density is "
                 "-(D/2) log(2 pi e sigma^2) with D = 196.",
                 _close(-196 / 2 * np.log(2 * np.pi * np.e * 0.1**2), 1e-6)),
    }
    return ex


_EXERCISES = None


def _exercises():
    global _EXERCISES
    if _EXERCISES is None:  # built on first use: a few reference values need quadrature or brentq
        _EXERCISES = _build()
    return _EXERCISES


EXERCISES = ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2", "6.1", "6.2", "6.3",
             "7.1", "7.2", "7.3", "8.1", "8.2", "8.3", "9.1", "9.2")
#: The kind of each exercise: "number", "symbolic", or "number + explanation" (a checkable second part).
EXERCISE_KINDS = {
    "1.1": "number", "1.2": "number + explanation", "2.1": "symbolic", "2.2": "number",
    "3.1": "number + explanation", "3.2": "number", "4.1": "number", "4.2": "number + explanation",
    "5.1": "number + explanation", "5.2": "number", "6.1": "number", "6.2": "number + explanation",
    "6.3": "number", "7.1": "number", "7.2": "number", "7.3": "number", "8.1": "number",
    "8.2": "number + explanation", "8.3": "number + explanation", "9.1": "number", "9.2": "number",
}


def check(exercise, answer, **parts):
    """Check the answer to an exercise of the tutorial notebooks.

    Parameters
    ----------
    exercise : str
        The exercise number, e.g. ``"2.1"`` (one of :data:`EXERCISES`).
    answer : float or sympy expression
        What the exercise asks for (a sympy expression for the symbolic exercise 2.1).
    **parts
        The checkable parts of an "explain why" exercise, by the names its text gives
        (e.g. ``one_to_one=False`` or ``why="b"``).

    Returns
    -------
    bool
        ``True`` when every part is right (and prints ``Exercise n.k: correct.``).

    Raises
    ------
    WrongAnswer
        When a part is wrong or missing: the message gives a hint and the tolerance, never
        the expected value.
    ValueError
        For an unknown exercise or a NaN answer.
    TypeError
        For an answer of the wrong type (a string where a number is wanted) or an unknown part.

    Examples
    --------
    >>> from spreadlab.exercises import check
    >>> check("4.2", 8.0, one_to_one=False)
    Exercise 4.2: correct.
    True
    """
    if not isinstance(exercise, str) or exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {EXERCISES}; got {exercise!r}")
    ex = _exercises()[exercise]
    unknown = sorted(set(parts) - set(ex.parts))
    if unknown:
        allowed = ", ".join(ex.parts) or "none"
        raise TypeError(f"exercise {exercise} has no part {unknown[0]!r}; its parts are: {allowed}")
    if ex.kind != "symbolic":
        answer = _number(answer, "answer")
    if not ex.check_main(answer):
        tol = getattr(ex.check_main, "rtol", None)
        how = (f" (relative tolerance {tol:g})" if tol is not None
               else f" (absolute tolerance {ex.check_main.atol:g})" if hasattr(ex.check_main, "atol") else "")
        raise WrongAnswer(f"Exercise {exercise}: not right{how}. Hint: {ex.hint}")
    for name, (what, ok) in ex.parts.items():
        if name not in parts:
            raise WrongAnswer(f"Exercise {exercise}: the number is right; now answer the second part: "
                              f"check({exercise!r}, answer, {name}=...), {what}.")
        value = parts[name]
        if hasattr(ok, "rtol") or hasattr(ok, "atol"):  # a numeric part: a string or a list is refused
            value = _number(value, name)
        try:
            right = ok(value)
        except TypeError as exc:
            raise TypeError(f"exercise {exercise}, part {name!r}: {exc}") from None
        if not right:
            raise WrongAnswer(f"Exercise {exercise}: the number is right but part {name!r} is not ({what}).")
    print(f"Exercise {exercise}: correct.")
    return True


# ------------------------------------------------------------------------------------------
# The student edition
# ------------------------------------------------------------------------------------------
def _mark_whole_solution(cell):
    """A cell tagged ``solution`` without nbgrader markers: mark all of it but its last ``check(`` line.

    Notebooks written before the markers (tag only) thus still lose their solutions; the check
    stays for the student. A cell with markers is left as it is.
    """
    if cell.cell_type != "code" or "solution" not in cell.metadata.get("tags", []):
        return
    if "BEGIN SOLUTION" in cell.source:
        return
    lines = cell.source.rstrip().split("\n")
    last = max((i for i, line in enumerate(lines) if line.lstrip().startswith(("assert check(", "check("))),
               default=len(lines))
    cell.source = "\n".join(["### BEGIN SOLUTION", *lines[:last], "### END SOLUTION", *lines[last:]])


def make_student_edition(source, outdir, pattern="[0-9]*.ipynb"):
    """Write the student edition of the tutorial notebooks: solutions and hidden tests removed.

    Runs nbgrader's ``ClearSolutions`` (each ``### BEGIN SOLUTION`` ... ``### END SOLUTION``
    region becomes :data:`STUDENT_STUB`) and ``ClearHiddenTests`` (each ``### BEGIN HIDDEN
    TESTS`` region is deleted) over every notebook, and clears outputs. Everything else,
    including the ``check(...)`` line that follows each solution, is kept. A code cell tagged
    ``solution`` without markers is treated as one solution region up to its last ``check(``
    line, so notebooks that only tag their solution cells lose them too.

    Parameters
    ----------
    source : str or path-like
        A folder of notebooks (those matching ``pattern``) or a single ``.ipynb`` file.
    outdir : str or path-like
        Folder to write to (created if needed); existing files of the same name are replaced.
    pattern : str, default="[0-9]*.ipynb"
        Which notebooks of a folder to convert.

    Returns
    -------
    list of pathlib.Path
        The notebooks written.

    Raises
    ------
    ImportError
        When nbgrader is not installed (``pip install spreadlab[course]``).
    ValueError
        When ``source`` holds no notebook, or a notebook's markers do not pair up.
    """
    try:
        import nbformat
        from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions
    except ImportError as exc:  # an optional extra
        raise ImportError("the student edition needs nbgrader: pip install spreadlab[course]") from exc
    source, outdir = pathlib.Path(source), pathlib.Path(outdir)
    paths = [source] if source.is_file() else sorted(source.glob(pattern))
    if not paths or any(p.suffix != ".ipynb" for p in paths):
        raise ValueError(f"source must be a notebook or a folder holding notebooks ({pattern}); got {str(source)!r}")
    outdir.mkdir(parents=True, exist_ok=True)
    steps = [ClearSolutions(code_stub={"python": STUDENT_STUB}, enforce_metadata=False),
             ClearHiddenTests(enforce_metadata=False), ClearOutput()]
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            _mark_whole_solution(cell)
        resources = {}
        try:
            for step in steps:
                nb, resources = step.preprocess(nb, resources)
        except RuntimeError as exc:  # nbgrader's message for unpaired markers
            raise ValueError(f"{path.name}: {exc}") from None
        for cell in nb.cells:  # the solution cells are hidden in the docs; a student sees them
            tags = cell.metadata.get("tags", [])
            if "solution" in tags:
                cell.metadata["tags"] = [t for t in tags if t != "hide-cell"]
        out = outdir / path.name
        nbformat.write(nb, out)
        written.append(out)
    # a notebook not yet moved to spreadlab.course still imports the (re-exporting) shim beside it
    shim = (source if source.is_dir() else source.parent) / "_helpers.py"
    if shim.is_file() and any("_helpers" in p.read_text(encoding="utf-8") for p in written):
        shutil.copyfile(shim, outdir / shim.name)
    return written
