"""Comment moderation in the Wagtail admin, for the Moderators group: the queue (pending,
reported, approved, rejected, featured, with bulk actions), commenter history, and the
per-comment edit form, which records what the moderator did like the queue does."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.models import EditView
from wagtail.admin.viewsets.model import ModelViewSet

import broadsheet.ids  # noqa: F401  (the <id:...> path converter)

from . import admin_views
from .models import Comment
from .moderation import may_moderate, moderate

_STATUS_ACTION = {Comment.Status.APPROVED: "approve", Comment.Status.REJECTED: "reject"}


class CommentEditView(EditView):
    def save_instance(self):
        comment = Comment.objects.get(pk=self.form.instance.pk)
        action = _STATUS_ACTION.get(self.form.cleaned_data["status"])
        if action and comment.status != self.form.cleaned_data["status"]:
            moderate([comment], action=action, by=self.request.user)
        elif (self.form.cleaned_data["status"] == Comment.Status.PENDING
              and comment.status != Comment.Status.PENDING):
            moderate([comment], action="hold", by=self.request.user)
        comment.refresh_from_db()
        return comment


class CommentViewSet(ModelViewSet):
    model = Comment
    icon = "comment"
    menu_label = "Reader comments"
    add_to_admin_menu = True
    list_display = ["body", "story", "author", "status", "featured", "open_reports",
                    "created_at"]
    list_filter = ["status", "featured"]
    search_fields = ["body"]
    ordering = ["-created_at"]
    form_fields = ["status"]  # moderators decide; they do not rewrite what readers wrote
    inspect_view_enabled = True
    edit_view_class = CommentEditView


@hooks.register("register_admin_viewset")
def register_comment_viewset():
    return CommentViewSet("reader_comments")


@hooks.register("register_admin_urls")
def register_moderation_urls():
    return [
        path("comments/queue/", admin_views.queue, name="comments_queue"),
        path("comments/commenter/<id:user_id>/", admin_views.commenter,
             name="comments_commenter"),
    ]


class ModeratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_moderate(request.user)


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return ModeratorsMenuItem("Comment queue", reverse("comments_queue"), icon_name="comment",
                              order=250)
