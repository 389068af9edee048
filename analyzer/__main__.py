"""`python -m analyzer` runs the seamscan CLI."""

from analyzer.cli.app import main

main()
