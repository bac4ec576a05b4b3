"""Every role against every admin action, through the real admin URLs with CSRF enforced.

The table below is the contract: one row per action, one column per role, "yes" where the
role may do it. Each case logs in as that role, fetches the CSRF token the way a browser
would, performs the action as the admin's own forms post it, and then asks the database
whether it happened. A refused action must also leave the whole newsroom as it was (pages,
pictures, comments, accounts, settings, redirects, workflows), so a refusal that answers
"no" after doing half the work still fails.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from broadsheet.publishing.roles import ADMINS, EDITORS, MODERATORS, WRITERS

ROLES = ("anonymous", "reader", "writer", "editor", "moderator", "admin")

# Who may do what. "reader" is a signed-up commenter with no staff rights; "admin" is a
# superuser. Anonymous visitors and readers never get past the admin's login page.
MATRIX = """
action                       anonymous reader writer editor moderator admin
publish                      no        no     no     yes    no        yes
bulk_publish                 no        no     no     yes    no        yes
approve_review               no        no     no     yes    no        yes
submit_for_review            no        no     yes    yes    no        yes
unpublish                    no        no     no     yes    no        yes
unschedule                   no        no     no     yes    no        yes
password_protect             no        no     no     yes    no        yes
move_live_story              no        no     no     yes    no        yes
move_others_draft            no        no     no     yes    no        yes
bulk_move_others_draft       no        no     no     yes    no        yes
move_own_draft               no        no     yes    yes    no        yes
copy_and_publish             no        no     no     yes    no        yes
alias_live_story             no        no     no     yes    no        yes
delete_own_draft             no        no     yes    yes    no        yes
delete_others_draft          no        no     no     yes    no        yes
delete_others_scheduled      no        no     no     yes    no        yes
delete_own_scheduled         no        no     no     yes    no        yes
move_own_scheduled           no        no     no     yes    no        yes
bulk_delete_others_draft     no        no     no     yes    no        yes
see_unpublished_headlines    no        no     yes    yes    no        yes
upload_image                 no        no     yes    yes    no        yes
edit_others_image            no        no     no     yes    no        yes
delete_own_image             no        no     yes    yes    no        yes
delete_others_image          no        no     no     yes    no        yes
delete_image_in_use          no        no     no     no     no        no
replace_own_image_in_use     no        no     no     yes    no        yes
delete_own_site_icon         no        no     no     no     no        yes
delete_own_author_photo      no        no     no     yes    no        yes
upload_document              no        no     yes    yes    no        yes
delete_own_document          no        no     yes    yes    no        yes
delete_others_document       no        no     no     yes    no        yes
moderate_comment             no        no     no     no     yes       yes
reject_comment_in_editor     no        no     no     no     yes       yes
ban_commenter                no        no     no     no     yes       yes
hard_delete_comment          no        no     no     no     no        yes
comment_rules                no        no     no     no     yes       yes
readership_dashboard         no        no     no     yes    no        yes
readership_csv               no        no     no     yes    no        yes
add_user                     no        no     no     no     no        yes
promote_user                 no        no     no     no     no        yes
delete_group                 no        no     no     no     no        yes
masthead_settings            no        no     no     no     no        yes
spotlight_settings           no        no     no     yes    no        yes
add_author                   no        no     no     yes    no        yes
add_redirect                 no        no     no     no     no        yes
delete_redirect              no        no     no     no     no        yes
import_redirects             no        no     no     no     no        yes
disable_review_workflow      no        no     no     no     no        yes
"""
# Story imports (ninjs, WordPress, NewsML, feeds) are command-line only (`broadsheet import`):
# no admin URL accepts one, which test_no_admin_url_imports_stories checks.


def _table(text: str) -> dict[str, dict[str, bool]]:
    header, *rows = [line.split() for line in text.strip().splitlines()]
    assert tuple(header[1:]) == ROLES
    table = {}
    for name, *cells in rows:
        assert len(cells) == len(ROLES) and set(cells) <= {"yes", "no"}, name
        table[name] = dict(zip(ROLES, (c == "yes" for c in cells), strict=True))
    return table


EXPECTED = _table(MATRIX)
ACTIONS = {}


def action(fn):
    ACTIONS[fn.__name__] = fn
    return fn


# The newsroom each case runs in ---------------------------------------------------------

def _png(title: str, owner):
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (30, 80, 120)).save(buffer, "PNG")
    return get_image_model().objects.create(title=title, uploaded_by_user=owner,
                                            file=ImageFile(buffer, name="m.png"))


def _png_upload(name="new.png"):
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 80, 20)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _token(html: str) -> str | None:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else None


class Newsroom:
    """Writer A (the Writer column's user), writer B, and the things the actions touch. Each
    is made on first use, so a case pays only for what its action needs."""

    def __init__(self, role, home, make_story, users):
        self.role, self.home, self._make_story = role, home, make_story
        self.users = users
        self.actor = None if role == "anonymous" else users[role]
        self.writer_b = users["writer_b"]
        self.client = Client(enforce_csrf_checks=True)
        if self.actor is not None:
            self.client.force_login(self.actor)
        self.responses = []
        self.before = None
        # Set by actions whose refusal still leaves a draft, as a Writer's copy does.
        self.new_drafts_are_fine = False
        self._cache = {}

    def once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # Objects -------------------------------------------------------------------------

    def story(self, title, *, owner, publish=False, **fields):
        story = self._make_story(self.world, title, publish=publish, **fields)
        type(story).objects.filter(pk=story.pk).update(owner=owner)
        story.refresh_from_db()
        return story

    @property
    def others_draft(self):
        return self.once("others_draft", lambda: self.story("Writer B's draft",
                                                            owner=self.writer_b))

    @property
    def own_draft(self):
        # Anonymous visitors own nothing; the draft is then someone's, as refused either way.
        owner = self.actor or self.users["writer"]
        return self.once("own_draft", lambda: self.story("My own draft", owner=owner))

    @property
    def live_story(self):
        return self.once("live", lambda: self.story("A live story", owner=self.writer_b,
                                                    publish=True))

    @property
    def scheduled(self):
        return self.once("scheduled", lambda: self._scheduled(self.writer_b))

    @property
    def own_scheduled(self):
        return self.once("own_scheduled",
                         lambda: self._scheduled(self.actor or self.users["writer"]))

    def _scheduled(self, owner):
        # Scheduled by an editor: the revision is approved to go live tomorrow.
        story = self.story("A scheduled story", owner=owner)
        story.go_live_at = timezone.now() + timedelta(days=1)
        story.save_revision(user=self.users["editor"]).publish(user=self.users["editor"])
        story.refresh_from_db()
        assert not story.live and story.scheduled_revision is not None
        return story

    def _desk(self, title):
        from broadsheet.sections.models import SectionPage

        # Live sections with no revision history: nothing here looks at a section's revisions,
        # and publishing one through Wagtail costs more than the rest of a case.
        self.home.refresh_from_db()
        return self.home.add_child(instance=SectionPage(title=title, slug=title.lower()))

    @property
    def world(self):
        return self.once("world", lambda: self._desk("World"))

    @property
    def business(self):
        return self.once("business", lambda: self._desk("Business"))

    @property
    def picture_in_use(self):
        def make():
            image = _png("Shown on a live story", self.writer_b)
            self.story("Story with a picture", owner=self.writer_b, publish=True,
                       hero_image=image, hero_alt="A quay at dusk")
            return image
        return self.once("picture_in_use", make)

    @property
    def own_picture_in_use(self):
        def make():
            image = _png("My picture on a live story", self.actor or self.users["writer"])
            self.story("Story with my picture", owner=self.writer_b, publish=True,
                       hero_image=image, hero_alt="A quay at dawn")
            return image
        return self.once("own_picture_in_use", make)

    @property
    def own_site_icon(self):
        from broadsheet.masthead.models import Masthead

        def make():
            image = _png("My picture as the site icon", self.actor or self.users["writer"])
            masthead = Masthead.for_site(self.home.get_site())
            masthead.site_icon = image
            masthead.save()
            return image
        return self.once("own_site_icon", make)

    @property
    def own_author_photo(self):
        from broadsheet.people.models import Author

        def make():
            image = _png("My picture as an author's photo", self.actor or self.users["writer"])
            Author.objects.create(name="Ida Tarbell", slug="ida-tarbell", photo=image)
            return image
        return self.once("own_author_photo", make)

    @property
    def others_picture(self):
        return self.once("others_picture", lambda: _png("Writer B's unused", self.writer_b))

    @property
    def own_picture(self):
        return self.once("own_picture", lambda: _png("My own upload",
                                                     self.actor or self.users["writer"]))

    @property
    def others_document(self):
        from wagtail.documents import get_document_model

        return self.once("document", lambda: get_document_model().objects.create(
            title="Writer B's report", uploaded_by_user=self.writer_b,
            file=ContentFile(b"%PDF-1.4 a report", name="report.pdf")))

    @property
    def own_document(self):
        from wagtail.documents import get_document_model

        return self.once("own_document", lambda: get_document_model().objects.create(
            title="My own notes", uploaded_by_user=self.actor or self.users["writer"],
            file=ContentFile(b"%PDF-1.4 notes", name="notes.pdf")))

    @property
    def commenter(self):
        return self.users["commenter"]

    @property
    def pending_comment(self):
        from broadsheet.comments.models import Comment

        return self.once("comment", lambda: Comment.objects.create(
            story=self.live_story, author=self.commenter, body="Please approve me",
            status=Comment.Status.PENDING))

    @property
    def redirect(self):
        from wagtail.contrib.redirects.models import Redirect

        return self.once("redirect", lambda: Redirect.objects.create(
            old_path="/old-address", redirect_link="/world/"))

    # Requests, as a browser with the admin open would make them ---------------------

    def _first_request(self):
        # What a refused action must leave as it was: taken once the objects the action
        # needs exist, before it sends anything.
        if self.before is None:
            self.before = newsroom_state()

    def get(self, url, **query):
        self._first_request()
        response = self.client.get(url, query)
        self.responses.append(response)
        return response

    def post(self, url, data=None, **extra):
        self._first_request()
        response = self.client.post(url, {**(data or {}), "csrfmiddlewaretoken": self.token},
                                    **extra)
        # A refusal must come from the permission rules: a CSRF failure here would make every
        # "refused" case pass without testing anything.
        assert b"CSRF verification failed" not in response.content, url
        assert response.status_code != 500, url
        self.responses.append(response)
        return response

    @property
    def token(self) -> str:
        """The CSRF token from a form every visitor, signed in or not, is shown: the admin's
        password reset. (test_csrf_is_enforced_on_admin_actions shows that a form page's
        own token is the one that works, and that none or another session's is refused.)"""
        if "token" not in self._cache:
            page = self.client.get(reverse("wagtailadmin_password_reset"))
            self._cache["token"] = _token(page.content.decode())
            assert self._cache["token"], page.status_code
        return self._cache["token"]


# Page actions ---------------------------------------------------------------------------

EDIT_FORM = {"body-count": "0", "bylines-TOTAL_FORMS": "0", "bylines-INITIAL_FORMS": "0",
             "corrections-TOTAL_FORMS": "0", "corrections-INITIAL_FORMS": "0",
             "comments": "open", "language": "en"}


def _edit(n: Newsroom, story, button: str):
    return n.post(reverse("wagtailadmin_pages:edit", args=[story.pk]),
                  {**EDIT_FORM, "title": story.title, "slug": story.slug, "dek": story.dek,
                   button: "1"})


def _live(page) -> bool:
    page.refresh_from_db()
    return page.live


@action
def publish(n):
    story = n.others_draft
    _edit(n, story, "action-publish")
    return _live(story)


@action
def bulk_publish(n):
    story = n.others_draft
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    n.post(f"{url}?id={story.pk}")
    return _live(story)


@action
def approve_review(n):
    story = n.others_draft
    workflow = story.get_workflow()
    state = workflow.start(story, n.writer_b)
    task_state = state.current_task_state
    n.post(reverse("wagtailadmin_pages:workflow_action",
                   args=[story.pk, "approve", task_state.pk]),
           {"comment": ""})
    return _live(story)


@action
def submit_for_review(n):
    from wagtail.models import WorkflowState

    story = n.own_draft
    _edit(n, story, "action-submit")
    return WorkflowState.objects.filter(base_content_type__isnull=False,
                                        object_id=str(story.pk),
                                        status=WorkflowState.STATUS_IN_PROGRESS).exists()


@action
def unpublish(n):
    story = n.live_story
    n.post(reverse("wagtailadmin_pages:unpublish", args=[story.pk]))
    return not _live(story)


@action
def unschedule(n):
    story = n.scheduled
    revision = story.scheduled_revision
    n.post(reverse("wagtailadmin_pages:revisions_unschedule", args=[story.pk, revision.pk]))
    revision.refresh_from_db()
    return revision.approved_go_live_at is None


@action
def password_protect(n):
    # A password on a live story takes it from readers as surely as unpublishing it.
    from wagtail.models import PageViewRestriction

    story = n.live_story
    n.post(reverse("wagtailadmin_pages:set_privacy", args=[story.pk]),
           {"restriction_type": "password", "password": "hunter2-hunter2"})
    return PageViewRestriction.objects.filter(page=story).exists()


def _move(n, story, destination):
    n.post(reverse("wagtailadmin_pages:move_confirm", args=[story.pk, destination.pk]))
    story.refresh_from_db()
    return story.get_parent().pk == destination.pk


@action
def move_live_story(n):
    return _move(n, n.live_story, n.business)


@action
def move_others_draft(n):
    return _move(n, n.others_draft, n.business)


@action
def bulk_move_others_draft(n):
    story, destination = n.others_draft, n.business
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "move"])
    n.post(f"{url}?id={story.pk}", {"chooser": destination.pk})
    story.refresh_from_db()
    return story.get_parent().pk == destination.pk


@action
def move_own_draft(n):
    return _move(n, n.own_draft, n.business)


def _copy(n, **choice):
    from wagtail.models import Page

    story, destination = n.live_story, n.business
    # Writers may copy a story: the form then has no publish or alias choice, and the copy
    # is a draft like any other they start.
    n.new_drafts_are_fine = True
    n.post(reverse("wagtailadmin_pages:copy", args=[story.pk]),
           {"new_title": "The copy", "new_slug": "the-copy",
            "new_parent_page": destination.pk, **choice})
    return Page.objects.filter(slug="the-copy", live=True).exists()


@action
def copy_and_publish(n):
    return _copy(n, publish_copies="on")


@action
def alias_live_story(n):
    # An alias follows its original's state: a live story's alias is live at once.
    return _copy(n, alias="on")


def _deleted(page) -> bool:
    from wagtail.models import Page

    return not Page.objects.filter(pk=page.pk).exists()


@action
def delete_own_draft(n):
    story = n.own_draft
    n.post(reverse("wagtailadmin_pages:delete", args=[story.pk]))
    return _deleted(story)


@action
def delete_others_draft(n):
    story = n.others_draft
    n.post(reverse("wagtailadmin_pages:delete", args=[story.pk]))
    return _deleted(story)


@action
def delete_own_scheduled(n):
    # Once an editor has scheduled a story, deleting it undoes their decision as surely as
    # unscheduling it, which a Writer may not do.
    story = n.own_scheduled
    n.post(reverse("wagtailadmin_pages:delete", args=[story.pk]))
    return _deleted(story)


@action
def move_own_scheduled(n):
    # Moving it changes the address the editor scheduled it to appear at.
    return _move(n, n.own_scheduled, n.business)


@action
def delete_others_scheduled(n):
    story = n.scheduled
    n.post(reverse("wagtailadmin_pages:delete", args=[story.pk]))
    return _deleted(story)


@action
def bulk_delete_others_draft(n):
    story = n.others_draft
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])
    n.post(f"{url}?id={story.pk}")
    return _deleted(story)


@action
def see_unpublished_headlines(n):
    # Read-only: the outcome is whether the draft's headline reaches the screen, through
    # the explorer, the admin's search, the page chooser, the explorer's API or the log.
    assert n.others_draft.title.startswith("Writer B")
    places = (reverse("wagtailadmin_explore", args=[n.world.pk]),
              reverse("wagtailadmin_pages:search") + "?q=Writer",
              reverse("wagtailadmin_choose_page_child", args=[n.world.pk]),
              reverse("wagtailadmin_choose_page_search") + "?q=Writer",
              # The explorer menu's own API and the log of what everyone did.
              f"/admin/api/main/pages/?child_of={n.world.pk}&for_explorer=1",
              reverse("wagtailadmin_reports:site_history"))
    shown = [url for url in places if "Writer B" in n.get(url).content.decode()]
    # Everywhere or nowhere: one place showing what the others hide is a leak.
    assert shown == [] or len(shown) == len(places), shown
    return bool(shown)


# Pictures and documents -----------------------------------------------------------------

def _image_exists(image) -> bool:
    return type(image).objects.filter(pk=image.pk).exists()


@action
def upload_image(n):
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    n.post(reverse("wagtailimages:add"),
           {"title": "Fresh upload", "file": _png_upload(),
            "collection": Collection.get_first_root_node().pk, "tags": ""})
    return get_image_model().objects.filter(title="Fresh upload").exists()


@action
def edit_others_image(n):
    from wagtail.models import Collection

    image = n.others_picture
    n.post(reverse("wagtailimages:edit", args=[image.pk]),
           {"title": "Renamed by someone else", "collection": Collection.get_first_root_node().pk,
            "tags": "", "focal_point_x": "", "focal_point_y": "", "focal_point_width": "",
            "focal_point_height": ""})
    image.refresh_from_db()
    return image.title == "Renamed by someone else"


def _picture_deleted(n, image) -> bool:
    n.post(reverse("wagtailimages:delete", args=[image.pk]))
    return not _image_exists(image)


@action
def delete_own_image(n):
    return _picture_deleted(n, n.own_picture)


@action
def delete_others_image(n):
    return _picture_deleted(n, n.others_picture)


@action
def delete_image_in_use(n):
    return _picture_deleted(n, n.picture_in_use)


@action
def replace_own_image_in_use(n):
    # A new file under a picture a published story shows changes that story at once, with no
    # publish step: for the people who may publish it, not for its uploader alone.
    from wagtail.models import Collection

    image = n.own_picture_in_use
    before = image.file.name
    n.post(reverse("wagtailimages:edit", args=[image.pk]),
           {"title": image.title, "file": _png_upload("replacement.png"),
            "collection": Collection.get_first_root_node().pk, "tags": "",
            "focal_point_x": "", "focal_point_y": "", "focal_point_width": "",
            "focal_point_height": ""})
    # The multiple-upload page edits pictures by another route.
    n.post(reverse("wagtailimages:edit_multiple", args=[image.pk]),
           {f"image-{image.pk}-title": "Retitled", f"image-{image.pk}-tags": "",
            f"image-{image.pk}-collection": Collection.get_first_root_node().pk})
    image.refresh_from_db()
    return image.file.name != before and image.title == "Retitled"


@action
def delete_own_site_icon(n):
    # The masthead is the Admins' to change; deleting its picture would change it for them.
    return _picture_deleted(n, n.own_site_icon)


@action
def delete_own_author_photo(n):
    # Authors are the Editors' to change (author pages and bylines show the photo).
    return _picture_deleted(n, n.own_author_photo)


@action
def upload_document(n):
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    n.post(reverse("wagtaildocs:add"),
           {"title": "Fresh document", "collection": Collection.get_first_root_node().pk,
            "tags": "", "file": SimpleUploadedFile("fresh.pdf", b"%PDF-1.4 fresh",
                                                   content_type="application/pdf")})
    return get_document_model().objects.filter(title="Fresh document").exists()


@action
def delete_own_document(n):
    document = n.own_document
    n.post(reverse("wagtaildocs:delete", args=[document.pk]))
    return not type(document).objects.filter(pk=document.pk).exists()


@action
def delete_others_document(n):
    document = n.others_document
    n.post(reverse("wagtaildocs:delete", args=[document.pk]))
    return not type(document).objects.filter(pk=document.pk).exists()


# Comments -------------------------------------------------------------------------------

def _status(comment) -> str:
    comment.refresh_from_db()
    return comment.status


@action
def moderate_comment(n):
    comment = n.pending_comment
    n.post(reverse("comments_queue"), {"action": "approve", "comment": [comment.pk]})
    return _status(comment) == "approved"


@action
def reject_comment_in_editor(n):
    comment = n.pending_comment
    n.post(reverse("reader_comments:edit", args=[comment.pk]), {"status": "rejected"})
    return _status(comment) == "rejected"


@action
def ban_commenter(n):
    from broadsheet.comments.models import ReaderProfile

    n.post(reverse("comments_commenter", args=[n.commenter.pk]), {"do": "ban", "note": "spam"})
    return ReaderProfile.objects.filter(user=n.commenter, banned_at__isnull=False).exists()


@action
def hard_delete_comment(n):
    # The generic admin's delete removes the row and every reply below it, by other readers
    # too, and leaves nothing in the moderation log: moderators reject instead (logged, and
    # reversible); a reader deletes their own (a soft delete).
    from broadsheet.comments.models import Comment

    comment = n.pending_comment
    n.post(reverse("reader_comments:delete", args=[comment.pk]))
    return not Comment.objects.filter(pk=comment.pk).exists()


def _settings_url(model) -> str:
    return reverse("wagtailsettings:edit", args=[model._meta.app_label,
                                                 model._meta.model_name, _site_pk()])


def _site_pk() -> int:
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True).pk


@action
def comment_rules(n):
    from broadsheet.comments.models import CommentRules

    CommentRules.for_site(n.home.get_site()).save()
    n.post(_settings_url(CommentRules),
           {"close_after_days": "0", "premoderate_first": "7", "banned_words": "",
            "suspect_words": "", "max_links": "3", "duplicate_window_minutes": "60",
            "account_per_minute": "5", "ip_per_minute": "20"})
    return CommentRules.for_site(n.home.get_site()).premoderate_first == 7


# Readership (read-only: the outcome is whether the figures are shown) -------------------

VIEWS_SHOWN = 4321


def _readership_figures():
    from broadsheet.readership.models import HourlyViews

    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    HourlyViews.objects.create(hour=hour, page=None, views=VIEWS_SHOWN, visitors=987)


@action
def readership_dashboard(n):
    _readership_figures()
    response = n.get(reverse("readership_dashboard"))
    return f'data-total="views">{VIEWS_SHOWN}<' in response.content.decode()


@action
def readership_csv(n):
    _readership_figures()
    response = n.get(reverse("readership_dashboard"), days="1", csv="series")
    return f",{VIEWS_SHOWN},987" in response.content.decode()


# Accounts -------------------------------------------------------------------------------

@action
def add_user(n):
    from django.contrib.auth import get_user_model

    n.post(reverse("wagtailusers_users:add"),
           {"username": "newcomer", "email": "newcomer@example.org", "first_name": "New",
            "last_name": "Comer", "password1": "a-long-pass-456", "password2": "a-long-pass-456",
            "groups": [Group.objects.get(name=ADMINS).pk]})
    return get_user_model().objects.filter(username="newcomer").exists()


@action
def promote_user(n):
    # Writer B into Admins: the step from any staff account to everything.
    target = n.writer_b
    admins = Group.objects.get(name=ADMINS)
    n.post(reverse("wagtailusers_users:edit", args=[target.pk]),
           {"username": target.username, "email": target.email, "first_name": "B",
            "last_name": "Writer", "is_active": "on",
            "groups": [admins.pk, Group.objects.get(name=WRITERS).pk]})
    return target.groups.filter(pk=admins.pk).exists()


@action
def delete_group(n):
    # Deleting a role's group takes it from everyone in it at once.
    n.post(reverse("wagtailusers_groups:delete", args=[Group.objects.get(name=WRITERS).pk]))
    return not Group.objects.filter(name=WRITERS).exists()


# Settings -------------------------------------------------------------------------------

@action
def masthead_settings(n):
    from broadsheet.masthead.models import Masthead

    site = n.home.get_site()
    Masthead.for_site(site).save()
    n.post(_settings_url(Masthead), {"tagline": "Changed by the test", "footer_text": ""})
    return Masthead.for_site(site).tagline == "Changed by the test"


@action
def spotlight_settings(n):
    from broadsheet.frontpage.models import Spotlight

    site = n.home.get_site()
    Spotlight.for_site(site).save()
    n.post(_settings_url(Spotlight), {"size": "9", "picks-TOTAL_FORMS": "0",
                                      "picks-INITIAL_FORMS": "0", "picks-MIN_NUM_FORMS": "0",
                                      "picks-MAX_NUM_FORMS": "1000"})
    return Spotlight.for_site(site).size == 9


@action
def add_author(n):
    from broadsheet.people.models import Author

    n.post(reverse("wagtailsnippets_people_author:add"),
           {"name": "Nellie Bly", "slug": "nellie-bly", "role": "Reporter", "bio": "",
            "photo": ""})
    return Author.objects.filter(slug="nellie-bly").exists()


# Redirects and workflows ----------------------------------------------------------------

@action
def add_redirect(n):
    from wagtail.contrib.redirects.models import Redirect

    n.post(reverse("wagtailredirects:add"),
           {"old_path": "/a-new-old-address", "is_permanent": "on",
            "redirect_link": "https://example.org/world/", "site": ""})
    return Redirect.objects.filter(old_path="/a-new-old-address").exists()


@action
def delete_redirect(n):
    from wagtail.contrib.redirects.models import Redirect

    redirect = n.redirect
    n.post(reverse("wagtailredirects:delete", args=[redirect.pk]))
    return not Redirect.objects.filter(pk=redirect.pk).exists()


@action
def import_redirects(n):
    # The admin's one import: redirects from a CSV file, in two steps (upload, then confirm
    # which columns are which).
    from wagtail.contrib.redirects.models import Redirect

    upload = SimpleUploadedFile(
        "redirects.csv", b"from,to\n/imported-old,https://example.org/world/\n",
        content_type="text/csv")
    response = n.post(reverse("wagtailredirects:start_import"), {"import_file": upload})
    # The second step's form carries the uploaded file's name and format, signed.
    signed = dict(re.findall(r'name="(import_file_name|input_format)" value="([^"]+)"',
                             response.content.decode()))
    if signed:
        n.post(reverse("wagtailredirects:process_import"),
               {**signed, "from_index": "0", "to_index": "1", "permanent": "on", "site": ""})
    return Redirect.objects.filter(old_path="/imported-old").exists()


@action
def disable_review_workflow(n):
    from wagtail.models import Workflow

    from broadsheet.publishing.roles import WORKFLOW_NAME

    workflow = Workflow.objects.get(name=WORKFLOW_NAME)
    n.post(reverse("wagtailadmin_workflows:disable", args=[workflow.pk]))
    workflow.refresh_from_db()
    return not workflow.active


# The state a refused action must leave untouched ----------------------------------------

def newsroom_state() -> dict:
    """Everything an admin action could change that readers or staff would notice. Page
    revisions are left out on purpose: the edit form saves a Writer's draft even when the
    publish they asked for is refused, as it should."""
    from django.contrib.auth import get_user_model
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import (
        GroupCollectionPermission,
        GroupPagePermission,
        Page,
        PageViewRestriction,
        Revision,
        Workflow,
        WorkflowState,
    )

    from broadsheet.comments.models import Comment, CommentRules, ReaderProfile
    from broadsheet.frontpage.models import Spotlight
    from broadsheet.ingest.models import ImportedObject
    from broadsheet.masthead.models import Masthead
    from broadsheet.people.models import Author

    users = get_user_model().objects.order_by("pk")
    return {
        "pages": list(Page.objects.order_by("pk").values_list(
            "pk", "live", "path", "url_path", "title", "locked", "owner_id")),
        "scheduled": list(Revision.objects.filter(approved_go_live_at__isnull=False)
                          .order_by("pk").values_list("pk", "approved_go_live_at")),
        "workflow_states": list(WorkflowState.objects.order_by("pk").values_list(
            "pk", "status")),
        "restrictions": list(PageViewRestriction.objects.values_list("page_id",
                                                                     "restriction_type")),
        "images": list(get_image_model().objects.order_by("pk").values_list(
            "pk", "title", "file", "focal_point_x")),
        "documents": list(get_document_model().objects.order_by("pk").values_list(
            "pk", "title", "file")),
        "comments": list(Comment.objects.order_by("pk").values_list(
            "pk", "status", "deleted_at", "featured", "body")),
        "profiles": list(ReaderProfile.objects.order_by("pk").values_list(
            "user_id", "banned_at", "suspended_until")),
        "users": list(users.values_list("pk", "username", "email", "is_active",
                                        "is_superuser", "is_staff", "password")),
        "memberships": sorted(users.model.groups.through.objects.values_list(
            "user_id", "group__name")),
        "group_rights": (sorted(Group.objects.values_list("name", "permissions__codename"),
                                key=str),
                         GroupPagePermission.objects.count(),
                         GroupCollectionPermission.objects.count()),
        "settings": (list(Masthead.objects.values_list("tagline", "footer_text", "site_icon",
                                                       "default_share_image")),
                     list(CommentRules.objects.values_list("premoderate_first",
                                                           "close_after_days")),
                     list(Spotlight.objects.values_list("size"))),
        "redirects": sorted(Redirect.objects.values_list("old_path", "redirect_link")),
        "workflows": sorted(Workflow.objects.values_list("name", "active")),
        "authors": sorted(Author.objects.values_list("slug", "name", "photo")),
        "imports": ImportedObject.objects.count(),
    }


# The matrix -----------------------------------------------------------------------------

@pytest.fixture
def staff(home, make_reader, django_user_model):
    def member(name, group):
        user = django_user_model.objects.create_user(
            username=name, email=f"{name}@example.org", password="a-long-pass-123")
        user.groups.add(Group.objects.get(name=group))
        return user

    return {
        "reader": make_reader("signed.up", display="A signed-up reader"),
        "commenter": make_reader("commenter", display="A commenter"),
        "writer": member("writer.a", WRITERS),
        "writer_b": member("writer.b", WRITERS),
        "editor": member("editor", EDITORS),
        "moderator": member("moderator", MODERATORS),
        "admin": django_user_model.objects.create_superuser(
            username="admin", email="admin@example.org", password="a-long-pass-123"),
    }


CASES = [pytest.param(name, role, EXPECTED[name][role], id=f"{name}-{role}")
         for name in EXPECTED for role in ROLES]


@pytest.mark.parametrize(("name", "role", "allowed"), CASES)
def test_permission_matrix(name, role, allowed, home, make_story, staff):
    n = Newsroom(role, home, make_story, staff)
    happened = ACTIONS[name](n)
    assert n.responses, "the action made no request"
    assert happened == allowed, (f"{role} {'could not' if allowed else 'could'} {name}: "
                                 f"{[r.status_code for r in n.responses]}")
    if role in ("anonymous", "reader"):
        # No admin at all: every request goes back to the admin's login page.
        login = reverse("wagtailadmin_login")
        assert all(r.status_code == 302 and r["Location"].startswith(login + "?next=")
                   for r in n.responses), [(r.status_code, r.get("Location"))
                                           for r in n.responses]
    if not allowed:
        after = newsroom_state()
        if n.new_drafts_are_fine:
            known = {row[0] for row in n.before["pages"]}
            after["pages"] = [row for row in after["pages"] if row[0] in known or row[1]]
        assert after == n.before, "a refused action changed something"


def test_csrf_is_enforced_on_admin_actions(home, make_story, staff):
    """The matrix posts with a token; this shows the token is what lets a post through, so
    the matrix's refusals are permission refusals and CSRF stays on for the admin."""
    n = Newsroom("admin", home, make_story, staff)
    story = n.others_draft
    url = reverse("wagtailadmin_pages:edit", args=[story.pk])
    form = {**EDIT_FORM, "title": story.title, "slug": story.slug, "dek": story.dek,
            "action-publish": "1"}
    edit_page = n.client.get(url)
    assert edit_page.status_code == 200
    own_token = _token(edit_page.content.decode())
    strangers = Client(enforce_csrf_checks=True)
    strangers.force_login(staff["editor"])
    strangers_token = _token(strangers.get(url).content.decode())
    for token in (None, strangers_token, "x" * 64):
        data = form if token is None else {**form, "csrfmiddlewaretoken": token}
        response = n.client.post(url, data)
        assert response.status_code == 403 and b"CSRF verification failed" in response.content
        assert not _live(story), token
    n.client.post(url, {**form, "csrfmiddlewaretoken": own_token})
    assert _live(story)


def test_no_admin_url_imports_stories():
    """Story imports (ninjs, WordPress, NewsML, feeds) run from the command line only
    (`broadsheet import`): nothing under /admin/ reaches the importers, and the admin's one
    import, Wagtail's redirects from a CSV file, is Admins only (import_redirects above)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from broadsheet.ingest import wagtail_hooks as ingest_hooks

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "view_class", p.callback)
                yield prefix + str(p.pattern), view.__module__

    admin = [(route, module) for route, module in walk(get_resolver().url_patterns)
             if route.startswith("admin/")]
    assert len(admin) > 100  # the walk reached Wagtail's admin
    assert [r for r, m in admin if m.startswith("broadsheet.ingest")] == []
    importing = {(r, m) for r, m in admin if "import" in r or "ingest" in r}
    assert importing == {("admin/redirects/import/", "wagtail.contrib.redirects.views"),
                         ("admin/redirects/import/process/",
                          "wagtail.contrib.redirects.views")}
    from wagtail import hooks

    for name in ("register_admin_urls", "register_admin_viewset", "register_admin_menu_item",
                 "register_snippet", "register_settings_menu_item"):
        assert not [f for f in hooks.get_hooks(name) if f.__module__ == ingest_hooks.__name__]
