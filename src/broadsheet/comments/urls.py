from django.urls import path

import broadsheet.ids  # noqa: F401  (the <id:...> path converter)

from . import accounts, views

urlpatterns = [
    path("discussion/<id:story_id>/", views.discussion, name="discussion"),
    path("discussion/<id:story_id>/post/", views.post, name="comment_post"),
    path("discussed/", views.discussed, name="discussed"),
    path("api/discussed.json", views.discussed_json, name="discussed_json"),
    path("comments/<id:comment_id>/reply/", views.reply, name="comment_reply"),
    path("comments/<id:comment_id>/edit/", views.edit, name="comment_edit"),
    path("comments/<id:comment_id>/delete/", views.delete, name="comment_delete"),
    path("comments/<id:comment_id>/respect/", views.respect, name="comment_respect"),
    path("comments/<id:comment_id>/report/", views.report, name="comment_report"),
    path("comments/unsubscribe/<str:token>/", views.unsubscribe, name="comment_unsubscribe"),
    path("accounts/you/", accounts.profile, name="reader_account"),
    path("accounts/you/data.json", accounts.download, name="reader_data"),
    path("accounts/you/delete/", accounts.delete_account, name="reader_delete"),
]
