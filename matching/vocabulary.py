"""Hand-written skill vocabulary for virtual-assistant work.

Each concept has a canonical key, synonyms (the same skill written differently: folded onto the
key by `normalise_skill`) and related concepts (different skills an owner would accept as
partly relevant: they earn partial skill credit in the skills factor).

Written from domain knowledge of VA work; deliberately NOT derived from the O*NET task
statements that the evaluation uses, so the evaluation's ground truth stays independent.
"""

from __future__ import annotations

import re
import unicodedata

# One concept per entry: "canonical = synonyms, ..." then "~ related concepts, ...";
# continuation lines are indented. Kept as text so the table stays readable and short.
_TABLE = """
administrative support = admin, administrative, administrative assistant, office
    administration, clerical, office support, secretarial, secretary, office assistant,
    office clerk, virtual assistant, executive assistant, personal assistant
    ~ calendar management, email management, data entry, records management, correspondence,
      reception
calendar management = scheduling, schedule, appointments, appointment setting, appointment
    scheduling, calendar, diary management, meeting scheduling, google calendar, calendly,
    book meetings
    ~ administrative support, travel planning, event planning, reception
email management = inbox, inbox management, email, e-mail, gmail, outlook, microsoft
    outlook, email correspondence, mail management
    ~ correspondence, administrative support, customer service
correspondence = letters, letter writing, memos, business correspondence, replies, mail,
    mailing
    ~ email management, word processing, copywriting
data entry = data input, keying, typing, keyboarding, data capture, data processing, record
    keeping, records entry, transcribe data
    ~ spreadsheets, database management, records management
records management = filing, file management, document management, records, archiving,
    document control, file clerk, paperwork, dropbox, google drive, sharepoint
    ~ data entry, administrative support
reception = receptionist, front desk, greeting visitors, phone answering, answering phones,
    call answering, switchboard, telephone, phone calls, call handling, information clerk,
    virtual receptionist
    ~ customer service, calendar management, administrative support
customer service = customer support, client support, customer care, help desk support,
    support tickets, zendesk, freshdesk, intercom, live chat, chat support, complaints,
    customer inquiries, customer relations, client services, customer service representative
    ~ reception, sales support, email management, order processing
bookkeeping = quickbooks, quickbooks online, intuit quickbooks, xero, wave accounting,
    freshbooks, sage, ledger, general ledger, bookkeeper, reconciliation, bank
    reconciliation, accounts payable, accounts receivable, journal entries, bookkeeping
    clerk, accounting clerk
    ~ accounting, invoicing, payroll, tax preparation, financial reporting, spreadsheets
accounting = accountant, accounts, cpa, auditing, audit, financial statements, cost
    accounting, accounting software, budgeting, budget
    ~ bookkeeping, tax preparation, financial reporting, invoicing
invoicing = billing, invoices, invoice, bills, payments, collections, debt collection,
    payment processing, stripe, paypal, billing clerk, posting
    ~ bookkeeping, accounting, customer service
payroll = payroll processing, gusto, adp, timekeeping, timesheets, time sheets, wages,
    salaries, employee pay, paychex
    ~ bookkeeping, human resources
tax preparation = taxes, tax, tax returns, income tax, turbotax, tax filing, tax preparer
    ~ accounting, bookkeeping
financial reporting = financial analysis, financial reports, cash flow, profit and loss,
    forecasting, financial modeling, expense reports, expenses, expense tracking
    ~ accounting, spreadsheets, data analysis
spreadsheets = excel, microsoft excel, google sheets, spreadsheet, spreadsheet software,
    pivot tables, vlookup, formulas
    ~ data entry, data analysis, financial reporting
word processing = microsoft word, word, google docs, typing documents, document formatting,
    word processing software, documents, typist, word processor, desktop publishing
    ~ correspondence, proofreading, transcription, presentations
presentations = powerpoint, microsoft powerpoint, google slides, keynote, slide decks, pitch
    decks, presentation software
    ~ graphic design, word processing
transcription = transcribe, transcripts, audio transcription, dictation, minutes, meeting
    minutes, note taking, notes, stenography, captioning, medical transcription
    ~ word processing, data entry
proofreading = editing, copy editing, copyediting, proofread, grammar, grammarly, editor,
    style guide, fact checking, revise, review drafts
    ~ content writing, copywriting, word processing
content writing = writing, blog writing, blogging, articles, content creation, ghostwriting,
    writer, technical writing, newsletters, manuals, documentation, content
    ~ copywriting, proofreading, seo, social media management
copywriting = copy, ad copy, sales copy, product descriptions, copywriter, email copy, press
    releases, marketing copy
    ~ content writing, marketing, email marketing
social media management = social media, instagram, facebook, twitter, linkedin, tiktok,
    pinterest, hootsuite, buffer, community management, social media marketing, social
    posts, youtube
    ~ marketing, content writing, graphic design, email marketing
marketing = digital marketing, marketing campaigns, campaigns, advertising, ads, google ads,
    facebook ads, promotion, promotions, brand, branding, market research, marketing
    assistant, marketing coordinator, public relations, pr
    ~ social media management, email marketing, seo, copywriting, sales support
email marketing = mailchimp, newsletter, email campaigns, klaviyo, constant contact, drip
    campaigns, mailing lists
    ~ marketing, copywriting, crm
seo = search engine optimization, search engine optimisation, keyword research, google
    analytics, semrush, ahrefs, web analytics
    ~ content writing, marketing, website management
graphic design = design, canva, adobe photoshop, photoshop, illustrator, adobe illustrator,
    indesign, adobe indesign, figma, logo design, layout, graphics, visual design,
    infographics, designer, artwork, illustration
    ~ presentations, social media management, video editing, website management
video editing = video, premiere pro, adobe premiere, final cut, after effects, video
    production, youtube editing, animation, motion graphics
    ~ graphic design, social media management, photography
photography = photo editing, photos, lightroom, images, image editing, photographer, product
    photos
    ~ graphic design, video editing
website management = wordpress, website, web design, webmaster, squarespace, wix, website
    updates, html, css, web content, landing pages, web development, web developer
    ~ ecommerce, seo, graphic design, it support
ecommerce = shopify, woocommerce, amazon seller, etsy, ebay, online store, product listings,
    e-commerce
    ~ order processing, website management, inventory management, customer service
order processing = orders, order entry, order fulfillment, fulfilment, fulfillment, returns,
    refunds, purchase orders
    ~ ecommerce, inventory management, customer service, shipping
inventory management = inventory, stock, stock control, supplies, stock records, warehouse,
    procurement, purchasing, vendors, suppliers, sourcing, buyer
    ~ order processing, shipping, spreadsheets
shipping = logistics, shipments, dispatch, delivery, courier, postage, packages, freight,
    mail room, tracking shipments
    ~ order processing, inventory management
crm = salesforce, hubspot, zoho, pipedrive, customer relationship management, crm software,
    contact management, leads database
    ~ sales support, email marketing, database management
sales support = sales, lead generation, prospecting, cold calling, cold email, outreach,
    sales assistant, quotes, proposals, telemarketing, selling, sales representative,
    account management
    ~ crm, marketing, customer service
research = internet research, web research, online research, market analysis, competitor
    research, information gathering, surveys, investigation, fact finding
    ~ data analysis, content writing, marketing
data analysis = analytics, statistics, statistical analysis, reporting, reports, dashboards,
    tableau, power bi, sql, data visualization, charts, metrics, kpi
    ~ spreadsheets, research, financial reporting, database management
database management = database, databases, microsoft access, airtable, data management, data
    cleaning, records database, dbms, oracle, mysql
    ~ data entry, crm, data analysis
project management = asana, trello, monday.com, clickup, jira, notion, project coordination,
    task management, deadlines, operations, coordination, workflow, project coordinator,
    operations management, office management, office manager, supervise staff
    ~ administrative support, calendar management, event planning
event planning = events, event coordination, event management, conferences, meetings,
    conventions, venues, catering, weddings, event planner, meeting planner
    ~ travel planning, calendar management, project management
travel planning = travel, travel booking, flights, hotels, itineraries, itinerary,
    reservations, travel arrangements, travel agent, booking, accommodation
    ~ event planning, calendar management
human resources = hr, recruiting, recruitment, hiring, onboarding, job postings, interview
    scheduling, candidates, applicants, benefits, employee records, personnel, training,
    compensation
    ~ payroll, administrative support
legal support = paralegal, legal assistant, legal, contracts, legal documents, legal
    research, court filings, litigation, law firm, attorneys, lawyer, briefs, legal
    secretary, clio, westlaw, lexisnexis
    ~ records management, research, word processing
medical administration = medical billing, medical coding, medical records, health records,
    ehr, emr, patient scheduling, medical secretary, medical assistant, insurance claims,
    health information, patients, healthcare administration
    ~ records management, invoicing, calendar management, insurance
insurance = insurance claims, claims processing, policies, policyholders, underwriting,
    claims, insurance clerk
    ~ medical administration, customer service, data entry
real estate support = real estate, property management, listings, tenants, leases, rental,
    mls, realtor
    ~ administrative support, marketing, customer service
translation = translator, interpreting, interpreter, localization, localisation, spanish,
    french, german, bilingual, language
    ~ content writing, proofreading
it support = technical support, tech support, help desk, troubleshooting, computer support,
    software setup, network, networks, computer systems, systems administration, it, google
    workspace, microsoft 365, office 365
    ~ website management, database management
automation = zapier, make.com, integromat, workflow automation, integrations, scripts,
    macros, python, programming, software development
    ~ it support, spreadsheets, project management
mail processing = postal, mail sorting, sort mail, envelopes, mailroom, postal service, mail
    clerk, addressing
    ~ shipping, correspondence
banking = bank, deposits, cash handling, teller, loans, credit, financial transactions,
    cash, checks, cheques
    ~ bookkeeping, accounting, customer service
interviewing = interviews, interviewer, survey interviews, questionnaires, polls,
    eligibility interviews, intake
    ~ research, customer service, human resources
"""


def _parse(table: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    entries: list[list[str]] = []
    for line in table.strip().splitlines():
        if not line.startswith(" "):
            entries.append([line, ""])
        elif line.strip().startswith("~"):
            entries[-1][1] = line.strip()[1:]
        elif entries[-1][1]:
            entries[-1][1] += " " + line.strip()
        else:
            entries[-1][0] += " " + line.strip()
    out = {}
    for head, rel in entries:
        canon, _, syns = head.partition(" = ")
        out[canon.strip()] = (
            tuple(s.strip() for s in syns.split(",") if s.strip()),
            tuple(r.strip() for r in rel.split(",") if r.strip()),
        )
    return out


# canonical: (synonyms, related canonicals)
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = _parse(_TABLE)

_PUNCT = re.compile(r"[^a-z0-9+#.]+")


def fold(text: str) -> str:
    """Case, accent, space and punctuation folding shared by skills and text matching."""
    text = str(text)
    if not text.isascii():  # NFKD leaves ASCII as it is: only other text needs it
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _PUNCT.sub(" ", text.lower().replace("&", " and "))
    return " ".join(t for t in (t.strip(".") for t in text.split()) if t)


def _build_alias_map() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for canon in CONCEPTS:
        aliases.setdefault(fold(canon), canon)
    for canon, (syns, _related) in CONCEPTS.items():
        for s in syns:
            # first concept to claim a synonym keeps it, so the map stays a function
            aliases.setdefault(fold(s), canon)
    return aliases


ALIASES = _build_alias_map()
_related: dict[str, set[str]] = {}
for _c, (_s, _rel) in CONCEPTS.items():
    for _r in _rel:
        assert _r in CONCEPTS, f"related concept {_r!r} of {_c!r} is not defined"
        _related.setdefault(_c, set()).add(_r)
        _related.setdefault(_r, set()).add(_c)
RELATED: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in _related.items()}


def normalise_skill(skill: str) -> str:
    """Canonical key of a skill: folded text, mapped through the synonym table when known.

    Unknown skills keep their folded form so two people typing "Notion " and "notion" still
    match each other even though the vocabulary has never heard of them.
    """
    key = fold(skill)
    return ALIASES.get(key, key)


def related(canonical: str) -> frozenset[str]:
    return RELATED.get(canonical, frozenset())
