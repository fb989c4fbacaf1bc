#!/usr/bin/env python
"""Django's manage.py; `sotiem` (the console script) does the same."""

from sotiem.__main__ import main

if __name__ == "__main__":
    main()
