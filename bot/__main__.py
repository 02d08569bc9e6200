"""`python -m bot` is the same as the `liaison` command."""

from bot.cli import main

raise SystemExit(main())
