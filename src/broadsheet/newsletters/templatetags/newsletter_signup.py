"""`{% newsletter_signup_form %}`: the compact sign-up form for pages of other apps that are
made for one reader (the account page), which cannot import this feature. Story and section
pages get the same form from their assembly (pages/signup.py), where it can be cached."""

from django import template

from broadsheet.newsletters.offer import offered_newsletters

register = template.Library()


@register.inclusion_tag("newsletters/signup_form.html", takes_context=True)
def newsletter_signup_form(context) -> dict:
    user = context.get("user")
    email = user.email if user is not None and user.is_authenticated else ""
    # A page for one reader carries their CSRF token (the inclusion tag passes it on), so
    # the sign-up is linked to their account.
    return {"signup_newsletters": offered_newsletters(), "signup_with_token": True,
            "signup_email": email}
