"""``spreadlab course student OUTDIR``: the student edition of the tutorial notebooks."""




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


__all__ = ["add_parser"]

