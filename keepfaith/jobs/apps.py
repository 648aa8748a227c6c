from django.apps import AppConfig


class JobsAppConfig(AppConfig):
    """The periodic jobs that keep the retention promises (``keepfaith jobs run``)."""

    name = "keepfaith.jobs"
    label = "jobs"
    verbose_name = "Scheduled jobs"
