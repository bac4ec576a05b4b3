"""Background tasks in the Wagtail admin (Settings > Background tasks): what is queued,
running, done and failed, with each failure's error and traceback. Read-only: a task is
retried by its worker (worker.py), not by hand."""

from django_tasks_db.models import DBTaskResult
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet


class TaskViewSet(ModelViewSet):
    model = DBTaskResult
    icon = "cogs"
    menu_label = "Background tasks"
    add_to_settings_menu = True
    list_display = ["task_path", "status", "enqueued_at", "started_at", "finished_at",
                    "run_after", "exception_class_path"]
    list_filter = ["status", "queue_name"]
    ordering = ["-enqueued_at"]
    inspect_view_enabled = True
    inspect_view_fields = ["task_path", "status", "args_kwargs", "worker_ids", "enqueued_at",
                           "started_at", "finished_at", "run_after", "return_value",
                           "exception_class_path", "traceback"]
    form_fields = []


@hooks.register("register_admin_viewset")
def register_task_viewset():
    return TaskViewSet("background_tasks")
