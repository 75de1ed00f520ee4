"""pytest plugin registered through the `pytest11` entry point (fixtures come with issue 3)."""
