"""Grading the student edition's notebooks: ``scratchnet grade SUBMISSION.ipynb… --out FILE``.

    exercises   the graded exercises, read from the chapters' markup (``:class: graded``)
    limits      a command run under resource limits (memory, CPU, file size)
    execute     a notebook run top to bottom in a fresh, limited kernel (nbclient)
    extract     the student's definitions, from the cells' source (parsed, never run here)
    sandbox     those definitions in a separate limited process, called from the checks
    grade       one submission graded; all of them in a process pool
    gradebook   the gradebook, the feedback files, the CSVs for Canvas and Gradescope
    command     the ``grade`` subcommand of the ``scratchnet`` CLI (an entry point)

What is protected, and what needs a container, is in the instructor guide (book/instructor-guide.md,
"Grading").
"""
