"""Reference tables for cleaning raw CRM attributes: title keywords, industries, countries, lead sources.

Everything here is plain data. Keys are in the normalised form the parsers in :mod:`.attributes` compare
against: lower case, dots removed, other punctuation turned into single spaces. Extend the tables when
real CRM data shows spellings they miss; the parsers need no change.
"""

from __future__ import annotations

REGIONS: tuple[str, ...] = ("North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa")
OTHER_COUNTRY = "Other"

SIZE_EDGES: tuple[float, ...] = (0, 10, 50, 200, 1_000, 10_000)
SIZE_BANDS: tuple[str, ...] = ("1-9", "10-49", "50-199", "200-999", "1000-9999", "10000+")
REVENUE_EDGES: tuple[float, ...] = (0, 1e6, 1e7, 5e7, 2.5e8, 1e9)
REVENUE_BANDS: tuple[str, ...] = ("<1M", "1M-10M", "10M-50M", "50M-250M", "250M-1B", "1B+")

# ------------------------------------------------------------------------------------------ job titles

# Whole titles that carry no information (besides the configured placeholders).
JUNK_TITLES: frozenset[str] = frozenset(
    {"asdf", "asd", "qwerty", "test", "testing", "tester test", "xx", "xxx", "abc", "aaa", "tbd", "null", "nil",
     "nothing", "me", "no", "yes", "dummy", "fake", "title", "job title", "your title", "n a", "idk", "0", "1"}
)  # fmt: skip

# Seniority: phrases (space-separated tokens) searched for in the normalised title, in this order.
STUDENT_PHRASES: tuple[str, ...] = (
    "student", "intern", "internship", "phd", "candidate", "retired", "unemployed", "looking for work",
    "looking for a job", "looking for job", "job seeker", "jobseeker", "between jobs", "trainee", "apprentice",
    "graduate student", "undergraduate", "open to work",
)  # fmt: skip
C_LEVEL_ACRONYMS: dict[str, str | None] = {
    "ceo": "executive", "coo": "executive", "cfo": "finance", "cto": "it", "cio": "it", "cdo": "it",
    "ciso": "it", "cmo": "marketing", "cro": "sales", "chro": "hr", "clo": "other", "cso": None, "cpo": None,
    "cco": None, "cao": None, "cxo": None,
}  # fmt: skip
# "chief <words> officer" (or "chief executive") → department of the words in between
CHIEF_DEPARTMENTS: dict[str, str] = {
    "executive": "executive", "operating": "executive", "operations": "executive", "financial": "finance",
    "finance": "finance", "accounting": "finance", "technology": "it", "technical": "it", "information": "it",
    "data": "it", "digital": "it", "security": "it", "information security": "it", "marketing": "marketing",
    "growth": "marketing", "revenue": "sales", "sales": "sales", "commercial": "sales", "customer": "sales",
    "people": "hr", "human resources": "hr", "hr": "hr", "talent": "hr", "legal": "other", "compliance": "other",
}  # fmt: skip
C_LEVEL_PHRASES: tuple[str, ...] = (
    "founder", "cofounder", "co founder", "owner", "managing director", "managing partner", "founding partner",
    "general counsel", "chairman", "chairwoman", "chairperson", "chief executive", "executive chairman",
)  # fmt: skip
NOT_OWNER_PHRASES: tuple[str, ...] = (
    "product owner", "process owner", "account owner", "data owner", "system owner", "service owner",
    "content owner", "business process owner",
)  # fmt: skip
VP_PHRASES: tuple[str, ...] = ("vp", "svp", "evp", "avp", "vice president", "vicepresident", "v p", "vice pres")
PRESIDENT_PHRASES: tuple[str, ...] = ("president", "pres")
DIRECTOR_PHRASES: tuple[str, ...] = ("director", "dir", "head", "directeur", "direktor", "chief")
MANAGER_PHRASES: tuple[str, ...] = (
    "manager", "mgr", "mngr", "lead", "leader", "teamlead", "supervisor", "team leader",
    "foreman", "superintendent",
)  # fmt: skip
NOT_MANAGER_PHRASES: tuple[str, ...] = ("lead generation", "lead gen", "leads")
SELF_EMPLOYED_PHRASES: tuple[str, ...] = (
    "consultant", "freelancer", "freelance", "self employed", "contractor", "entrepreneur",
)  # fmt: skip
IC_PHRASES: tuple[str, ...] = (
    "engineer", "developer", "dev", "programmer", "analyst", "scientist", "specialist", "representative", "rep",
    "sdr", "bdr", "ae", "executive", "exec", "associate", "coordinator", "accountant", "controller",
    "comptroller", "bookkeeper", "buyer", "paralegal", "recruiter", "agent", "administrator", "admin",
    "assistant", "writer", "editor", "designer", "architect", "generalist", "officer", "clerk", "technician",
    "advisor", "adviser", "planner", "strategist", "marketer", "salesperson", "teacher", "professor",
    "lecturer", "nurse", "doctor", "physician", "lawyer", "attorney", "auditor", "operator", "receptionist",
    "secretary", "tester", "qa", "staff", "employee", "worker", "professional", "expert", "trader", "broker",
    "underwriter", "researcher", "sysadmin", "devops", "dba", "instructor", "trainer", "producer",
    "copywriter", "partner", "member", "owner", "support", "counsel", "chemist",
    "pharmacist", "cashier", "driver", "mechanic", "electrician", "machinist", "estimator", "inspector",
)  # fmt: skip

# Department: phrases searched in priority order (the first department with a hit wins).
DEPARTMENT_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "sales",
        (
            "sales",
            "sale",
            "revenue",
            "business development",
            "biz dev",
            "bizdev",
            "account executive",
            "account exec",
            "account manager",
            "account",
            "ae",
            "sdr",
            "bdr",
            "inside sales",
            "commercial",
            "customer success",
            "partnerships",
            "channel",
        ),
    ),
    (
        "marketing",
        (
            "marketing",
            "mktg",
            "mkt",
            "demand generation",
            "demand gen",
            "growth",
            "content",
            "seo",
            "sem",
            "brand",
            "communications",
            "comms",
            "public relations",
            "pr",
            "social media",
            "marketer",
            "copywriter",
            "lead generation",
            "campaign",
            "campaigns",
        ),
    ),
    (
        "hr",
        (
            "hr",
            "human resources",
            "human resource",
            "people",
            "talent",
            "recruiter",
            "recruiting",
            "recruitment",
            "talent acquisition",
            "benefits",
            "compensation",
            "learning and development",
            "l and d",
        ),
    ),
    (
        "finance",
        (
            "finance",
            "fin",
            "financial",
            "accounting",
            "accountant",
            "controller",
            "comptroller",
            "treasury",
            "treasurer",
            "tax",
            "audit",
            "accounts payable",
            "accounts receivable",
            "auditor",
            "bookkeeper",
            "bookkeeping",
            "fp and a",
            "fpa",
            "cpa",
            "payroll",
            "billing",
            "credit",
        ),
    ),
    (
        "it",
        (
            "it",
            "engineering",
            "eng",
            "engineer",
            "information technology",
            "data",
            "developer",
            "dev",
            "software",
            "system",
            "systems",
            "sysadmin",
            "devops",
            "technology",
            "tech",
            "technical",
            "security",
            "infosec",
            "infrastructure",
            "network",
            "cloud",
            "database",
            "dba",
            "programmer",
            "architect",
            "qa",
            "web",
            "analytics",
            "bi",
            "machine learning",
            "ml",
            "ai",
            "product",
        ),
    ),
    (
        "other",
        (
            "legal",
            "paralegal",
            "counsel",
            "attorney",
            "lawyer",
            "compliance",
            "support",
            "facilities",
            "research",
            "researcher",
            "office",
            "administrator",
            "admin",
            "assistant",
            "customer service",
            "receptionist",
            "secretary",
            "design",
            "designer",
        ),
    ),
    (
        "operations",
        (
            "operations",
            "ops",
            "operational",
            "supply chain",
            "supply",
            "project",
            "projects",
            "program",
            "procurement",
            "purchasing",
            "buyer",
            "logistics",
            "warehouse",
            "production",
            "manufacturing",
            "plant",
            "quality",
            "fulfillment",
            "inventory",
        ),
    ),
)
EXECUTIVE_PHRASES: tuple[str, ...] = (
    "ceo", "coo", "chief executive", "chief operating", "president", "owner", "founder", "cofounder",
    "co founder", "managing director", "managing partner", "founding partner", "chairman", "chairwoman",
    "chairperson", "general manager",
)  # fmt: skip

# ------------------------------------------------------------------------------------------ industries

# normalised spelling → canonical industry (anything else is Title-Cased as typed)
INDUSTRY_SYNONYMS: dict[str, str] = {
    "fin services": "Financial Services", "finance": "Financial Services", "financial": "Financial Services",
    "financial services": "Financial Services", "finserv": "Financial Services", "banking": "Financial Services",
    "banking and finance": "Financial Services", "finance and banking": "Financial Services",
    "saas": "Software", "software": "Software", "software and it": "Software", "it and software": "Software",
    "computer software": "Software", "software development": "Software", "information technology": "Software",
    "it": "Software", "tech": "Software", "technology": "Software",
    "prof services": "Professional Services", "professional services": "Professional Services",
    "consulting": "Professional Services", "management consulting": "Professional Services",
    "business services": "Professional Services",
    "manufacturing": "Manufacturing", "mfg": "Manufacturing", "industrial": "Manufacturing",
    "industrials": "Manufacturing",
    "healthcare": "Healthcare", "health care": "Healthcare", "health": "Healthcare", "medical": "Healthcare",
    "hospital and health care": "Healthcare",
    "telecom": "Telecommunications", "telecoms": "Telecommunications", "telco": "Telecommunications",
    "telecommunication": "Telecommunications", "telecommunications": "Telecommunications",
    "non profit": "Non-profit", "nonprofit": "Non-profit", "not for profit": "Non-profit", "ngo": "Non-profit",
    "real estate": "Real Estate", "realestate": "Real Estate", "property": "Real Estate",
    "government": "Government", "gov": "Government", "govt": "Government", "public sector": "Government",
    "logistics": "Logistics", "transportation": "Logistics", "transport and logistics": "Logistics",
    "transportation and logistics": "Logistics", "media": "Media", "media and entertainment": "Media",
    "entertainment": "Media", "publishing": "Media", "hospitality": "Hospitality",
    "travel and hospitality": "Hospitality", "hotels": "Hospitality", "education": "Education",
    "higher education": "Education", "edtech": "Education", "e learning": "Education", "retail": "Retail",
    "e commerce": "Retail", "ecommerce": "Retail", "energy": "Energy", "oil and gas": "Energy",
    "utilities": "Energy",
}  # fmt: skip

# ------------------------------------------------------------------------------------------ countries

# canonical country → (region, other spellings: ISO 3166 alpha-2/alpha-3 codes, local and common names)
COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "United States": ("North America", ("US", "USA", "U.S.", "U.S.A.", "United States of America", "America",
                                        "United States (US)", "Estados Unidos")),
    "Canada": ("North America", ("CA", "CAN")),
    "United Kingdom": ("Europe", ("UK", "U.K.", "GB", "GBR", "Great Britain", "Britain", "England", "Scotland",
                                 "Wales", "Northern Ireland", "United Kingdom of Great Britain and Northern Ireland")),
    "Germany": ("Europe", ("DE", "DEU", "Deutschland", "Allemagne", "Alemania")),
    "France": ("Europe", ("FR", "FRA", "République française")),
    "Netherlands": ("Europe", ("NL", "NLD", "The Netherlands", "Holland", "Nederland")),
    "Sweden": ("Europe", ("SE", "SWE", "Sverige")),
    "Czech Republic": ("Europe", ("CZ", "CZE", "Czechia", "Česko", "Česká republika", "Czech")),
    "Spain": ("Europe", ("ES", "ESP", "España")),
    "Italy": ("Europe", ("IT", "ITA", "Italia")),
    "Poland": ("Europe", ("PL", "POL", "Polska")),
    "Austria": ("Europe", ("AT", "AUT", "Österreich")),
    "Switzerland": ("Europe", ("CH", "CHE", "Schweiz", "Suisse", "Svizzera")),
    "Belgium": ("Europe", ("BE", "BEL", "België", "Belgique")),
    "Denmark": ("Europe", ("DK", "DNK", "Danmark")),
    "Norway": ("Europe", ("NO", "NOR", "Norge")),
    "Finland": ("Europe", ("FI", "FIN", "Suomi")),
    "Ireland": ("Europe", ("IE", "IRL", "Éire", "Republic of Ireland")),
    "Portugal": ("Europe", ("PT", "PRT")),
    "Slovakia": ("Europe", ("SK", "SVK", "Slovensko", "Slovak Republic")),
    "Hungary": ("Europe", ("HU", "HUN", "Magyarország")),
    "Romania": ("Europe", ("RO", "ROU", "România")),
    "Greece": ("Europe", ("GR", "GRC", "Hellas", "Ελλάδα")),
    "Luxembourg": ("Europe", ("LU", "LUX")),
    "Ukraine": ("Europe", ("UA", "UKR", "Україна")),
    "Turkey": ("Europe", ("TR", "TUR", "Türkiye", "Turkiye")),
    "Japan": ("Asia Pacific", ("JP", "JPN", "Nippon", "Nihon", "日本")),
    "South Korea": ("Asia Pacific", ("KR", "KOR", "Korea", "Republic of Korea", "Korea, Republic of",
                                     "Korea (South)", "ROK", "대한민국", "한국")),
    "Australia": ("Asia Pacific", ("AU", "AUS")),
    "India": ("Asia Pacific", ("IN", "IND", "Bharat")),
    "Singapore": ("Asia Pacific", ("SG", "SGP")),
    "China": ("Asia Pacific", ("CN", "CHN", "PRC", "People's Republic of China", "中国")),
    "Hong Kong": ("Asia Pacific", ("HK", "HKG", "Hong Kong SAR")),
    "Taiwan": ("Asia Pacific", ("TW", "TWN")),
    "New Zealand": ("Asia Pacific", ("NZ", "NZL", "Aotearoa")),
    "Indonesia": ("Asia Pacific", ("ID", "IDN")),
    "Malaysia": ("Asia Pacific", ("MY", "MYS")),
    "Philippines": ("Asia Pacific", ("PH", "PHL", "The Philippines")),
    "Thailand": ("Asia Pacific", ("TH", "THA")),
    "Vietnam": ("Asia Pacific", ("VN", "VNM", "Viet Nam")),
    "Brazil": ("Latin America", ("BR", "BRA", "Brasil")),
    "Mexico": ("Latin America", ("MX", "MEX", "México")),
    "Argentina": ("Latin America", ("AR", "ARG")),
    "Chile": ("Latin America", ("CL", "CHL")),
    "Colombia": ("Latin America", ("CO", "COL")),
    "Peru": ("Latin America", ("PE", "PER", "Perú")),
    "South Africa": ("Middle East & Africa", ("ZA", "ZAF", "RSA")),
    "United Arab Emirates": ("Middle East & Africa", ("UAE", "U.A.E.", "AE", "ARE", "Emirates")),
    "Saudi Arabia": ("Middle East & Africa", ("SA", "SAU", "KSA")),
    "Israel": ("Middle East & Africa", ("IL", "ISR")),
    "Egypt": ("Middle East & Africa", ("EG", "EGY")),
    "Nigeria": ("Middle East & Africa", ("NG", "NGA")),
    "Kenya": ("Middle East & Africa", ("KE", "KEN")),
    "Qatar": ("Middle East & Africa", ("QA", "QAT")),
    "Morocco": ("Middle East & Africa", ("MA", "MAR", "Maroc")),
}  # fmt: skip

# ------------------------------------------------------------------------------------------ lead sources

LEAD_SOURCE_ALIASES: dict[str, str] = {
    "organic": "organic", "organic search": "organic", "seo": "organic", "website": "organic",
    "web": "organic", "inbound": "organic", "direct": "organic", "web form": "organic", "blog": "organic",
    "paid search": "paid_search", "paid": "paid_search", "ppc": "paid_search", "google ads": "paid_search",
    "adwords": "paid_search", "google adwords": "paid_search", "sem": "paid_search", "cpc": "paid_search",
    "bing ads": "paid_search", "microsoft ads": "paid_search",
    "social": "social", "social media": "social", "linkedin": "social", "facebook": "social",
    "twitter": "social", "instagram": "social", "paid social": "social",
    "referral": "referral", "customer referral": "referral", "word of mouth": "referral",
    "employee referral": "referral", "referred": "referral",
    "event": "event", "events": "event", "trade show": "event", "tradeshow": "event", "conference": "event",
    "webinar": "event", "expo": "event", "trade fair": "event", "meetup": "event",
    "partner": "partner", "partners": "partner", "reseller": "partner", "channel": "partner",
    "affiliate": "partner", "partner referral": "partner",
    "outbound": "outbound", "cold outreach": "outbound", "cold call": "outbound", "cold calling": "outbound",
    "cold email": "outbound", "prospecting": "outbound", "sdr": "outbound", "bdr": "outbound",
    "content syndication": "content_syndication", "syndication": "content_syndication",
    "syndicated content": "content_syndication",
}  # fmt: skip
# fallback when no alias matches: the first source with a word/phrase in the text wins
LEAD_SOURCE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("content_syndication", ("syndication", "syndicated")),
    ("partner", ("partner", "reseller", "affiliate", "channel")),
    ("referral", ("referral", "referred", "word of mouth")),
    ("social", ("social", "linkedin", "facebook", "twitter", "instagram", "youtube", "tiktok")),
    ("paid_search", ("ppc", "adwords", "google ads", "paid search", "cpc", "sem", "bing")),
    ("event", ("event", "trade show", "tradeshow", "conference", "webinar", "expo", "summit", "booth")),
    ("outbound", ("outbound", "cold", "prospecting")),
    ("organic", ("organic", "seo", "website", "inbound")),
)
