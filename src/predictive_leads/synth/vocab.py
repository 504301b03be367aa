"""Vocabularies of the synthetic world: industries, regions, job titles, domains, names.

Each entry carries the effect it has on the latent fit (log-odds), so the world's drivers are visible in
one place. ``*_after`` values apply after the drift date when a world is generated with ``drift=True``.
"""

from __future__ import annotations

# industry: (share of leads, fit effect, fit effect after drift)
INDUSTRIES: dict[str, tuple[float, float, float]] = {
    "Software": (0.14, 0.7, 0.1),
    "Financial Services": (0.10, 0.6, 0.6),
    "Manufacturing": (0.10, 0.5, -0.3),
    "Professional Services": (0.09, 0.4, 0.4),
    "Healthcare": (0.08, -0.1, 0.8),
    "Retail": (0.08, 0.0, 0.0),
    "Telecommunications": (0.05, 0.2, 0.2),
    "Logistics": (0.06, -0.1, 0.7),
    "Energy": (0.04, 0.1, 0.1),
    "Media": (0.06, -0.2, -0.2),
    "Real Estate": (0.05, -0.3, -0.3),
    "Hospitality": (0.05, -0.6, -0.6),
    "Education": (0.05, -0.8, -0.8),
    "Government": (0.03, -0.7, -0.7),
    "Non-profit": (0.02, -0.9, -0.9),
}
IDEAL_INDUSTRIES = ("Software", "Financial Services", "Manufacturing", "Professional Services")

# region: (share, in service area by default, countries with their spellings)
REGIONS: dict[str, tuple[float, bool, dict[str, tuple[str, ...]]]] = {
    "North America": (
        0.46,
        True,
        {
            "United States": ("United States", "USA", "US", "U.S.", "united states"),
            "Canada": ("Canada", "CA", "canada"),
        },
    ),
    "Europe": (
        0.32,
        True,
        {
            "United Kingdom": ("United Kingdom", "UK", "Great Britain", "england"),
            "Germany": ("Germany", "DE", "Deutschland"),
            "France": ("France", "FR"),
            "Netherlands": ("Netherlands", "NL", "The Netherlands"),
            "Sweden": ("Sweden", "SE"),
            "Czech Republic": ("Czech Republic", "Czechia", "CZ"),
            "Spain": ("Spain", "ES"),
        },
    ),
    "Asia Pacific": (
        0.13,
        False,
        {
            "Japan": ("Japan", "JP"),
            "South Korea": ("South Korea", "Korea", "KR"),
            "Australia": ("Australia", "AU"),
            "India": ("India", "IN"),
            "Singapore": ("Singapore", "SG"),
        },
    ),
    "Latin America": (0.05, False, {"Brazil": ("Brazil", "BR", "Brasil"), "Mexico": ("Mexico", "MX")}),
    "Middle East & Africa": (
        0.04,
        False,
        {"South Africa": ("South Africa", "ZA"), "United Arab Emirates": ("United Arab Emirates", "UAE")},
    ),
}

# seniority: (share, fit effect, fit effect after drift)
SENIORITY: dict[str, tuple[float, float, float]] = {
    "c_level": (0.08, 0.5, 0.5),
    "vp": (0.10, 0.7, 0.7),
    "director": (0.16, 0.5, 0.5),
    "manager": (0.24, 0.2, 0.2),
    "individual_contributor": (0.32, -0.4, -0.4),
    "student_other": (0.10, -1.3, -1.3),
}
DEPARTMENT: dict[str, tuple[float, float]] = {
    "sales": (0.22, 0.35),
    "marketing": (0.22, 0.35),
    "it": (0.18, 0.1),
    "finance": (0.10, 0.0),
    "operations": (0.12, 0.0),
    "hr": (0.08, -0.4),
    "other": (0.08, -0.3),
}
DEPARTMENT_WORDS: dict[str, tuple[str, ...]] = {
    "sales": ("Sales", "sales", "SALES", "Business Development", "Revenue"),
    "marketing": ("Marketing", "marketing", "Mktg", "Demand Generation", "Growth Marketing"),
    "it": ("IT", "Engineering", "Information Technology", "Eng", "Data"),
    "finance": ("Finance", "finance", "Fin.", "Accounting"),
    "operations": ("Operations", "Ops", "operations", "Supply Chain"),
    "hr": ("Human Resources", "HR", "People", "Talent"),
    "other": ("Legal", "Facilities", "Customer Support", "Research"),
}
SENIORITY_TEMPLATES: dict[str, tuple[str, ...]] = {
    "vp": ("VP {d}", "vp, {d}", "Vice President of {d}", "V.P. {d}", "SVP {d}", "EVP, {d}", "VP of {d}"),
    "director": ("Director of {d}", "{d} Director", "Sr. Director, {d}", "Head of {d}", "dir. {d}"),
    "manager": ("{d} Manager", "Manager, {d}", "Sr {d} Manager", "{d} Team Lead", "mgr {d}", "{d} manager"),
}
C_LEVEL_TITLES: dict[str, tuple[str, ...]] = {
    "executive": (
        "CEO",
        "Chief Executive Officer",
        "chief executive officer",
        "Founder & CEO",
        "Co-Founder",
        "President",
        "Owner",
        "Managing Director",
        "COO",
        "Chief Operating Officer",
    ),
    "sales": ("CRO", "Chief Revenue Officer", "Chief Sales Officer"),
    "marketing": ("CMO", "Chief Marketing Officer", "chief marketing officer"),
    "it": ("CTO", "Chief Technology Officer", "CIO", "Chief Information Officer", "Chief Data Officer"),
    "finance": ("CFO", "Chief Financial Officer", "cfo"),
    "operations": ("COO", "Chief Operating Officer"),
    "hr": ("CHRO", "Chief People Officer"),
    "other": ("Chief Legal Officer", "General Counsel"),
}
IC_TITLES: dict[str, tuple[str, ...]] = {
    "sales": (
        "Account Executive",
        "Sales Representative",
        "SDR",
        "Business Development Representative",
        "account exec",
    ),
    "marketing": ("Marketing Specialist", "Content Writer", "Marketing Coordinator", "SEO specialist"),
    "it": ("Software Engineer", "Data Analyst", "Developer", "System Administrator", "data scientist"),
    "finance": ("Accountant", "Financial Analyst", "Controller"),
    "operations": ("Operations Analyst", "Project Coordinator", "Buyer"),
    "hr": ("Recruiter", "HR Generalist", "Talent Acquisition Specialist"),
    "other": ("Paralegal", "Support Agent", "Office Administrator"),
}
STUDENT_OTHER_TITLES = (
    "Student",
    "Intern",
    "PhD Candidate",
    "Retired",
    "Freelancer",
    "Consultant",
    "MBA student",
    "Looking for work",
    "-",
    "n/a",
    "x",
)

FREE_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "aol.com",
    "proton.me",
    "gmx.de",
    "web.de",
    "seznam.cz",
    "naver.com",
    "yahoo.co.jp",
)
EDU_DOMAINS = (
    "stateuniversity.edu",
    "techinstitute.edu",
    "ox.ac.uk",
    "tu-berlin.de",
    "cuni.cz",
    "snu.ac.kr",
    "unimelb.edu.au",
)
DISPOSABLE_DOMAINS = (
    "mailinator.com",
    "10minutemail.com",
    "guerrillamail.com",
    "trashmail.com",
    "yopmail.com",
    "tempmail.net",
    "sharklasers.com",
)
COMPETITOR_DOMAINS = ("leadmetrics.io", "scorewise.com", "funnelforge.com")
INTERNAL_DOMAINS = ("northwind-analytics.com",)

# product lines (``generate --product-lines 2``): the second sells to the other end of the market, so the firmographic
# part of its leads' fit (industry, size, seniority) has the opposite sign — a profile one pooled model must learn
# as an interaction
PRODUCT_LINES = ("Platform", "Starter")

# lead source: (share, fit effect, initial intent state probabilities, creation event, campaign)
LEAD_SOURCES: dict[str, tuple[float, float, tuple[float, float, float, float], str]] = {
    "organic": (0.22, 0.0, (0.30, 0.50, 0.17, 0.03), "form_submit"),
    "paid_search": (0.16, -0.1, (0.35, 0.45, 0.17, 0.03), "form_submit"),
    "social": (0.10, -0.3, (0.55, 0.35, 0.09, 0.01), "ebook_download"),
    "referral": (0.07, 0.5, (0.15, 0.35, 0.35, 0.15), "form_submit"),
    "event": (0.10, 0.2, (0.30, 0.35, 0.30, 0.05), "form_submit"),
    "partner": (0.06, 0.3, (0.25, 0.35, 0.30, 0.10), "form_submit"),
    "outbound": (0.12, -0.2, (0.55, 0.30, 0.13, 0.02), "email_reply"),
    "content_syndication": (0.17, -0.5, (0.70, 0.25, 0.05, 0.00), "ebook_download"),
}
# after drift the budget moves to cheap, low-intent channels (paid search, social, syndication)
LEAD_SOURCE_SHARES_AFTER: dict[str, float] = {
    "organic": 0.10,
    "paid_search": 0.30,
    "social": 0.25,
    "referral": 0.02,
    "event": 0.03,
    "partner": 0.02,
    "outbound": 0.08,
    "content_syndication": 0.20,
}
LEAD_SOURCE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "organic": ("Organic", "organic", "Organic Search", "SEO"),
    "paid_search": ("Paid Search", "paid_search", "PPC", "Google Ads"),
    "social": ("Social", "social media", "LinkedIn"),
    "referral": ("Referral", "referral", "Customer Referral"),
    "event": ("Event", "Trade Show", "event"),
    "partner": ("Partner", "partner", "Reseller"),
    "outbound": ("Outbound", "outbound", "Cold Outreach"),
    "content_syndication": ("Content Syndication", "content syndication", "Syndication"),
}

PLACEHOLDERS = ("N/A", "n/a", "unknown", "-", "Select", "none", "")

FIRST_NAMES = (
    "James",
    "Maria",
    "Wei",
    "Aisha",
    "Lukas",
    "Sofia",
    "Hiroshi",
    "Yuna",
    "Jan",
    "Eva",
    "Carlos",
    "Priya",
    "Olivia",
    "Noah",
    "Emma",
    "Liam",
    "Min-jun",
    "Seo-yeon",
    "Tomas",
    "Petra",
    "Ahmed",
    "Fatima",
    "Lars",
    "Ingrid",
    "Mateo",
    "Lucia",
    "Daniel",
    "Anna",
    "Kenji",
    "Sakura",
    "Oliver",
    "Chloe",
    "Rahul",
    "Ananya",
    "Pierre",
    "Camille",
    "Jakub",
    "Tereza",
    "David",
    "Sarah",
)
LAST_NAMES = (
    "Smith",
    "Garcia",
    "Chen",
    "Khan",
    "Müller",
    "Rossi",
    "Tanaka",
    "Kim",
    "Novak",
    "Svoboda",
    "Lopez",
    "Patel",
    "Johnson",
    "Brown",
    "Williams",
    "Park",
    "Lee",
    "Dvorak",
    "Nielsen",
    "Andersson",
    "Silva",
    "Martin",
    "Dubois",
    "Schmidt",
    "Kowalski",
    "Sato",
    "Suzuki",
    "Choi",
    "Jones",
    "Taylor",
    "Wilson",
    "Moore",
    "Singh",
    "Gupta",
    "Bernard",
    "Fischer",
    "Horvath",
    "Nagy",
    "Cohen",
    "Murphy",
)
DUMMY_NAMES = (
    ("Test", "Test"),
    ("asdf", "asdf"),
    ("John", "Doe"),
    ("Mickey", "Mouse"),
    ("x", "x"),
    ("Donald", "Duck"),
    ("test", "user"),
)
COMPANY_SYLLABLES = (
    "nor",
    "vex",
    "ara",
    "tel",
    "quin",
    "lum",
    "sol",
    "tri",
    "zen",
    "ka",
    "mar",
    "ori",
    "pax",
    "dyn",
    "cor",
    "ver",
    "ion",
    "lex",
    "sta",
    "ro",
    "bel",
    "fin",
    "gra",
    "hel",
)
COMPANY_SUFFIXES = ("Inc", "Inc.", "LLC", "Ltd", "GmbH", "s.r.o.", "Corp", "Group", "AG", "BV", "K.K.", "")

SPAM_MESSAGES = (
    "Boost your SEO ranking today!!! Visit our site for cheap backlinks",
    "Congratulations, you have won a prize, click here to claim",
    "We sell verified email lists of 10M decision makers, reply for prices",
    "Make $5000 a week from home, crypto investment opportunity",
    "Guest post offer: high DA sites, cheap rates, contact now",
    "asdfghjkl qwerty",
)
GENUINE_MESSAGES = (
    "Please send more information.",
    "Interested in learning more about your platform.",
    "Could someone contact me about pricing?",
    "We are evaluating tools for our team.",
    "Saw your webinar, want to know more.",
)
