"""``spreadlab course student OUTDIR`` (the student edition) and ``spreadlab check-formula``."""

__all__ = ["add_parser", "add_check_formula_parser"]




def add_parser(sub):
    """Add the ``course`` command to the subparsers ``sub`` of ``spreadlab``'s parser."""
    course = sub.add_parser(
        "course", help="course tools: write the student edition of the tutorial notebooks",
        description="Example: spreadlab course student handout/ --source notebooks/",
    )
    what = course.add_subparsers(dest="course_command", required=True, metavar="TOOL")
    st = what.add_parser("student", help="copy the notebooks with solutions and hidden tests removed "
                                         "(nbgrader's ClearSolutions / ClearHiddenTests)")
    st.add_argument("outdir", help="folder to write the student notebooks to")
    st.add_argument("--source", default="notebooks",
                    help="folder of the instructor notebooks, or one .ipynb (default: ./notebooks)")
    st.set_defaults(func=cmd_student, buffered=True)
    return course


def cmd_student(args, out):
    from .exercises import make_student_edition

    written = make_student_edition(args.source, args.outdir)
    for path in written:
        print(f"wrote {path}", file=out)
    print(f"{len(written)} student notebooks (solutions replaced by NotImplementedError stubs)", file=out)
    return 0




def add_check_formula_parser(sub):
    """Add ``check-formula`` to the subparsers ``sub`` of ``spreadlab``'s parser."""
    cf = sub.add_parser(
        "check-formula",
        help="compare a hand-derived divergence formula with quadrature over random parameters",
        description='Example: spreadlab check-formula "(loc_p - loc_q)**2 / (2*cov_k)" Delta Delta '
                    '--kernel Gaussian. Parameters are named <name>_p, <name>_q, <name>_k after the '
                    "constructors (Gaussian's cov is a variance; Laplace(loc, scale); Uniform(loc, width)). "
                    "Exit status 0 when the formula agrees, 3 when it disagrees, 2 for bad input.",
    )
    cf.add_argument("formula", help="a sympy expression in the parameters, e.g. \"abs(loc_p - loc_q)/scale_p\"")
    cf.add_argument("p", help="family of p, e.g. Laplace")
    cf.add_argument("q", help="family of q")
    cf.add_argument("--kernel", default=None, help="family of the spread kernel (default: no spreading)")
    cf.add_argument("--f", default="kl", help="the f-divergence (default kl)")
    cf.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE",
                    help="hold a parameter fixed (a number) or tie it to another (scale_q=scale_p); repeatable")
    cf.add_argument("--n-random", type=int, default=30, help="random parameter sets (default 30)")
    cf.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (default 1e-6)")
    cf.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    cf.set_defaults(func=cmd_check_formula, buffered=True)
    return cf


def cmd_check_formula(args, out):
    try:
        import sympy
    except ImportError as exc:
        raise ValueError("check-formula reads the formula with sympy: pip install sympy") from exc
    from .formula_check import check_formula

    try:
        expr = sympy.sympify(args.formula)
    except (sympy.SympifyError, SyntaxError, TypeError) as exc:
        raise ValueError(f"formula {args.formula!r} is not a sympy expression: {exc}") from None
    fixed = {}
    for item in args.fix:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--fix must be NAME=VALUE; got {item!r}")
        try:
            fixed[name.strip()] = float(value)
        except ValueError:
            fixed[name.strip()] = value.strip()
    result = check_formula(expr, args.p, args.q, kernel=args.kernel, f=args.f, fixed=fixed,
                           n_random=args.n_random, rtol=args.rtol, seed=args.seed)
    print(repr(result), file=out)
    return 0 if result.passed else 3   # scripts can tell a wrong formula (3) from bad input (2)
