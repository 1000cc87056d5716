"""Spiders: ``cluster`` crawls every registered site of a cluster (or one ad-hoc site)."""
