"""Item pipelines: observations, link references and link checks go to the store (and indexes)."""
