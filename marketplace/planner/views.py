"""The planner's pages: the audit and the plan (public), the intake and the post (owners)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_login import current_user, user_logged_in

from ..accounts.views import AFTER_SIGNUP
from ..config import settings
from ..contracts import services as contracts
from ..db import get_session
from ..errors import Invalid, RateLimited
from ..filters import format_money
from ..forms import has_errors, show_error, timezone_choices
from ..jobs import enqueue_after_commit
from ..tasks import post_limits
from ..tasks import services as task_services
from ..tasks.forms import TaskForm
from ..tasks.models import Category
from . import services
from .catalogue import BY_KEY, CATALOGUE, nearest
from .figures import (
    WEEKS_PER_MONTH_TEXT,
    StandIn,
    chart,
    figures_for,
    totals,
    weekly_hours,
)
from .forms import audit_form_class, intake_form_class
from .market import fits_by_key, pricing_key, summarise
from .models import Period
from .roi import Work, task_roi

bp = Blueprint("planner", __name__)
MAX_CUSTOM_ROWS = 10


def _viewer():
    return current_user if current_user.is_authenticated and current_user.is_owner else None


def _plan(session):
    if current_user.is_authenticated and not current_user.is_owner:
        abort(403, description="The planner is for business owners.")
    return services.find_plan(session, _viewer(), browser_session.get(services.SESSION_KEY))


def _audit_form(plan, formdata=None):
    custom = [i for i in plan.items if i.catalogue_key is None] if plan else []
    form = audit_form_class(min(MAX_CUSTOM_ROWS, len(custom) + 2))(formdata=formdata)
    if formdata is None:
        zone = (
            plan.timezone
            if plan
            else (current_user.timezone if current_user.is_authenticated else "UTC")
        )
        form.timezone.data = zone
        if plan:
            form.hourly_worth.data = plan.hourly_worth_cents
            form.currency.data = plan.currency
            for item in plan.items:
                if item.catalogue_key in BY_KEY:
                    form[f"hours_{item.catalogue_key}"].data = item.hours
                    form[f"period_{item.catalogue_key}"].data = item.period.value
            for n, item in enumerate(custom[:MAX_CUSTOM_ROWS]):
                form[f"custom_label_{n}"].data = item.label
                form[f"custom_category_{n}"].data = item.category.value
                form[f"custom_skills_{n}"].data = item.skill_list
                form[f"custom_hours_{n}"].data = item.hours
                form[f"custom_period_{n}"].data = item.period.value
                form[f"custom_judgement_{n}"].data = item.needs_judgement
    return form


def _plan_input(form) -> services.PlanInput:
    items = []
    for entry, hours, period in form.catalogue_rows():
        if hours.data:
            items.append(
                services.ItemInput(
                    entry.key,
                    entry.label,
                    entry.category,
                    list(entry.skills),
                    False,
                    hours.data,
                    Period(period.data),
                )
            )
    for row in form.custom_rows():
        label = (row["label"].data or "").strip()
        if not label and not row["hours"].data:
            continue
        if not label:
            raise Invalid("Say what this is.", row["label"].name)
        if not row["hours"].data:
            raise Invalid("How many hours does it take?", row["hours"].name)
        skills = row["skills"].data or [label]
        items.append(
            services.ItemInput(
                None,
                label,
                Category(row["category"].data),
                skills,
                bool(row["judgement"].data),
                row["hours"].data,
                Period(row["period"].data),
            )
        )
    return services.PlanInput(form.worth_cents(), form.currency.data, form.timezone.data, items)


def plan_rows(session, plan):
    """Every item's figures, best to delegate first."""
    if plan is None or not plan.items:
        return []
    fee_bps = settings().platform_fee_bps
    near = {i.id: nearest(i.label, i.skill_list, i.category) for i in plan.items if i.being_priced}
    keys = {pricing_key(i) for i in plan.items} | {n[0].key for n in near.values() if n}
    fits = fits_by_key(session, keys)
    rows = []
    for item in plan.items:
        hours = weekly_hours(item.hours, item.period)
        market = (
            None if item.being_priced else summarise(fits[pricing_key(item)], plan.currency, hours)
        )
        row = figures_for(
            item, market, plan.hourly_worth_cents, fee_bps, services.judgement_of(item)
        )
        if near.get(item.id):
            similar = near[item.id][0]
            row.stand_in = StandIn(
                similar.label, summarise(fits[similar.key], plan.currency, hours)
            )
        rows.append(row)
    rows.sort(key=lambda r: (-r.score, r.item.position))
    return rows


@bp.route("/plan", methods=["GET", "POST"])
def plan_page():
    session = get_session()
    plan = _plan(session)
    form = _audit_form(plan, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            data = _plan_input(form)
            if plan is None:
                plan = services.Plan(owner_id=_viewer().id if _viewer() else None)
                if plan.owner_id is None:
                    token = (
                        browser_session.get(services.SESSION_KEY) or services.new_visitor_token()
                    )
                    plan.visitor_token = token
            services.save_plan(session, plan, data)
        except Invalid as exc:
            session.rollback()
            show_error(form, exc)
        else:
            enqueue_after_commit(session, "planner.price_plan", plan.id)
            session.commit()
            if plan.visitor_token:
                browser_session[services.SESSION_KEY] = plan.visitor_token
            flash("Your plan is saved.", "success")
            return redirect(url_for("planner.plan_page") + "#plan")
    status = 422 if has_errors(form) or getattr(form, "form_errors", None) else 200
    return _page(session, plan, form), status


def _page(session, plan, form):
    rows = plan_rows(session, plan)
    currency = plan.currency if plan else "USD"
    bars, height = chart(rows, lambda c: format_money(c, currency))
    return render_template(
        "planner/plan.html",
        form=form,
        plan=plan,
        rows=rows,
        delegated=contracts.working_on_each(
            session, [r.item.task_id for r in rows if r.item.task_id]
        ),
        totals=totals(rows),
        bars=bars,
        chart_height=height,
        zones=timezone_choices(),
        catalogue=CATALOGUE,
        fee_percent=settings().platform_fee_bps / 100,
        conversion=WEEKS_PER_MONTH_TEXT,
        min_fits=settings().planner_min_fits,
    )


def _ids() -> list[int]:
    raw = [part for value in request.values.getlist("items") for part in value.split(",")]
    try:
        return [int(v) for v in raw if v.strip()]
    except ValueError:
        abort(404)


@bp.post("/plan/delegate")
def choose():
    """The items ticked on the plan go to the intake (visitors are asked to sign in first)."""
    ids = _ids()
    if not ids:
        flash("Tick the items you want to hand off.", "error")
        return redirect(url_for("planner.plan_page") + "#plan")
    return redirect(url_for("planner.intake", items=",".join(map(str, ids))))


def _chosen(session):
    plan = _plan(session)
    return plan, services.chosen_items(plan, _ids())


def _markets(session, plan, items):
    fits = fits_by_key(session, {pricing_key(i) for i in items})
    return {
        i.id: summarise(fits[pricing_key(i)], plan.currency, weekly_hours(i.hours, i.period))
        for i in items
    }


@bp.route("/plan/intake", methods=["GET", "POST"])
def intake():
    session = get_session()
    if not current_user.is_authenticated:
        plan, items = _chosen(session)  # 404 for items that are not this browser's
        browser_session[AFTER_SIGNUP] = request.full_path
        return render_template(
            "planner/sign_in_first.html", items=items, next_url=request.full_path
        )
    plan, items = _chosen(session)
    form = intake_form_class(tuple(i.id for i in items))()
    markets = _markets(session, plan, items)
    if form.validate_on_submit():
        try:
            briefs = _briefs(form, items)
            if form.cadence.data == "one_off" and not form.one_off_hours.data:
                raise Invalid("Estimate how many hours this one-off takes.", "one_off_hours")
        except Invalid as exc:
            show_error(form, exc)
        else:
            data = services.draft_task(
                plan,
                briefs,
                markets,
                recurring=form.cadence.data == "recurring",
                one_off_hours=form.one_off_hours.data,
            )
            task_form = TaskForm(formdata=None, data=data)
            return _draft_page(session, task_form, items)
    status = 422 if has_errors(form) else 200
    return render_template("planner/intake.html", form=form, items=items, markets=markets), status


def _briefs(form, items) -> list[services.ItemBrief]:
    briefs = []
    for item in items:
        f = form.item_fields(item.id)
        for name in ("outcome", "tools", "done", "steps"):
            services.refuse_secrets(f[name].data, f[name].name)
        steps = [s.strip(" -•\t") for s in (f["steps"].data or "").splitlines()]
        briefs.append(
            services.ItemBrief(
                item,
                f["outcome"].data,
                f["tools"].data or "",
                f["done"].data,
                [s for s in steps if s],
            )
        )
    return briefs


def _draft_page(session, task_form, items, status=200):
    return render_template(
        "planner/draft.html",
        form=task_form,
        items=items,
        roi=task_roi(session, current_user, Work.of_form(task_form), []),
        zones=timezone_choices(),
        action=url_for("planner.post", items=",".join(str(i.id) for i in items)),
    ), status


@bp.post("/plan/post")
def post():
    """Post the reviewed draft through the task service, as /tasks/new does."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=url_for("planner.plan_page")))
    if not current_user.is_owner:
        abort(403, description="The planner is for business owners.")
    session = get_session()
    plan, items = _chosen(session)
    form = TaskForm()
    if form.validate_on_submit():
        try:
            services.refuse_secrets(form.description.data, "description")
            limits = post_limits.parse_limits(settings().task_post_limits)
            post_limits.check_allowance(session, current_user, limits)
            task = task_services.post_task(session, current_user, form.to_input())
        except RateLimited as exc:
            session.rollback()
            form.form_errors.append(exc.message)
            return _draft_page(session, form, items, status=429)
        except Invalid as exc:
            show_error(form, exc)
        else:
            services.mark_posted(items, task.id)
            enqueue_after_commit(session, "matches.match_task", task.id)
            session.commit()
            flash("Your task is posted.", "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return _draft_page(session, form, items, status=422)


def _claim_on_login(app, user, **_extra) -> None:
    """Log-in and sign-up both end in login_user(): the browser's plan moves in there."""
    token = browser_session.get(services.SESSION_KEY)
    if not token:
        return
    session = get_session()
    if services.claim_visitor_plan(session, user, token) is not None:
        session.commit()
    if user.is_owner:
        browser_session.pop(services.SESSION_KEY, None)


def init_app(app) -> None:
    app.register_blueprint(bp)
    user_logged_in.connect(_claim_on_login, app)
