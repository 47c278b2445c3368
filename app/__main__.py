"""`python -m app` is the `rollekort` command, for machines where the script is not on PATH."""

from app.cli import main

main()
