"""Community pages: thin views that validate a form, call a service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from community import permissions, selectors, services
from community.forms import (
    AnswerForm, CloseDuplicateForm, CommentForm, EditForm, FlagForm, JoinForm, LoginForm, QuestionForm, SignupForm,
)
from community.models import Post, Tag, Thread
from core.errors import NotAllowed, ServiceError
from core.ratelimit import TOO_MANY_REQUESTS, login_wait_seconds, rate_limited
from core.views import check_required, found_or_404, redirect_back, safe_next


def _form_error(form, exc: ServiceError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _visible_thread(request, thread_id: int) -> Thread:
    return found_or_404(selectors.thread_get_for_user(thread_id=thread_id, user=request.user), "No such question.")


def _visible_post(request, post_id: int) -> Post:
    return found_or_404(selectors.post_get_for_user(post_id=post_id, user=request.user), "No such post.")


def _denied(request, exc: NotAllowed, *, next_url: str):
    if exc.code == "not_authenticated":
        return redirect_to_login(next_url)
    messages.error(request, exc.message)
    return redirect(next_url)


@require_GET
def question_list(request, tag: str | None = None):
    sort = request.GET.get("sort", "newest")
    tag_obj = get_object_or_404(Tag, name=tag) if tag else None
    source = request.GET.get("source", "")
    threads = selectors.thread_list(
        sort=sort, tag=tag, source=source if source not in ("", "all") else None,
        community_only=source == "",
    )
    page = Paginator(threads, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "community/question_list.html",
        {"page": page, "sort": sort if sort in selectors.SORTS else "newest", "tag": tag_obj, "sorts": selectors.SORTS,
         "source": source, "sources": selectors.source_choices()},
    )


@require_GET
def tag_index(request):
    return render(request, "community/tag_index.html", {"tags": selectors.tag_list()})


def _question_page(request, thread: Thread, *, answer_form: AnswerForm, status: int = 200):
    """The question page. Every action it offers comes from the permission functions, per post."""
    user = request.user
    posts = selectors.thread_posts(thread=thread, user=user)
    for post in posts:
        post.can_edit = permissions.can_edit_post(user, post)
        post.can_comment = permissions.can_comment(user, post)
        post.can_flag = permissions.can_flag(user, post)
    return render(request, "community/question_detail.html", {
        "thread": thread,
        "question": next((p for p in posts if p.is_question), None),
        "answers": [p for p in posts if not p.is_question],
        "votes": selectors.user_votes(user=user, posts=posts),
        "answer_form": answer_form,
        "can_answer": permissions.can_answer(user, thread),
        "sign_in_to_answer": not user.is_authenticated and permissions.members_may_answer(thread),
        "can_accept": permissions.can_accept(user, thread),
        "can_moderate": permissions.can_moderate(user),
        "close_form": CloseDuplicateForm(),
    }, status=status)


def question_detail(request, thread_id: int):
    thread = _visible_thread(request, thread_id)
    if request.method == "GET":
        services.thread_view_record(thread=thread, session=request.session)
    return _question_page(request, thread, answer_form=AnswerForm())


def _with_title(url_name: str, title: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'title': title})}" if title else url


def question_ask(request):
    # Prefilled from the help center's "Ask the community" (``?title=``) or a search (``?q=``).
    title = (request.GET.get("title") or request.GET.get("q", ""))[:200]
    form = QuestionForm(request.POST or None, initial={"title": title})
    try:
        permissions.check_can_ask(request.user)
    except NotAllowed as exc:
        if exc.code in ("not_authenticated", "not_member") and permissions.can_join(request.user):
            # Not a member yet: one step to join (and sign up), then back here with the question kept.
            return redirect(_with_title("community:join", title))
        return _denied(request, exc, next_url=reverse("community:questions"))
    status = 200
    if request.method == "POST" and form.is_valid():
        if rate_limited(request, "post"):
            form.add_error(None, "You are posting too fast. Wait a few minutes and try again.")
            status = TOO_MANY_REQUESTS
        else:
            try:
                thread = services.question_create(author=request.user, **form.cleaned_data)
            except ServiceError as exc:
                _form_error(form, exc)
            else:
                if thread.status == Thread.Status.PENDING:
                    messages.info(request, "Thanks! New members' first posts are checked by a moderator before they appear.")
                return redirect(thread)
    return render(request, "community/ask.html", {"form": form, "known_tags": Tag.objects.all()[:60]}, status=status)


@login_required
@require_POST
def answer_create(request, thread_id: int):
    thread = _visible_thread(request, thread_id)
    form = AnswerForm(request.POST)
    try:
        permissions.check_can_answer(request.user, thread)
    except NotAllowed as exc:
        return _denied(request, exc, next_url=thread.get_absolute_url())
    status = 400
    if form.is_valid():
        if rate_limited(request, "post"):
            form.add_error(None, "You are posting too fast. Wait a few minutes and try again.")
            status = TOO_MANY_REQUESTS
        else:
            try:
                post = services.answer_create(author=request.user, thread=thread, body=form.cleaned_data["body"])
            except ServiceError as exc:
                _form_error(form, exc)
            else:
                if post.status == Thread.Status.PENDING:
                    messages.info(request, "Thanks! Your answer will appear once a moderator has checked it.")
                return redirect(f"{thread.get_absolute_url()}#post-{post.pk}")
    return _question_page(request, thread, answer_form=form, status=status)


@require_POST
def vote(request, post_id: int):
    post = _visible_post(request, post_id)
    value = {"up": 1, "down": -1}.get(request.POST.get("direction", ""))
    error, error_code, status = "", "", 200
    try:
        permissions.check_can_vote(request.user, post)
        if value is None:
            raise ServiceError("Choose up or down.")
        if rate_limited(request, "vote"):
            status = TOO_MANY_REQUESTS
            raise ServiceError("You are voting too fast. Wait a minute.")
        services.vote_cast(user=request.user, post=post, value=value)
    except ServiceError as exc:
        error, error_code = exc.message, exc.code
    post.refresh_from_db(fields=["score", "local_score", "total_score"])
    if request.htmx:
        votes = selectors.user_votes(user=request.user, posts=[post])
        return render(request, "community/_vote.html", {"post": post, "votes": votes, "vote_error": error,
                                                        "can_join": error_code == "not_member"}, status=status)
    if error:
        messages.error(request, error)
    if status == TOO_MANY_REQUESTS:
        return _question_page(request, post.thread, answer_form=AnswerForm(), status=status)
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def accept(request, post_id: int):
    post = _visible_post(request, post_id)
    try:
        permissions.check_can_accept(request.user, post.thread)
        services.answer_accept(user=request.user, post=post)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Answer accepted. Thanks for closing the loop!")
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def comment_create(request, post_id: int):
    post = _visible_post(request, post_id)
    form = CommentForm(request.POST)
    try:
        permissions.check_can_comment(request.user, post)
        if not form.is_valid():
            raise ServiceError(" ".join(e for errs in form.errors.values() for e in errs))
        if rate_limited(request, "post"):
            messages.error(request, "You are posting too fast. Wait a few minutes.")
            return _question_page(request, post.thread, answer_form=AnswerForm(), status=TOO_MANY_REQUESTS)
        services.comment_create(author=request.user, post=post, body=form.cleaned_data["body"])
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(post.get_absolute_url())


@login_required
def post_edit(request, post_id: int):
    post = _visible_post(request, post_id)
    try:
        permissions.check_can_edit_post(request.user, post)
    except NotAllowed as exc:
        return _denied(request, exc, next_url=post.get_absolute_url())
    thread = post.thread
    initial = {"body": post.body, "title": thread.title, "tags": " ".join(thread.tags.values_list("name", flat=True))}
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.post_edit(
                editor=request.user,
                post=post,
                body=data["body"],
                title=data["title"] if post.is_question else None,
                tags=data["tags"] if post.is_question else None,
                reason=data["reason"],
            )
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Saved. The previous version is kept in the history.")
            return redirect(post.get_absolute_url())
    return render(request, "community/edit.html", {"form": form, "post": post, "thread": thread})


@require_GET
def post_history(request, post_id: int):
    post = _visible_post(request, post_id)
    return render(request, "community/history.html", {"post": post, "revisions": post.revisions.select_related("editor")})


@login_required
def post_flag(request, post_id: int):
    post = _visible_post(request, post_id)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            permissions.check_can_flag(request.user, post)
            duplicate_of = None
            if data.get("duplicate_of"):
                duplicate_of = selectors.thread_get_for_user(thread_id=data["duplicate_of"], user=request.user)
                if duplicate_of is None:
                    raise ServiceError(f"There is no question #{data['duplicate_of']}.", field="duplicate_of")
            services.flag_create(
                user=request.user, post=post, reason=data["reason"], duplicate_of=duplicate_of, note=data["note"]
            )
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Thanks, a moderator will look at it.")
            return redirect(post.get_absolute_url())
    return render(request, "community/flag.html", {"form": form, "post": post})


def signup(request):
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if rate_limited(request, "signup"):
            form.add_error(None, "Too many sign-ups from your network. Try again later.")
            status = TOO_MANY_REQUESTS
        else:
            try:
                user = services.user_signup(**form.cleaned_data)
            except ServiceError as exc:
                _form_error(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome, {user.public_name}!")
                return redirect(safe_next(request, request.GET.get("next", ""), "community:questions"))
    return render(request, "community/signup.html", {"form": form}, status=status)


def join(request):
    """Join the community: accept the rules, pick a display name (an anonymous visitor signs up in the
    same step), then land on the ask form with the question already typed."""
    try:
        permissions.check_can_join(request.user)
    except NotAllowed:
        return redirect(_with_title("community:ask", request.GET.get("title", "")[:200]))
    signed_in = request.user.is_authenticated
    initial = {"title": request.GET.get("title", "")[:200],
               "display_name": request.user.public_name if signed_in else ""}
    form = JoinForm(request.POST or None, initial=initial, signed_in=signed_in)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not signed_in and rate_limited(request, "signup"):
            form.add_error(None, "Too many sign-ups from your network. Try again later.")
        else:
            try:
                if signed_in:
                    user = services.member_join(user=request.user, display_name=data["display_name"],
                                                accept_rules=data["accept_rules"])
                else:
                    user = services.user_join(username=data["username"], email=data["email"],
                                              password=data["password"], display_name=data["display_name"],
                                              accept_rules=data["accept_rules"])
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            except ServiceError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"Welcome to the community, {user.public_name}! Ask away.")
                return redirect(_with_title("community:ask", data["title"]))
    title = form["title"].value() or ""
    return render(request, "community/join.html", {
        "form": form, "signed_in": signed_in,
        "login_url": f"{reverse('community:login')}?{urlencode({'next': _with_title('community:ask', title)})}",
    }, status=400 if request.method == "POST" else 200)


class SignInView(LoginView):
    template_name = "community/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = TOO_MANY_REQUESTS
            response["Retry-After"] = str(login_wait_seconds())
        return response


class SignOutView(LogoutView):
    pass


@require_GET
def profile(request, username: str):
    user = selectors.profile_get(username=username)
    if user is None:
        raise Http404("No such member.")
    return render(request, "community/profile.html", {"member": user, **selectors.profile_activity(user=user)})


@check_required(permissions.check_can_moderate)
def moderation_queue(request):
    return render(request, "community/moderation.html", selectors.moderation_queue())


@check_required(permissions.check_can_moderate)
@require_GET
def close_duplicate_confirm(request, post_id: int):
    """Show both questions before closing one as a duplicate of the other, and advise the
    direction (the older or better-answered question stays open)."""
    post = get_object_or_404(Post.objects.select_related("thread__source"), pk=post_id, is_question=True)
    form = CloseDuplicateForm(request.GET)
    original = Thread.objects.select_related("source").filter(pk=form.cleaned_data["original"]).first() \
        if form.is_valid() else None
    if original is None or original.pk == post.thread_id:
        messages.error(request, "Give the number of another question to close this one as a duplicate of.")
        return redirect(post.thread.get_absolute_url())
    choice = selectors.duplicate_choice(thread=post.thread, original=original)
    return render(request, "community/close_duplicate.html", {
        "choice": choice, "post": post, "original_question": original.posts.filter(is_question=True).first(),
    })


@check_required(permissions.check_can_moderate)
@require_POST
def moderate(request, post_id: int):
    """One endpoint for the queue's buttons: hide, restore, approve, reject, lock, unlock, reopen, close."""
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    action = request.POST.get("action", "")
    form = CloseDuplicateForm(request.POST)
    original_id = form.cleaned_data["original"] if form.is_valid() else None
    if action == "close_duplicate" and original_id and request.POST.get("confirm") != "1":
        # One click must not close a question: show both and ask first.
        return redirect(f"{reverse('community:close_duplicate', args=[post.pk])}?original={original_id}")
    try:
        services.post_moderate(moderator=request.user, post=post, action=action, original_id=original_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Done: {action.replace('_', ' ')}.")
    return redirect_back(request, "community:moderation")
