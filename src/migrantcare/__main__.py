"""``python -m migrantcare``: the same as the ``migrantcare`` command."""

from migrantcare._cli import main

raise SystemExit(main())
