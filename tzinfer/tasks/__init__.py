"""invoke task modules, one per area; tasks.py at the repository root collects them."""
