"""Comment moderation in the Wagtail admin, for the Moderators group."""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from .models import Comment


class CommentViewSet(ModelViewSet):
    model = Comment
    icon = "comment"
    menu_label = "Reader comments"
    add_to_admin_menu = True
    list_display = ["body", "story", "author", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["body"]
    ordering = ["-created_at"]
    form_fields = ["status"]  # moderators decide; they do not rewrite what readers wrote
    inspect_view_enabled = True


@hooks.register("register_admin_viewset")
def register_comment_viewset():
    return CommentViewSet("reader_comments")
