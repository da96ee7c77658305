"""The ``dystonia`` command line (``cli.main``): the only package that imports all the others."""
