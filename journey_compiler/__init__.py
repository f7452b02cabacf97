"""Journey Tracker: compile journey templates (YAML) into dbt models and run them."""

__version__ = "0.1.0"
