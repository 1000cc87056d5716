"""Default Scrapy settings for govinspect (``scrapy.cfg`` points here).

Government servers are small: per-host concurrency and delay limits are on by default. Every value
can be overridden by a settings file (``--settings-file`` / ``GOVINSPECT_SETTINGS_FILE``), by
``-s NAME=VALUE`` on the command line, or by the environment variables the CLI documents.
"""

from scrapy.settings import default_settings as _scrapy_defaults

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
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 % around DOWNLOAD_DELAY, like a person clicking
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

# Items are written synchronously (SQLite, PostgreSQL): a response's output is handled one item after
# the other whatever this says, and each unit of it is one more asyncio task per response. Scrapy's
# default of 100 cost ~20 % of the crawl's CPU; 8 → 1 another ~2 % (same findings; issue 9).
CONCURRENT_ITEMS = 1

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
    # after HttpProxyMiddleware (750): knows whether a proxy resolves the name (SSRF defence, issue 11)
    "crawler.addresses.AddressGuardMiddleware": 760,
    # a meta refresh off government hosts is not followed: the page is inspected (security.injected-content)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.metarefresh.OfficialMetaRefreshMiddleware": 580,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
ITEM_PIPELINES = {
    "pipelines.store.StorePipeline": 300,
    "pipelines.monitor.MonitorPipeline": 290,  # probes and per-run script/iframe hosts (issue 10), before the store
}
# Scrapy's own extensions minus remote control (off anyway, REMOTE_CONTROL_ENABLED above). Dropped
# here, not set to None in EXTENSIONS: Scrapy imports every key of EXTENSIONS to normalise it, and
# that module pulls in aiohttp, ~0.25 CPU s before the first request of every run (issue 9).
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if not path.startswith("scrapy.extensions.remote_control.")
}
EXTENSIONS = {
    "crawler.extensions.LogMasking": 0,
    "crawler.extensions.GarbageCollection": 2,  # GC_THRESHOLDS
    "crawler.extensions.QuietRetries": 1,
    "crawler.extensions.Progress": 500,
    # indexes findings into Elasticsearch/OpenSearch when ELASTICSEARCH_URL / GOVINSPECT_ES_URL is set
    "pipelines.search_index.SearchIndexExtension": 600,
}
# The component that runs the inspectors (the crawler knows it only by this dotted path).
INSPECTION_MANAGER = "inspectors.base.InspectorManager"
# Inspectors run on every parsed page, in this order; set one to None to switch it off.
INSPECTORS = {
    "inspectors.links.BrokenLinkInspector": 100,
    "inspectors.reachability.ReachabilityInspector": 110,
    "inspectors.ads_network.AdNetworkInspector": 200,
    "inspectors.ads_commercial.AdCommercialInspector": 210,
    "inspectors.hidden_links.HiddenLinkInspector": 220,
    "inspectors.leaks.LeakInspector": 300,
    "inspectors.archives.ArchiveInspector": 400,
    "inspectors.identity.IdentityInspector": 800,
    "inspectors.freshness.FreshnessInspector": 810,
    "inspectors.unregistered.UnregisteredSiteInspector": 820,
    "inspectors.identity_meta.MetaTagInspector": 830,  # identity.meta-missing
    "inspectors.identity_site.SiteIdentityInspector": 840,  # identity.domain-nonstandard/superior-link/annual-report
    "inspectors.interaction.InteractionInspector": 850,  # interaction.unanswered, interaction.reply-fields-missing
    "inspectors.policy_repost.PolicyRepostInspector": 860,  # policy.repost-late
    "inspectors.images.ImageInspector": 500,
    "inspectors.identity_emblem.EmblemMissingInspector": 510,
    # issue 10: availability, soft 404s, hijacked external links, injected content
    "inspectors.availability.AvailabilityInspector": 120,
    "inspectors.soft404.Soft404Inspector": 130,
    "inspectors.hijacked.HijackedExternalInspector": 140,
    "inspectors.injected.InjectedContentInspector": 230,
}

# ---- store ----------------------------------------------------------------------------------------
GOVINSPECT_STORE = "govinspect-data/findings.sqlite3"
STORE_BATCH_SIZE = 2000
STORE_FLUSH_SECONDS = 1.0

PROGRESS_INTERVAL = 10.0
LOG_LEVEL = "INFO"
# Scrapy's per-response and per-item DEBUG lines are not even built below LOG_LEVEL (crawler/logformatter.py)
LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# ---- ads, hidden links, leaks, archives (issue 3) ---------------------------------------------------
# ad.network: EasyList-syntax lists. Local paths work offline; URLs (e.g. EasyList
# https://easylist.to/easylist/easylist.txt, EasyList China
# https://easylist-downloads.adblockplus.org/easylistchina.txt) are downloaded into the cache folder
# and refreshed after AD_FILTER_REFRESH_HOURS; none are configured by default, so nothing is fetched.
INSPECT_ADS_ENABLED = True
AD_FILTER_DEFAULT_LIST = True  # the shipped list of ad networks common on Chinese sites
AD_FILTER_LISTS = []  # local list files
AD_FILTER_URLS = []
AD_FILTER_CACHE_DIR = "govinspect-data/filter-lists"
AD_FILTER_REFRESH_HOURS = 24
AD_FILTER_DOWNLOAD_TIMEOUT = 30
# Analytics/statistics services are never ads (rules.md): always allowed, whatever a list says.
AD_FILTER_ALLOW_HOSTS = [
    "hm.baidu.com", "cnzz.com", "umeng.com", "zz.bdstatic.com", "tajs.qq.com", "pingjs.qq.com",
    "google-analytics.com", "googletagmanager.com", "51.la", "growingio.com", "ucs.gov.cn",
]
# ad.commercial
INSPECT_AD_COMMERCIAL_ENABLED = True
AD_COMMERCIAL_MAX_BLOCK_CHARS = 200  # text blocks longer than this are article text, not ad labels
# ad.hidden-link
INSPECT_HIDDEN_LINKS_ENABLED = True
HIDDEN_LINK_OFFSCREEN_PX = 999  # |left|, |top|, text-indent, translate beyond this is off-screen
HIDDEN_LINK_TINY_PX = 1  # boxes (and marquees) this small or smaller are invisible
# leak.*
INSPECT_LEAKS_ENABLED = True
LEAK_SCAN_PAGES = True
LEAK_SCAN_ATTACHMENTS = True
# formats scanned (names of govinspect/formats.py: xlsx covers xlsm, xls covers et, doc covers wps);
# empty: every format that has a reader (inspectors/sensitive/formats/)
LEAK_ATTACHMENT_FORMATS = ["xlsx", "xls", "docx", "doc", "pdf", "csv", "txt"]
LEAK_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
# "fast": sheets flattened by byte passes (~5x openpyxl); "openpyxl": read-only openpyxl.
LEAK_XLSX_READER = "fast"
LEAK_ATTACHMENT_MAX_SECONDS = 30.0
LEAK_ATTACHMENT_MAX_CELLS = 2_000_000
LEAK_PDF_MAX_PAGES = 300
LEAK_ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip-based formats: total declared size
LEAK_ZIP_MAX_RATIO = 100  # and uncompressed/compressed ratio
LEAK_ZIP_MAX_MEMBERS = 10_000
LEAK_PHONE_MIN_DISTINCT = 3
LEAK_ID15_REQUIRE_CONTEXT = True  # 15-digit legacy IDs need 身份证/证件号 nearby (many false positives)
LEAK_MAX_EVIDENCE_HITS = 5
# archive.unlabeled
INSPECT_ARCHIVES_ENABLED = True
ARCHIVE_LINK_WORDS = ["网站归档", "历史网站", "旧版网站", "归档"]
ARCHIVE_LINK_MAX_CHARS = 12  # longer link texts are titles that mention 归档, not archive entries

# ---- rendering, evidence screenshots, flag/emblem/map checks (crawler/rendering.py, inspectors/images) ----
# Browser pages go through Playwright (Debian's Chromium); everything else through the plain handler.
DOWNLOAD_HANDLERS = {
    "http": "crawler.rendering.RenderDownloadHandler",
    "https": "crawler.rendering.RenderDownloadHandler",
}
RENDER_ENABLED = True  # False: never render, whatever the registry says
# Debian's chromium-headless-shell (what Playwright itself launches for headless pages): about half the
# browser CPU of the full /usr/bin/chromium in new-headless mode on the same renders (README, Rendering).
# Any Chromium build works here; Playwright cannot download one on these machines.
RENDER_BROWSER_PATH = "/usr/bin/chromium-headless-shell"
# extra Chromium switches; fewer renderer processes keep memory down (pages hold no secrets)
RENDER_BROWSER_ARGS = ["--disable-site-isolation-trials", "--renderer-process-limit=4"]
RENDER_LOOPBACK_ONLY = False  # tests/demo: the browser may reach loopback (directly or via the proxy) only
RENDER_PAGE_REUSE = 50  # renders per browser page before it is closed and replaced (a failed render closes it at once)
RENDER_MAX_PAGES = 4  # pages rendered at once (bounds memory: the demo peaks near 0.8 GiB PSS at 4)
# Renders of a body the crawl already fetched download no document: they take this slot, not the
# host's (a render waiting for the browser must not hold the site's crawl); the render handler's
# RENDER_MAX_PAGES and the spider's render lane bound them, not the slot.
DOWNLOAD_SLOTS = {"gi-render": {"concurrency": 64, "delay": 0}}
# Scrapy's downloader-aware queue, except that queued renders go first: its fewest-active-slot order
# left the render slot behind every host until the static crawl ended (crawler/rendering/schedule.py)
SCHEDULER_PRIORITY_QUEUE = "crawler.rendering.schedule.RendersFirstQueue"
RENDER_PAGE_TIMEOUT = 30.0  # seconds for one whole render; then the page is fetched without the browser
RENDER_FALLBACK_STATIC = True
RENDER_SETTLE_MS = 1500  # wait at most this long for the network to go idle before measuring
RENDER_MAX_ELEMENTS = 5000  # elements measured per page
RENDER_SCREENSHOTS = True  # full-page capture of every rendered page, cropped for evidence
RENDER_SCREENSHOT_MAX_HEIGHT = 6000
RENDER_CAPTURE_IMAGES = 60  # image bodies taken from the browser per page (so they are not fetched again)
_PLAYWRIGHT_THREADED_LOOP = True  # scrapy-playwright: browser I/O on its own loop, not starved by parsing
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20000
INSPECT_IMAGES_ENABLED = True
INSPECT_EMBLEM_MISSING_ENABLED = True
IMAGE_MAXSIZE = 5 * 1024 * 1024  # bytes; larger images are not analysed
IMAGE_MAX_PIXELS = 40_000_000  # decoded-pixel limit (decompression bombs)
IMAGE_MAX_PER_SITE = 400  # images fetched for analysis per site
IMAGE_MIN_SIDE = 16  # declared/rendered images smaller than this are icons, not analysed
IMAGE_FLAG_ASPECT_TOLERANCE = 0.05  # off 3:2 by more than this
IMAGE_FLAG_MAX_DELTA_E = 15.0  # CIEDE2000 from #EE1C25 / #FFFF00
IMAGE_EMBLEM_REFERENCE_DIR = ""  # folder of reference emblem images; empty: the bundled placeholder
IMAGE_EMBLEM_HASH_DISTANCE = 12  # perceptual-hash bits (of 64) for "same picture as a reference"
IMAGE_EMBLEM_ASPECT_TOLERANCE = 0.05
IMAGE_EMBLEM_MAX_OFF_COLOUR = 0.15  # share of coloured pixels neither red nor gold
IMAGE_MAP_MIN_SIDE = 120  # map images smaller than this (both sides) are icons

# ---- identity, freshness, registry (inspectors/identity.py, freshness.py, unregistered.py) --------------
INSPECT_IDENTITY_ENABLED = True  # identity.icp/psb/conac/site-code-missing, identity.name-mismatch
IDENTITY_ICP_PROVINCE = ""  # e.g. "皖": an ICP number of another province counts as missing; "": any
INSPECT_FRESHNESS_ENABLED = True  # freshness.homepage-stale, column-stale, column-empty
FRESHNESS_HOMEPAGE_DAYS = 14  # newest dated item linked from the homepage
FRESHNESS_NEWS_DAYS = 14  # 要闻/动态/新闻 columns
FRESHNESS_NOTICE_DAYS = 183  # 通知公告/政策文件 columns
FRESHNESS_PERSONNEL_DAYS = 365  # 人事/规划计划 columns
INSPECT_UNREGISTERED_ENABLED = True  # registry.unregistered-site

# ---- rectification lists, re-checks and monthly reports (govinspect/rectify, govinspect/monthly) -------
# Registration number of a list: {year} and {seq} (per-year sequence, never reused), e.g. "ZG-{year}-{seq:04d}".
RECTIFY_NUMBER_FORMAT = "整改〔{year}〕第{seq:04d}号"
RECTIFY_MIN_SEVERITY = "high"  # findings at or above this severity go onto lists (critical, high, medium, low)
RECTIFY_WORKING_DAYS = 3  # deadline: this many working days (Chinese calendar) after the issue date
# Holidays for years chinese-calendar does not know yet (format: govinspect/rectify/holidays.yaml);
# empty: the bundled file, which holds no such year (deadlines then count weekdays, with a warning).
RECTIFY_HOLIDAY_FILE = ""
RECTIFY_ISSUER = ""  # the office named on lists and reports, e.g. "某市人民政府办公室"
RECTIFY_RECHECK_TIMEOUT = 1800  # seconds a re-check crawl may take before it is stopped
RECHECK_PLAN = ""  # set by `rectify check` for its crawl: JSON file of the pages, targets and findings
REPORT_TREND_MONTHS = 6  # months shown in the monthly report's trend

# ---- run state, finalisation, run lock (govinspect/runstate, pipelines/finalise.py, govinspect/locks.py) ----
# Where a run's shared state lives: "memory" (one process does the run) or "redis" (a fleet; REDIS_URL).
RUN_STATE_BACKEND = "memory"
REDIS_URL = ""  # e.g. redis://127.0.0.1:6379/0 (env GOVINSPECT_REDIS_URL)
REDIS_KEY_PREFIX = "govinspect"  # every key of the run state and the locks starts with this
REDIS_RETRIES = 5  # a Redis command is retried this often, with backoff, while Redis restarts
# The finaliser (folds each site once per run): the run API adds it to EXTENSIONS (order 100) even
# when EXTENSIONS is replaced, so a run always folds.
RUN_FINALISER = "pipelines.finalise.Finaliser"
# The run's RunContext (registry, date, run state), set by the run API (govinspect/api.py) for the
# crawler's components; never set it by hand.
GOVINSPECT_RUN = None
RUN_LOCK_DIR = ""  # folder of the file locks of single-machine runs; "": the store's folder
RUN_LOCK_TTL = 60.0  # seconds a fleet (Redis) lock lives without a heartbeat
RUN_LOCK_HEARTBEAT = 10.0  # seconds between heartbeats renewing a fleet lock
TRAP_MAX_REPEATED_SEGMENTS = 3  # a path repeating one segment this often is a trap (/a/b/a/b/a/…)
TRAP_YEARS_BACK = 30  # dates in query strings older than this many years (or 2+ years ahead) are traps

# ---- store database: PostgreSQL for a fleet (govinspect/store.py, govinspect/db/) -------------------
# GOVINSPECT_STORE (above) is a SQLite file path, or a postgresql://user:password@host:port/dbname URL
# for workers on several machines sharing one database server.
STORE_SPOOL_DIR = "govinspect-data/spool"  # local files of writes buffered while PostgreSQL is unreachable
STORE_DB_WAIT_SECONDS = 300.0  # how long runs, folding and reads wait for an unreachable PostgreSQL
STORE_DB_CONNECT_TIMEOUT = 5.0  # seconds per connection attempt (libpq's minimum is 2)
# ---- hostile sites and faults (issue 11): SSRF, page bounds, disk, masking -----------------------------
# Network addresses the crawler may request (govinspect/addresses.py). Link-local and metadata
# addresses are never requested; loopback/private/reserved ones only for hosts the registry lists or
# inside NETWORK_ALLOW (CIDR strings, e.g. ["10.0.0.0/8"] for an intranet deployment; tests: 127.0.0.0/8).
NETWORK_ALLOW = []
NETWORK_ALWAYS_BLOCK = ["169.254.0.0/16", "fe80::/10", "100.100.100.200/32", "fd00:ec2::254/128"]
# host[:port] of every registered site and extra host: set by the runner from the registry, not by hand.
NETWORK_SITE_HOSTS = []
# Resolves like Scrapy's default, refusing names that resolve to forbidden addresses (at connect time).
TWISTED_DNS_RESOLVER = "crawler.addresses.GuardedResolver"
# Screenshots: cover ID-, card- and mobile-shaped numbers in the page text with boxes before capture.
RENDER_REDACT_PII = True
# Work bounds per page and per site (a hostile page with 100k links, a 30k-link homepage): what is
# skipped is counted in the stats and the summary, and the site counts as incomplete (nothing marked fixed).
PAGE_MAX_LINKS = 5000  # links per page followed, checked and inspected; 0: no limit
PAGE_MAX_TEXT_CHARS = 4_000_000  # characters of a page's text given to the inspectors; 0: no limit
SITE_MAX_LINK_CHECKS = 20000  # HEAD/GET checks of link targets per site and run; 0: no limit

# ---- availability probes, soft-404, hijacked external links, injected content (issue 10) ---------------
# site.availability-low (inspectors/availability.py, govinspect/probing.py): `govinspect probe` and the
# crawl's own homepage fetches are stored as probes; the rule looks at the 7 days of real time before
# the crawl ends.
INSPECT_AVAILABILITY_ENABLED = True
AVAILABILITY_WINDOW_DAYS = 7
AVAILABILITY_WARN_RATE = 0.03  # share of failed probes: warn (high) from here (开普 warns at 3 %)
AVAILABILITY_CRITICAL_RATE = 0.05  # the national veto line (critical)
AVAILABILITY_EXPECTED_PER_DAY = 20  # the national rule probes at least 20 times a day; fewer is stated
AVAILABILITY_MIN_PROBES = 1  # fewer probes in the window than this: no judgement
AVAILABILITY_BLANK_MAX_CHARS = 10  # a 200 page with less visible text (and no script/frame) is blank
AVAILABILITY_MAINTENANCE_MAX_CHARS = 400  # maintenance phrases count on pages this short (or in the title)
AVAILABILITY_MAINTENANCE_FILES = []  # more phrase files (one phrase a line) besides inspectors/data/
# `govinspect probe`: one GET per homepage per round, spread over the interval; proxies honoured.
PROBE_TIMEOUT = 15.0  # seconds: the national rule's timeout
PROBE_INTERVAL = 4320.0  # seconds between rounds by default: 20 rounds a day
PROBE_MAX_BYTES = 512 * 1024  # body read for the blank/maintenance check
PROBE_CONCURRENCY = 16  # probes in flight at once (each to a different homepage)
# probes say what they are: a server operator can tell them from the crawl in the access log
PROBE_USER_AGENT = "Mozilla/5.0 (compatible; govinspect/0.1; availability probe)"
PROBE_KEEP_DAYS = 400  # probes older than this are deleted when a prober starts (monthly reports need a year)
# link.soft-404 (inspectors/soft404.py): title/heading phrases, or the site's own error page, learned
# once per run by asking for a URL that cannot exist.
INSPECT_SOFT404_ENABLED = True
SOFT404_PHRASE_FILES = []  # more phrase files besides inspectors/data/error-page-phrases.txt
SOFT404_MAX_TEXT_CHARS = 1500  # pages with more visible text (besides the site chrome) are real pages
SOFT404_TITLE_EXTRA_CHARS = 8  # a title segment may hold this many characters beyond the phrase
SOFT404_SIMILARITY = 0.9  # shingle similarity to the site's error page (same title too) for a match
SOFT404_MAX_CANDIDATES = 2000  # short pages held per site until the site's error page is known
SOFT404_MAX_BYTES = 512 * 1024  # the error-page fetch reads at most this much
# link.hijacked-external (inspectors/hijacked.py): landing pages of external non-government links,
# fetched once per run (GET, size-limited), classified by keyword lists.
INSPECT_HIJACKED_ENABLED = True
HIJACK_MAX_BYTES = 1024 * 1024  # landing pages larger than this are not classified
HIJACK_MAX_PER_SITE = 300  # landing pages fetched per site and run
HIJACK_KEYWORD_FILES = []  # more "category<TAB>phrase" files besides inspectors/data/hijack-keywords.txt
HIJACK_MIN_TEXT_HITS = 2  # distinct keywords of one category in the visible text (one in the title is enough)
HIJACK_PARKED_MAX_TEXT_CHARS = 3000  # a parked-domain phrase in the text counts on pages this short
# security.injected-content (inspectors/injected.py): new script/iframe hosts against the previous
# complete run, gambling/porn keyword blocks, script/meta redirects to non-government hosts.
INSPECT_INJECTED_ENABLED = True
INJECTED_ALLOW_HOSTS = []  # hosts (and their subdomains) never "new", besides the data file
INJECTED_ALLOW_FILES = []  # more allow-list files besides inspectors/data/resource-allow-hosts.txt
INJECTED_KEYWORD_FILES = []  # more keyword files besides inspectors/data/injected-keywords.txt
INJECTED_MIN_KEYWORDS = 2  # distinct spam keywords in one text block (or one in the title/meta keywords)
INJECTED_CONTEXT_FILES = []  # more news-context files besides inspectors/data/injected-news-context.txt

# ---- real-world markup (issue 12): hidden links that are not 暗链, homepage companions ---------------
# ad.hidden-link: read inspectors/data/hidden-link-allow.txt (conac, 找错/jiucuo, filing services, CMS
# vendor credits); links it lists may be hidden. Extra files (same format) in HIDDEN_LINK_ALLOW_FILES.
HIDDEN_LINK_DEFAULT_ALLOW = True
HIDDEN_LINK_ALLOW_FILES = []
# Homepages: same-site iframe documents and (unrendered) same-site scripts fetched before the homepage
# is inspected, so footers delivered there (iframe, document.write) are seen; 0 switches it off.
HOMEPAGE_COMPANIONS_MAX = 6
# leak.*: attachments are scanned in this many worker processes, off the crawl's thread (0: on it)
LEAK_SCAN_PROCESSES = 1

# ---- national indicators: interaction, coordination, page meta, domain, superior link, annual report ----
# (issue 10; inspectors/interaction.py, policy_repost.py, identity_meta.py, identity_site.py)
INSPECT_INTERACTION_ENABLED = True  # interaction.unanswered, interaction.reply-fields-missing
INTERACTION_UNANSWERED_DAYS = 90  # a message submitted longer ago than this with no reply (national veto: 3 months)
INTERACTION_PLATFORM_LEVELS = ["portal", "county"]  # levels whose platforms must list 受理/答复日期, 答复部门, 答复内容
INTERACTION_WORDS_FILE = ""  # TOML of column labels and status words; "": inspectors/data/interaction.toml
INTERACTION_MAX_EXAMPLES = 5  # incomplete messages named in a reply-fields-missing finding's evidence
INSPECT_POLICY_REPOST_ENABLED = True  # policy.repost-late
POLICY_REPOST_HOURS = 12  # a child site reposts the parent portal's key-policy items within this many hours
POLICY_REPOST_WINDOW_DAYS = 30  # only portal items published within this many days before the inspection
POLICY_REPOST_COLUMNS = ["重要政策", "政策文件", "通知公告"]  # the parent's key-policy columns (name contains)
POLICY_REPOST_TIMEZONE = "Asia/Shanghai"  # the time zone of the pages' publication times
INSPECT_META_TAGS_ENABLED = True  # identity.meta-missing
# Required <meta name=...> tags per page kind (指引 网页设计规范)
IDENTITY_META_REQUIRED = {
    "homepage": ["SiteName", "SiteDomain", "SiteIDCode"],
    "column": ["ColumnName", "ColumnType"],
    "article": ["ArticleTitle", "PubDate", "ContentSource"],
}
INSPECT_SITE_IDENTITY_ENABLED = True  # identity.domain-nonstandard, superior-link-missing, annual-report-missing
IDENTITY_GOV_SUFFIXES = [".gov.cn", ".政务"]  # a government site's host ends in one of these
IDENTITY_SUBDOMAIN_LEVELS = ["department", "township"]  # levels whose host must be under the parent's domain
IDENTITY_ANNUAL_REPORT_FROM = "02-01"  # MM-DD from which the previous year's annual report must be linked
IDENTITY_ANNUAL_REPORT_WORDS = ["工作年度报表", "年度工作报表", "年度报表", "工作报表"]  # link texts naming it
# ---- fleet: scrapy-redis workers sharing runs in Redis (crawler/fleet/, govinspect/fleet.py) --------
# `govinspect seed` / `worker` / `runs` use Redis at REDIS_URL (env GOVINSPECT_REDIS_URL); `crawl` never
# does. The worker swaps in the fleet scheduler, store pipeline, politeness middleware and extension.
FLEET_REDIS_RETRY_SECONDS = 120.0  # ride out a Redis restart this long (backoff with jitter), then fail
FLEET_HEARTBEAT_SECONDS = 2.0  # a worker's heartbeat (and reaping of silent workers) interval
FLEET_WORKER_TIMEOUT = 30.0  # a worker silent this long is dead: its in-flight requests are requeued
FLEET_LOCK_SECONDS = 3600  # the seed lock expires this long after the last worker heartbeat
FLEET_POLL_SECONDS = 10.0  # `worker --forever`: how often to look for a run with work
FLEET_MAX_IN_FLIGHT = 32  # requests one worker takes from the queue at most before finishing some
FLEET_LEASE_SECONDS = 60.0  # a host lease expires this long after it was taken (a dead worker's leases)
FLEET_LEASE_POLL_SECONDS = 0.05  # wait between asks for a host lease when the host is at its limit
# A finished run's Redis keys (fingerprints, run state, waiting rooms) expire this long after it
# finished (`govinspect runs` lists it until then; its findings are in the database); 0: kept.
FLEET_FINISHED_RUN_KEEP_SECONDS = 7 * 24 * 3600
# Per-host limits for the whole fleet; empty: CONCURRENT_REQUESTS_PER_DOMAIN and DOWNLOAD_DELAY.
FLEET_HOST_CONCURRENCY = None
FLEET_HOST_DELAY = None
FLEET_RUN_ID = ""  # set by `govinspect worker` for the run it works
FLEET_WORKER_ID = ""  # set by `govinspect worker`: host:pid:random

# ---- settings sweep: settings once read with inline defaults or undeclared (tests/test_settings_rules.py) ----
RETRY_AFTER_DEFAULT_DELAY = 5.0  # seconds a 429 waits when its Retry-After is an HTTP date or unreadable (≤ MAX_DELAY)
PROGRESS_TTY = None  # the live progress line (crawler/extensions.py): True/False; None: when stderr is a terminal
INSPECT_LINKS_ENABLED = True  # link.broken (inspectors/links.py)
INSPECT_REACHABILITY_ENABLED = True  # site.unreachable (inspectors/reachability.py)
# Search engine (govinspect/search/config.py, pipelines/search_index.py). Each may also come from its
# GOVINSPECT_ES_* environment variable (govinspect/config.py); credentials only ever come from there.
ELASTICSEARCH_URL = ""  # Elasticsearch/OpenSearch URL; "": no indexing (env GOVINSPECT_ES_URL)
ELASTICSEARCH_CA_FILE = ""  # CA bundle for https; "": the system's (env GOVINSPECT_ES_CA_FILE)
ELASTICSEARCH_SECRETS_FILE = ""  # key=value file: api_key, username, password; mode 600 (GOVINSPECT_ES_SECRETS_FILE)
ELASTICSEARCH_INDEX_PREFIX = "govinspect"  # index names start with this (env GOVINSPECT_ES_INDEX_PREFIX)
ELASTICSEARCH_TIMEOUT = 30.0  # seconds per request to the engine (env GOVINSPECT_ES_TIMEOUT)
ELASTICSEARCH_RETRIES = 3  # indexing retries of a failed bulk request while crawling
ELASTICSEARCH_BACKOFF = 0.5  # seconds before the first retry (doubling)
# ---- per-host concurrency in one process (crawler/hostlimit.py) ----------------------------------------
# Scrapy 2.19 on the asyncio reactor lets a host get its whole queue at once when DOWNLOAD_DELAY is 0
# (see the module): this middleware holds CONCURRENT_REQUESTS_PER_DOMAIN (or DOWNLOAD_SLOTS' concurrency)
# whatever the delay. The run API adds HOST_LIMIT_MIDDLEWARE to DOWNLOADER_MIDDLEWARES (order 995) even
# when that dict is replaced; False switches the limit off (Scrapy's own limit then holds only with a delay).
HOST_LIMIT_ENABLED = True
HOST_LIMIT_MIDDLEWARE = "crawler.hostlimit.HostLimitMiddleware"

# ---- fleet throughput (crawler/fleet/queue.py, scheduler.py) ---------------------------------------------
# A worker's pop looks this far down the shared queue for a request whose host has a free lease (taking
# the lease in the same Redis step), rather than taking the head and waiting for its host.
FLEET_POP_WINDOW = 64
# Requests one pop takes at most (one Redis round trip): the engine asks for requests in a row while it
# has room, and the ones after the first come from the worker's hand (and a pop that came back short
# ends the row without a further round trip). 1: one request per pop.
FLEET_POP_BATCH = 4
# An idle worker looks for queued work (and for the end of the run) this often, not only at Scrapy's
# 5 s engine heartbeat: at the end of a run the other workers stop within this delay of the last one.
FLEET_IDLE_POLL_SECONDS = 0.5
# ---- rendering cost (issue 9, branch render) ----
# False: capture (full-page screenshot) only homepages and pages where an inspector may need the
# capture as evidence (govinspect.vocabulary.RenderWishes: an image not analysed yet or suspect);
# True: every rendered page, as before. A capture costs about as much browser CPU as the render.
RENDER_SCREENSHOTS_ALL = False
# ---- Python cost per page (issue 9, branch pycost) ----
# gc.set_threshold for the crawl's process (crawler/extensions.py GarbageCollection): the youngest
# generation collected every 10,000 net allocations instead of 700; [] keeps Python's own.
GC_THRESHOLDS = [10000, 10, 10]
