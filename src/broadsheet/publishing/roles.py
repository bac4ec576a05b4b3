"""The newsroom's roles, as Wagtail groups, and the review workflow stories go through.

Writers draft and submit for review; Editors review, publish, schedule and unpublish;
Moderators handle reader comments; Admins can do everything. Applied after every migrate, so
an install always has them and an upgrade corrects them; a newsroom may add people to the
groups freely, and may add groups of its own.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

WRITERS, EDITORS, MODERATORS, ADMINS = "Writers", "Editors", "Moderators", "Admins"
WORKFLOW_NAME = "Editorial review"

PAGE_PERMISSIONS = {
    WRITERS: ["add_page", "change_page"],
    EDITORS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page",
              "bulk_delete_page"],
    MODERATORS: [],
    ADMINS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page",
             "bulk_delete_page"],
}

MODEL_PERMISSIONS = {
    WRITERS: [("wagtailadmin", "access_admin"), ("wagtailimages", "add_image"),
              ("wagtailimages", "choose_image"), ("people", "view_author")],
    EDITORS: [("wagtailadmin", "access_admin"), ("wagtailimages", "add_image"),
              ("wagtailimages", "change_image"), ("wagtailimages", "choose_image"),
              ("people", "add_author"), ("people", "change_author"), ("people", "view_author"),
              ("frontpage", "change_spotlight"), ("comments", "view_comment")],
    MODERATORS: [("wagtailadmin", "access_admin"), ("comments", "view_comment"),
                 ("comments", "change_comment"), ("comments", "delete_comment"),
                 ("comments", "moderate_comment"), ("comments", "change_commentrules")],
}


def _perm(app_label: str, codename: str) -> Permission | None:
    return Permission.objects.filter(content_type__app_label=app_label,
                                     codename=codename).first()


@transaction.atomic
def ensure_roles() -> dict[str, Group]:
    root = Page.get_first_root_node()
    groups = {name: Group.objects.get_or_create(name=name)[0]
              for name in (WRITERS, EDITORS, MODERATORS, ADMINS)}
    if root is None:
        return groups
    for name, codenames in PAGE_PERMISSIONS.items():
        group = groups[name]
        wanted = set(Permission.objects.filter(content_type__app_label="wagtailcore",
                                               codename__in=codenames))
        GroupPagePermission.objects.filter(group=group, page=root).exclude(
            permission__in=wanted).delete()
        for permission in wanted:
            GroupPagePermission.objects.get_or_create(group=group, page=root,
                                                      permission=permission)
    for name, pairs in MODEL_PERMISSIONS.items():
        groups[name].permissions.add(*[p for p in (_perm(a, c) for a, c in pairs) if p])
    groups[ADMINS].permissions.set(Permission.objects.all())
    _ensure_workflow(root, groups[EDITORS])
    return groups


def _ensure_workflow(root: Page, editors: Group) -> None:
    task = GroupApprovalTask.objects.filter(name="Editor approval").first()
    if task is None:
        task = GroupApprovalTask.objects.create(name="Editor approval")
    task.groups.set([editors])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    # Wagtail's stock "Moderators approval" workflow would send stories to comment moderators.
    Workflow.objects.exclude(pk=workflow.pk).filter(name="Moderators approval").update(
        active=False)
