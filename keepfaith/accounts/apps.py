from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "keepfaith.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from keepfaith.accounts.roles import sync_staff_roles_after_migrate

        post_migrate.connect(sync_staff_roles_after_migrate, dispatch_uid="keepfaith-staff-roles")
