from django.urls import path

from . import views

urlpatterns = [
    path("stories.json", views.collection, name="ninjs_collection"),
    path("stories/<int:story_id>.json", views.story, name="ninjs_story"),
]
