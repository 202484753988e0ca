"""What the theorems predict, each with the regime where it says something (:mod:`~nnapprox.theory.bounds`),
and the hand-built networks of the depth separations (:mod:`~nnapprox.theory.constructions`).
"""
