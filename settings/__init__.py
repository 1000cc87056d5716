"""Default Scrapy settings for govinspect (``scrapy.cfg`` points here).

Government servers are small: per-host concurrency and delay limits are on by default. Every value
can be overridden by a settings file (``--settings-file`` / ``GOVINSPECT_SETTINGS_FILE``), by
``-s NAME=VALUE`` on the command line, or by the environment variables the CLI documents.
"""

BOT_NAME = "govinspect"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# ---- identity ---------------------------------------------------------------------------------
# Many government sites sit behind WAFs that challenge unknown clients; an honest, configurable UA.
USER_AGENT = "Mozilla/5.0 (compatible; govinspect/0.1; government website inspection)"

# robots.txt is not obeyed by default: the supervising office inspects every page of the sites it
# supervises (the national indicators cover the whole site), and robots.txt on many gov sites
# disallows all crawlers. Politeness comes from the rate limits below. Set True to obey it.
ROBOTSTXT_OBEY = False

# ---- safety -----------------------------------------------------------------------------------
# Scrapy 2.19 starts a remote-control (code execution) server by default: never in this tool.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# ---- politeness (per host) ----------------------------------------------------------------------
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# ---- timeouts and retries -----------------------------------------------------------------------
# 15 s is the national availability rule's timeout; 2 retries per rules.md.
DOWNLOAD_TIMEOUT = 15
RETRY_ENABLED = True
RETRY_TIMES = 2
# 429 is handled by RetryAfterMiddleware (honours Retry-After); 403/429 that persist are "blocked".
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
RETRY_AFTER_MAX_TIMES = 2
RETRY_AFTER_MAX_DELAY = 60.0
REDIRECT_MAX_TIMES = 10
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DNS_TIMEOUT = 15

# ---- crawl scope ----------------------------------------------------------------------------------
MAX_PAGES_PER_SITE = 2000
MAX_PAGE_DEPTH = 10
DEPTH_LIMIT = 0  # depth of pages is governed by MAX_PAGE_DEPTH; link checks must never be dropped
TRAP_MAX_QUERY_VARIANTS = 30
TRAP_MAX_DATE_VARIANTS = 12
TRAP_MAX_URL_LENGTH = 400
ATTACHMENT_MAXSIZE = 20 * 1024 * 1024

# ---- components ---------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.OfflineCookiesMiddleware": 700,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.LoopAwareRedirectMiddleware": 600,
    # process_response runs from high to low: see 429s before RetryMiddleware (550), decode last.
    "crawler.middlewares.RetryAfterMiddleware": 560,
    "crawler.middlewares.EncodingMiddleware": 590,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
ITEM_PIPELINES = {
    "pipelines.store.StorePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.LogMasking": 0,
    "crawler.extensions.Progress": 500,
}
# Inspectors run on every parsed page, in this order; set one to None to switch it off.
INSPECTORS = {
    "inspectors.links.BrokenLinkInspector": 100,
    "inspectors.reachability.ReachabilityInspector": 110,
}

# ---- store ----------------------------------------------------------------------------------------
GOVINSPECT_STORE = "govinspect-data/findings.sqlite3"
STORE_BATCH_SIZE = 2000
STORE_FLUSH_SECONDS = 1.0

PROGRESS_INTERVAL = 10.0
LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
