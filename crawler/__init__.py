"""The Scrapy side of govinspect: spiders, middlewares, extensions and link extraction."""
