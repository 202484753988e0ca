"""Target functions: the built-in ones with their Barron constants C_f in closed form, user functions and
tables, Fourier estimates of C_f, and sampling of the inputs.
"""
