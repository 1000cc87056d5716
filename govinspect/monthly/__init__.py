"""The monthly monitoring report (监测报告): figures, charts (matplotlib SVG), HTML, ``report.json``."""
