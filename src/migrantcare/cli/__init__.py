"""The ``migrantcare`` command line (no public API: run ``migrantcare --help``)."""
