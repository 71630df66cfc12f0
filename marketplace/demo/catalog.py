"""Words the demo data is made of: the admin work small-business owners actually hand off."""

from __future__ import annotations

from ..tasks.models import Category

# category -> (task templates, skill pool, assistant headlines)
# A task template is (title, description, skills); {biz} and {tool} are filled in per task.
WORK = {
    Category.INBOX_CALENDAR: (
        [
            (
                "Tame my inbox and calendar",
                "I get 200+ emails a day at my {biz}. I need someone to triage my inbox every morning, draft replies for routine questions, flag what needs me, and keep my {tool} calendar free of double bookings.",
                ["inbox management", "email management", "calendar management", "{tool}"],
            ),
            (
                "Executive assistant for a busy founder",
                "Schedule meetings across time zones, prepare a daily brief, chase replies, and keep my calendar sane. Our {biz} runs on {tool}.",
                ["calendar management", "scheduling", "{tool}", "executive assistance"],
            ),
            (
                "Appointment scheduling for my clinic",
                "Book, confirm and reschedule client appointments for my {biz}, send reminders, and keep the waitlist moving in {tool}.",
                ["scheduling", "appointment setting", "{tool}", "customer service"],
            ),
        ],
        ["Gmail", "Google Calendar", "Outlook", "Calendly", "Acuity Scheduling"],
        [
            "Executive assistant who keeps founders' inboxes at zero",
            "Calendar and inbox manager for busy owners",
            "Virtual assistant: email, scheduling and follow-ups",
        ],
    ),
    Category.BOOKKEEPING: (
        [
            (
                "Monthly bookkeeping in {tool}",
                "Reconcile bank and card accounts, categorise transactions and send me a monthly profit and loss for my {biz}. Around 300 transactions a month in {tool}.",
                ["bookkeeping", "{tool}", "bank reconciliation", "financial reporting"],
            ),
            (
                "Catch up on six months of books",
                "My {biz} is behind on bookkeeping. Clean up {tool}, reconcile accounts and get us ready for the accountant before tax season.",
                ["bookkeeping", "{tool}", "bank reconciliation"],
            ),
            (
                "Invoicing and accounts receivable follow-up",
                "Send invoices from {tool}, follow up on late payments politely, and record payments for my {biz}.",
                ["invoicing", "accounts receivable", "{tool}", "bookkeeping"],
            ),
        ],
        ["QuickBooks", "Xero", "FreshBooks", "Wave", "Excel"],
        [
            "Certified bookkeeper for small businesses",
            "QuickBooks and Xero bookkeeping, done monthly and on time",
            "Bookkeeping and invoicing assistant",
        ],
    ),
    Category.CUSTOMER_SUPPORT: (
        [
            (
                "Answer customer emails and chats",
                "Reply to customer questions for my {biz} within a few hours, handle returns and exchanges, and escalate what you cannot solve. We use {tool}.",
                ["customer service", "{tool}", "email support", "live chat"],
            ),
            (
                "Weekend customer support",
                "Cover our {tool} support queue on Saturdays and Sundays for our {biz}: order status, refunds, product questions.",
                ["customer service", "{tool}", "order management"],
            ),
        ],
        ["Zendesk", "Gorgias", "Help Scout", "Intercom", "Freshdesk"],
        [
            "Friendly customer support specialist",
            "Customer service VA for e-commerce brands",
            "Support agent: email, chat and phone",
        ],
    ),
    Category.DATA_ENTRY: (
        [
            (
                "Enter receipts and orders into spreadsheets",
                "Type up receipts, supplier invoices and orders for my {biz} into {tool}, accurately and with checks.",
                ["data entry", "{tool}", "attention to detail"],
            ),
            (
                "Clean up our CRM contacts",
                "De-duplicate and update about 5,000 contacts in {tool} for our {biz}; fill missing fields from public sources.",
                ["data entry", "CRM", "{tool}", "data cleaning"],
            ),
        ],
        ["Excel", "Google Sheets", "HubSpot", "Salesforce", "Airtable"],
        [
            "Fast, accurate data entry and spreadsheet work",
            "Data entry and CRM clean-up specialist",
            "Spreadsheet wizard for tidy business data",
        ],
    ),
    Category.SOCIAL_MEDIA: (
        [
            (
                "Run our Instagram and Facebook",
                "Plan and schedule posts for my {biz} in {tool}, write captions, design simple graphics in Canva, and answer comments and DMs.",
                ["social media management", "{tool}", "Canva", "copywriting"],
            ),
            (
                "Content calendar and post scheduling",
                "Build a monthly content calendar for our {biz} and schedule posts across platforms with {tool}.",
                ["social media management", "content calendar", "{tool}"],
            ),
        ],
        ["Hootsuite", "Buffer", "Later", "Meta Business Suite", "Canva"],
        [
            "Social media manager for local businesses",
            "Instagram and Facebook content creator",
            "Social media VA: posting, captions, community",
        ],
    ),
    Category.TRAVEL: (
        [
            (
                "Book travel for a conference trip",
                "Find and book flights, hotel and ground transport for a trip to a trade show for our {biz}; compare options and keep within budget.",
                ["travel booking", "itinerary planning", "research"],
            ),
            (
                "Recurring travel coordination",
                "Arrange my monthly trips to visit clients of my {biz}: flights, hotels, car rental, and a clear itinerary in {tool}.",
                ["travel booking", "itinerary planning", "{tool}"],
            ),
        ],
        ["Google Docs", "TripIt", "Expensify", "Notion"],
        ["Travel coordinator and itinerary planner", "Executive travel booking assistant"],
    ),
    Category.RESEARCH: (
        [
            (
                "Research suppliers for my shop",
                "Find and compare 20 suppliers for my {biz}: prices, minimum orders, shipping times. Put it in {tool} with sources.",
                ["market research", "{tool}", "supplier research"],
            ),
            (
                "Lead list for outreach",
                "Build a list of 300 local businesses that could use our {biz}'s services, with contact names and emails, in {tool}.",
                ["lead generation", "web research", "{tool}"],
            ),
        ],
        ["Google Sheets", "LinkedIn Sales Navigator", "Excel", "Airtable"],
        [
            "Research assistant: markets, suppliers, leads",
            "Lead generation and web research specialist",
        ],
    ),
    Category.ECOMMERCE: (
        [
            (
                "List products on {tool}",
                "Write titles and descriptions, upload photos and set variants for 80 products from my {biz} on {tool}.",
                ["product listing", "{tool}", "copywriting", "e-commerce"],
            ),
            (
                "Shipping follow-ups and order tracking",
                "Check daily that every order from my {biz} shipped, chase carriers on late parcels and update customers. Orders live in {tool}.",
                ["order management", "{tool}", "customer service", "shipping"],
            ),
        ],
        ["Shopify", "Etsy", "Amazon Seller Central", "WooCommerce", "eBay"],
        [
            "Shopify and Etsy store assistant",
            "E-commerce VA: listings, orders and customer follow-ups",
            "Amazon seller support specialist",
        ],
    ),
    Category.WRITING: (
        [
            (
                "Weekly newsletter for my customers",
                "Write and send a weekly newsletter for my {biz} in {tool} from my notes, with one tip and one offer.",
                ["copywriting", "email marketing", "{tool}"],
            ),
            (
                "Blog posts about our services",
                "Write two 800-word blog posts a month for our {biz}, optimised for search, drafted in {tool}.",
                ["blog writing", "SEO", "{tool}"],
            ),
        ],
        ["Mailchimp", "Klaviyo", "WordPress", "Google Docs"],
        ["Copywriter for newsletters and blogs", "Email marketing and content writer"],
    ),
}

BUSINESSES = [
    "bakery",
    "yoga studio",
    "dental practice",
    "plumbing company",
    "Etsy shop",
    "law office",
    "photography studio",
    "landscaping business",
    "coffee roastery",
    "design agency",
    "real estate team",
    "physiotherapy clinic",
    "online course business",
    "bike shop",
    "wedding planning business",
    "coaching practice",
    "candle shop",
    "cleaning company",
]

FIRST_NAMES = [
    "Maria",
    "Ana",
    "Joy",
    "Grace",
    "Priya",
    "Aisha",
    "Elena",
    "Sofia",
    "Lucia",
    "Fatima",
    "Chen",
    "Mei",
    "Olga",
    "Hannah",
    "Amara",
    "Rosa",
    "Leila",
    "Nadia",
    "Ivy",
    "Clara",
    "James",
    "Carlos",
    "Daniel",
    "Marco",
    "Rahul",
    "Kwame",
    "Tomás",
    "Ali",
    "Jonas",
    "Mateo",
    "Liam",
    "Noah",
    "Ethan",
    "Arjun",
    "Paolo",
    "Diego",
    "Samuel",
    "Kenji",
    "Oliver",
    "Felix",
]
LAST_NAMES = [
    "Santos",
    "Reyes",
    "Cruz",
    "Garcia",
    "Sharma",
    "Okafor",
    "Kowalski",
    "Müller",
    "Rossi",
    "Nguyen",
    "Silva",
    "Mensah",
    "Petrov",
    "Haddad",
    "Khan",
    "Lopez",
    "Smith",
    "Brown",
    "Tanaka",
    "Dubois",
    "Andersen",
    "Murphy",
    "Patel",
    "Mwangi",
    "Fernández",
    "Novak",
]

# Where assistants and owners work from, weighted roughly like a real VA marketplace.
ASSISTANT_ZONES = [
    ("Asia/Manila", 30),
    ("Asia/Kolkata", 12),
    ("America/New_York", 10),
    ("America/Chicago", 6),
    ("America/Los_Angeles", 6),
    ("Europe/London", 6),
    ("Africa/Lagos", 5),
    ("Africa/Nairobi", 4),
    ("Europe/Warsaw", 4),
    ("America/Bogota", 5),
    ("America/Sao_Paulo", 4),
    ("Asia/Karachi", 3),
    ("America/St_Johns", 1),
    ("Australia/Sydney", 2),
    ("Europe/Madrid", 2),
]
OWNER_ZONES = [
    ("America/New_York", 30),
    ("America/Chicago", 12),
    ("America/Los_Angeles", 18),
    ("America/Denver", 5),
    ("Europe/London", 12),
    ("Europe/Berlin", 6),
    ("Australia/Sydney", 6),
    ("America/Toronto", 8),
    ("Asia/Singapore", 3),
]

BIO_OPENERS = [
    "I have {years} years of experience helping small businesses with {focus}.",
    "For the past {years} years I have supported owners of {businesses} and similar businesses with {focus}.",
    "Reliable and detail-minded, I spent {years} years in {focus} before going freelance.",
]
BIO_CLOSERS = [
    "I reply within a few hours during my working day and keep clear notes of everything I do.",
    "Clients say I am organised, proactive and easy to work with.",
    "I document every process so nothing depends on memory.",
    "I am comfortable with new tools and learn your way of working quickly.",
]

# Cover notes on demo proposals; {biz} and {tool} as in the task templates.
COVER_NOTES = [
    "I have done this for two other {biz} owners and can start this week. I work in {tool} daily.",
    "Happy to help. I would start with a short call to agree on priorities, then send you a written summary every Friday.",
    "This is exactly my kind of work. I keep a checklist for each client so nothing slips, and I can share my last one as an example.",
    "I can take this on from Monday. I know {tool} well and I am online during your mornings.",
    "I like clear, repeatable work like this. I would document each step so anyone can pick it up after me.",
    "I run similar work for a small {biz} today and can show you how I organise it.",
]
