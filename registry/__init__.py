"""The school registry as the nightly feed gives it (SPEC §2): schools, classes,
pupils, guardian records and their links (models.py), the feed's format
(feed.py), a synthetic feed (generator.py), and finding a person's guardian
records (matching.py). It knows nothing of accounts."""
