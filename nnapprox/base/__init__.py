"""The lowest layer: declared options (:class:`~nnapprox.base.options.Option` and its constraints), atomic file
writes and the package version. Imports nothing from nnapprox.
"""
