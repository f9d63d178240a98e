from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kith.core"
    label = "core"

    def ready(self) -> None:
        from kith.core import tasks
        from kith.core.schedules import schedule_register

        schedule_register(
            name="core.public_form_posts_prune",
            every=timedelta(days=1),
            task=tasks.public_form_posts_prune_task,
        )
