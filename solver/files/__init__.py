"""Stage 5: files. :mod:`.writer` writes outputs all-or-nothing, :mod:`.pdf` compiles
LaTeX with latexmk, :mod:`.cache` keeps compiled templates between runs. With the
problem loader, the only modules that touch files or run processes."""
