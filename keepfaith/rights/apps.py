from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "keepfaith.rights"
    label = "rights"
    verbose_name = _("Data-subject rights")

    def ready(self) -> None:
        from keepfaith.comms.receiving import privacy_mail_handler_register
        from keepfaith.rights.mail import request_from_mail

        # Mail to the privacy address that asks for no opt-out may ask for a right (RIGHTS-12).
        privacy_mail_handler_register(request_from_mail)
