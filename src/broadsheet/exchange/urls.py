from django.urls import path

import broadsheet.ids  # noqa: F401  (the <id:...> path converter)

from . import views

urlpatterns = [
    path("stories.json", views.collection, name="ninjs_collection"),
    path("stories/<id:story_id>.json", views.story, name="ninjs_story"),
]
