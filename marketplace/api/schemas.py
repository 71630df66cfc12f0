"""What the API accepts and returns, as marshmallow schemas (they make the OpenAPI document).

Input schemas give only the shape (types, required members, the allowed values of a choice).
The bounds and rules (lengths, amounts, hours, time zones, control characters) are the HTML
forms' and the services': the API runs the same forms on what it was sent (``api.inputs``),
so a rule is stated once and the API and the site refuse the same things. Money is integer
cents throughout.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..contracts.models import ContractKind, ContractStatus, MilestoneStatus
from ..forms import CURRENCIES
from ..hiring.models import ProposalStatus
from ..input_guard import MAX_ID
from ..tasks.models import BudgetType, Category, Engagement, TaskStatus
from ..tasks.search import Sort
from ..timesheets.models import TimesheetStatus

CURRENCY_CODES = [c.value for c in CURRENCIES]
MAX_LIMIT = 100


def _one_of(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


def _cents(description: str, **kw) -> fields.Integer:
    return fields.Integer(strict=True, metadata={"description": description + " (cents)"}, **kw)


class StrictSchema(Schema):
    class Meta:
        ordered = True


class FieldErrorSchema(StrictSchema):
    field = fields.String(required=True)
    location = fields.String()
    detail = fields.String(required=True)


class ProblemSchema(StrictSchema):
    """RFC 9457: what went wrong, and for bad input which fields and why."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    field = fields.String(metadata={"description": "The first field at fault"})
    errors = fields.List(fields.Nested(FieldErrorSchema))
    reason = fields.String(metadata={"description": "What was limited (429)"})
    retry_after = fields.Integer(
        allow_none=True, metadata={"description": "Seconds until a retry is allowed (429)"}
    )


class PageArgs(StrictSchema):
    cursor = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "The `next_cursor` of the previous page"},
    )
    limit = fields.Integer(
        load_default=20, validate=validate.Range(1, MAX_LIMIT), metadata={"description": "Items"}
    )


class TaskIn(StrictSchema):
    title = fields.String(required=True)
    description = fields.String(required=True)
    skills = fields.List(fields.String(), required=True)
    category = fields.String(required=True, validate=_one_of(Category))
    engagement = fields.String(required=True, validate=_one_of(Engagement))
    estimated_hours = fields.Integer(strict=True, allow_none=True)
    hours_per_week = fields.Integer(strict=True, allow_none=True)
    budget_type = fields.String(required=True, validate=_one_of(BudgetType))
    budget_cents = _cents("Fixed budget", allow_none=True)
    max_hourly_rate_cents = _cents("Maximum hourly rate", allow_none=True)
    currency = fields.String(load_default="USD", validate=validate.OneOf(CURRENCY_CODES))
    timezone = fields.String(required=True, metadata={"description": "An IANA time zone"})
    overlap_hours = fields.Integer(strict=True, load_default=0)
    deadline = fields.Date(allow_none=True)
    openings = fields.Integer(
        strict=True,
        load_default=1,
        metadata={
            "description": "How many assistants you want on the task (it stays open "
            "to hires until that many are hired)"
        },
    )


class TaskChanges(TaskIn):
    """Some of a task's fields (PATCH): those left out keep their values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class TaskOut(StrictSchema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=_one_of(TaskStatus))
    title = fields.String(required=True)
    description = fields.String(required=True)
    skills = fields.List(fields.String(), required=True, attribute="skill_list")
    category = fields.String(required=True)
    engagement = fields.String(required=True)
    estimated_hours = fields.Integer(allow_none=True, required=True)
    hours_per_week = fields.Integer(allow_none=True, required=True)
    budget_type = fields.String(required=True)
    budget_cents = fields.Integer(allow_none=True, required=True)
    max_hourly_rate_cents = fields.Integer(allow_none=True, required=True)
    currency = fields.String(required=True)
    timezone = fields.String(required=True)
    overlap_hours = fields.Integer(required=True)
    deadline = fields.Date(allow_none=True, required=True)
    openings = fields.Integer(required=True)
    owner_id = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)


class Paged(StrictSchema):
    next_cursor = fields.String(
        allow_none=True, required=True, metadata={"description": "null on the last page"}
    )


class MyTask(StrictSchema):
    task = fields.Nested(TaskOut, required=True)
    proposal_count = fields.Integer(required=True)


class MyTaskPage(Paged):
    items = fields.List(fields.Nested(MyTask), required=True)


class TaskPage(Paged):
    items = fields.List(fields.Nested(TaskOut), required=True)
    total = fields.Integer(required=True)


class JobSearchArgs(PageArgs):
    """The job search's filters, as on /jobs."""

    q = fields.String(metadata={"description": "Words to find in the title, skills or text"})
    skill = fields.String()
    category = fields.String(validate=_one_of(Category))
    engagement = fields.String(validate=_one_of(Engagement))
    min_rate_cents = fields.Integer(metadata={"description": "Pays at least (cents an hour)"})
    min_budget_cents = fields.Integer(metadata={"description": "Fixed budget at least (cents)"})
    max_hours = fields.Integer(metadata={"description": "Hours per week at most"})
    sort = fields.String(validate=_one_of(Sort))


class AccountOut(StrictSchema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True)
    timezone = fields.String(required=True)


class ProfileIn(StrictSchema):
    headline = fields.String(required=True)
    bio = fields.String(load_default="")
    skills = fields.List(fields.String(), required=True)
    hourly_rate_cents = _cents("Hourly rate", required=True)
    currency = fields.String(load_default="USD", validate=validate.OneOf(CURRENCY_CODES))
    timezone = fields.String(required=True)
    work_start = fields.String(required=True, metadata={"description": "HH:MM, local time"})
    work_end = fields.String(required=True, metadata={"description": "HH:MM, local time"})
    hours_per_week = fields.Integer(strict=True, required=True)


class ProfileOut(StrictSchema):
    user_id = fields.Integer(required=True)
    headline = fields.String(required=True)
    bio = fields.String(required=True)
    skills = fields.Method("_skills", required=True)
    hourly_rate_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    timezone = fields.String(required=True)
    work_start = fields.Time(required=True, format="%H:%M")
    work_end = fields.Time(required=True, format="%H:%M")
    hours_per_week = fields.Integer(required=True)
    rating = fields.Float(allow_none=True, required=True)
    review_count = fields.Integer(required=True)

    def _skills(self, profile) -> list[str]:
        return [skill.name for skill in profile.skills]


class MatchOut(StrictSchema):
    task_id = fields.Integer(required=True)
    assistant_id = fields.Integer(required=True)
    score = fields.Float(required=True, metadata={"description": "0 to 1"})
    reasons = fields.List(fields.String(), required=True)
    invited = fields.Boolean(required=True)


class RecommendationOut(MatchOut):
    assistant = fields.Nested(ProfileOut, required=True)


class RecommendationPage(Paged):
    items = fields.List(fields.Nested(RecommendationOut), required=True)


class JobForYouOut(MatchOut):
    task = fields.Nested(TaskOut, required=True)


class JobForYouPage(Paged):
    items = fields.List(fields.Nested(JobForYouOut), required=True)


class ProposalIn(StrictSchema):
    task_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    cover_note = fields.String(required=True)
    proposed_rate_cents = _cents("Your rate per hour", required=True)


class ProposalOut(StrictSchema):
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    assistant_id = fields.Integer(required=True)
    cover_note = fields.String(required=True)
    proposed_rate_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True, validate=_one_of(ProposalStatus))
    created_at = fields.AwareDateTime(required=True)


class ProposalPage(Paged):
    items = fields.List(fields.Nested(ProposalOut), required=True)


class InvitationIn(StrictSchema):
    assistant_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    rate_cents = _cents(
        "The assistant's hourly rate you were shown (a recommendation's assistant."
        "hourly_rate_cents): a rate changed since is refused, 409",
        required=True,
    )


class InvitationOut(StrictSchema):
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    assistant_id = fields.Integer(required=True)
    rate_cents = fields.Integer(allow_none=True, required=True)
    currency = fields.String(allow_none=True, required=True)
    hours = fields.Integer(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class MilestoneOut(StrictSchema):
    number = fields.Integer(required=True, metadata={"description": "Worked on in order, 1 first"})
    title = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    fee_cents = fields.Integer(required=True)
    net_cents = fields.Integer(required=True, metadata={"description": "What the assistant gets"})
    due_on = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True, validate=_one_of(MilestoneStatus))
    funded_at = fields.AwareDateTime(
        allow_none=True,
        required=True,
        metadata={"description": "When its own payment came (funded_per_milestone), else null"},
    )
    submitted_at = fields.AwareDateTime(allow_none=True, required=True)
    approved_at = fields.AwareDateTime(allow_none=True, required=True)
    paid_at = fields.AwareDateTime(allow_none=True, required=True)


class ContractOut(StrictSchema):
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    owner_id = fields.Integer(required=True)
    assistant_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=_one_of(ContractKind))
    status = fields.String(required=True, validate=_one_of(ContractStatus))
    hours = fields.Integer(required=True)
    rate_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    total_cents = fields.Integer(required=True, metadata={"description": "0 for hourly"})
    fee_cents = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    funded_per_milestone = fields.Boolean(
        required=True,
        metadata={
            "description": "Fixed: each milestone is paid for on its own when its turn comes "
            "(milestones/{number}/checkout); false: the whole price at hire (checkout)."
        },
    )
    milestones = fields.List(
        fields.Nested(MilestoneOut),
        required=True,
        metadata={
            "description": "Fixed: the price's parts, each submitted, approved and paid out "
            "on its own; submit, approve and request-changes act on the first one not "
            "approved yet. Hourly: empty."
        },
    )


class ContractPage(Paged):
    items = fields.List(fields.Nested(ContractOut), required=True)


# Contract actions ---------------------------------------------------------------------


class CheckoutOut(StrictSchema):
    url = fields.String(
        required=True,
        metadata={"description": "Stripe's payment page: open it in the owner's browser"},
    )


class SubmitIn(StrictSchema):
    note = fields.String(required=True, metadata={"description": "What you delivered"})


class AnswerIn(StrictSchema):
    submission = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "The number of the submission you read: 409 if newer"},
    )


class ChangesIn(AnswerIn):
    changes = fields.String(required=True, metadata={"description": "What should change"})


# Timesheets ---------------------------------------------------------------------------


class TimeEntryIn(StrictSchema):
    work_date = fields.Date(required=True, metadata={"description": "In the current week"})
    hours = fields.Integer(strict=True, load_default=0)
    minutes = fields.Integer(strict=True, load_default=0)
    memo = fields.String(required=True, metadata={"description": "What you did"})


class TimeEntryOut(StrictSchema):
    id = fields.Integer(required=True)
    timesheet_id = fields.Integer(required=True)
    work_date = fields.Date(required=True)
    minutes = fields.Integer(required=True)
    memo = fields.String(required=True)
    dispute_reason = fields.String(allow_none=True, required=True)


class TimesheetOut(StrictSchema):
    id = fields.Integer(required=True)
    contract_id = fields.Integer(required=True)
    week_start = fields.Date(required=True, metadata={"description": "A Monday"})
    status = fields.String(required=True, validate=_one_of(TimesheetStatus))
    closes_at = fields.AwareDateTime(required=True)
    review_due_at = fields.AwareDateTime(allow_none=True, required=True)
    logged_minutes = fields.Integer(required=True)
    approved_minutes = fields.Integer(allow_none=True, required=True)
    amount_cents = fields.Integer(allow_none=True, required=True)
    fee_cents = fields.Integer(allow_none=True, required=True)


class TimesheetWithEntries(TimesheetOut):
    entries = fields.List(fields.Nested(TimeEntryOut), required=True)


class TimesheetPage(Paged):
    items = fields.List(fields.Nested(TimesheetOut), required=True)


class DisputeIn(StrictSchema):
    entry_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    reason = fields.String(required=True)


class ReviewIn(StrictSchema):
    disputes = fields.List(
        fields.Nested(DisputeIn),
        load_default=list,
        metadata={"description": "Entries not approved, each with why; none approves all"},
    )


# Messages -----------------------------------------------------------------------------


class PersonOut(StrictSchema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class MessageOut(StrictSchema):
    id = fields.Integer(required=True)
    conversation_id = fields.Integer(required=True)
    sender_id = fields.Integer(required=True)
    body = fields.String(required=True)
    attachment_count = fields.Method(
        "_attachments",
        required=True,
        metadata={"description": "Files sent with it: open the conversation on the site"},
    )
    created_at = fields.AwareDateTime(required=True)

    def _attachments(self, message) -> int:
        return len(message.attachments)


class ConversationOut(StrictSchema):
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    task_title = fields.String(required=True)
    other = fields.Nested(PersonOut, required=True)
    unread = fields.Integer(required=True)
    last_message_at = fields.AwareDateTime(allow_none=True, required=True)


class ConversationPage(Paged):
    items = fields.List(fields.Nested(ConversationOut), required=True)


class MessagePage(Paged):
    items = fields.List(fields.Nested(MessageOut), required=True)


class MessageIn(StrictSchema):
    body = fields.String(required=True)
