"""Readers' pages: sign up, confirm, preferences and unsubscribe. The logic is in signup.py
and preferences.py; the links are the credentials (tokens.py), never a session."""

from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import preferences as prefs
from . import signup as signups
from . import tokens
from .forms import PreferencesForm, SignupForm
from .models import Edition, EditionLink, Newsletter


def _signup_page(request, form, status=200):
    return render(request, "newsletters/signup.html",
                  {"form": form, "newsletters": Newsletter.objects.filter(active=True)},
                  status=status)


@require_http_methods(["GET"])
def index(request):
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    return _signup_page(request, SignupForm(initial=initial))


def _account_of(request):
    """The signed-in reader a sign-up may be linked to: only if the post passed the CSRF
    check, which the view itself is exempt from (see signup)."""
    if not request.user.is_authenticated:
        return None
    # The middleware's own check, run by hand: None when it would have let the post through
    # (a 403 page, which is only logged, otherwise).
    refused = CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {})
    return request.user if refused is None else None


# Exempt from CSRF: the form is also on story and section pages, which the page cache and the
# fragments share between readers, so it cannot carry a reader's token (a token would set a
# cookie, and a page setting a cookie is never shared). A forged post can do no more than a
# stranger typing the address in: nothing is subscribed until the e-mailed link is used, and
# a second mail within minutes is not sent. What a forged post must not do is tie the
# sign-up to the account of a reader tricked into sending it, so that happens only when the
# post passes the CSRF check (pages for one reader carry the token: _account_of).
@csrf_exempt
@require_http_methods(["POST"])
def signup(request):
    form = SignupForm(request.POST)
    if not form.is_valid():
        return _signup_page(request, form, status=400)
    user = _account_of(request)
    signups.request_signup(form.cleaned_data["email"], list(form.cleaned_data["newsletters"]),
                           user)
    # The same answer whether a mail went or not (suppressed, or sent minutes ago).
    return render(request, "newsletters/check_inbox.html",
                  {"email": form.cleaned_data["email"]})


_STATUS = {signups.Outcome.CONFIRMED: 200, signups.Outcome.USED: 410,
           signups.Outcome.EXPIRED: 410, signups.Outcome.INVALID: 404}


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows a button and changes nothing: mail scanners that fetch every link must not
    use up the single-use link; the reader's POST confirms."""
    if request.method == "POST":
        outcome, subscriber = signups.confirm(token)
        done = outcome is signups.Outcome.CONFIRMED
    else:
        (outcome, _), subscriber, done = signups.check(token), None, False
    context = {"outcome": outcome.value, "done": done, "token": token,
               "preferences_url": prefs.preferences_url(subscriber) if subscriber else None}
    return render(request, "newsletters/confirm.html", context, status=_STATUS[outcome])


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    subscriber = tokens.subscriber_of(token)
    if subscriber is None:
        return render(request, "newsletters/invalid_link.html", status=404)
    saved = None
    if request.method == "POST":
        if "everything" in request.POST:
            prefs.unsubscribe_everything(subscriber)
            saved = "everything"
            form = PreferencesForm(initial={"newsletters": []})
        else:
            form = PreferencesForm(request.POST)
            if form.is_valid():
                prefs.choose(subscriber, list(form.cleaned_data["newsletters"]))
                saved = "chosen"
    if request.method == "GET" or saved == "chosen":
        form = PreferencesForm(initial={"newsletters": list(
            subscriber.subscriptions.values_list("newsletter_id", flat=True))})
    return render(request, "newsletters/preferences.html",
                  {"form": form, "subscriber": subscriber, "saved": saved})


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie or
# token of ours; the signed link itself is the credential.
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    target = tokens.unsubscribe_target(token)
    if target is None:
        return render(request, "newsletters/invalid_link.html", status=404)
    subscriber, newsletter = target
    if request.method == "POST":
        prefs.unsubscribe(subscriber, newsletter)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed.", content_type="text/plain")
    return render(request, "newsletters/unsubscribe.html", {
        "newsletter": newsletter, "done": request.method == "POST",
        "preferences_url": prefs.preferences_url(subscriber)})


# One transparent pixel: what a tracked edition's e-mail loads when a reader opens it.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
         b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


@never_cache
@require_http_methods(["GET", "HEAD"])
def opened(request, token: str):
    """Counts an open of the edition (one number per send; nothing about who)."""
    edition_id = tokens.edition_opened(token)
    if edition_id is not None and request.method == "GET":
        Edition.objects.filter(pk=edition_id, tracked=True).update(opens=F("opens") + 1)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_http_methods(["GET", "HEAD"])
def click(request, token: str):
    """Counts a click on the link and goes on to it. The address is the stored one, never
    taken from the request, so this is no open redirect."""
    link = EditionLink.objects.filter(pk=tokens.link_of(token) or 0).first()
    if link is None:
        raise Http404("no such link")
    if request.method == "GET":
        EditionLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return HttpResponseRedirect(link.url)
