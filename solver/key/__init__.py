"""Stage 3: a problem and its graph become a :class:`~.model.Solution`, the answer key
as plain data (ordered parts and steps, LaTeX strings, answers).

:mod:`.model` holds the data; :mod:`.solve` drives the stage; :mod:`.section` orders one
question's parts, built by :mod:`.forward`, :mod:`.backward`, :mod:`.update`,
:mod:`.training`, :mod:`.notes`, :mod:`.structure` (counts, shapes, derivations) from a
:class:`~.question.QuestionWork`; :mod:`.steps`, :mod:`.staged` and :mod:`.matrix` write
the equations of each style; :mod:`.given` lists what the problem gives.
"""
