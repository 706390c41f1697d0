#!/usr/bin/env python
"""Django's manage.py; the installed ``soms`` command does the same."""

from soms.__main__ import main

if __name__ == "__main__":
    main()
