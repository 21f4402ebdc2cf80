"""``python -m scratchnet`` runs the command-line interface."""

from scratchnet.cli import main

raise SystemExit(main())
