"""govinspect: an inspector for government website clusters (政府网站群)."""

__version__ = "0.1.0"
