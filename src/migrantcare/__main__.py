"""``python -m migrantcare``: the same as the ``migrantcare`` command."""

from migrantcare.cli._cli import main

raise SystemExit(main())
