"""The rules: each module takes models and returns models, and reaches AWS only through ``dal``."""
