from wagtail import hooks

from .late_pictures import LOG_ACTION


@hooks.register("register_log_actions")
def register_wire_picture_action(actions):
    # A story's history says why a revision nobody wrote appeared.
    actions.register_action(LOG_ACTION, "Wire picture arrived",
                            "Wire picture arrived and was made the hero picture")
