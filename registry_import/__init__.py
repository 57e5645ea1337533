"""The nightly registry import (SPEC §2): the school registry's feed (registry.feed)
validated whole, staged (staging.py) and applied in one set-based transaction that
pre-creates the guardians' accounts (importer.py); `guichet registry import`."""
