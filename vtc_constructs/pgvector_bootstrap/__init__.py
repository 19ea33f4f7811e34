"""The code the database construct packages into its bootstrap Lambda (``handler.py``), importable for tests."""
