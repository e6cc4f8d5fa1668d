"""Training and evaluation of the project's models."""
