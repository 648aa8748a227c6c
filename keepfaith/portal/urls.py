from django.contrib.auth import views as auth_views
from django.urls import include, path

from keepfaith.portal import (
    account,
    certificates,
    consent,
    cookie_pages,
    email_change,
    language,
    receipts,
    renewals,
    shop,
    signin,
    statement,
    support,
    tools,
    views,
)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", statement.privacy, name="privacy"),
    path("privacy/updates/", statement.privacy_updates, name="privacy_updates"),
    path("privacy/updates/close/", statement.notice_dismiss, name="notice_dismiss"),
    path("cookies/", cookie_pages.cookie_settings, name="cookies"),
    path("language/", language.switch_language, name="language"),
    path("account/", account.account, name="account"),
    path("account/signup/", account.signup, name="signup"),
    path("account/signup/sent/", account.signup_sent, name="signup_sent"),
    path("account/verify/<uidb64>/<token>/", account.verify_email, name="verify_email"),
    path("account/contact/", account.contact_details, name="contact"),
    path("account/email/cancel/", email_change.email_cancel, name="email_cancel"),
    path("account/email/confirm/<str:token>/", email_change.email_confirm, name="email_confirm"),
    path("account/preferences/", account.preferences, name="preferences"),
    path("account/consent/", consent.consent_list, name="consent"),
    path("account/consent/renew/", consent.consent_renew, name="consent_renew"),
    path(
        "account/consent/<str:receipt_ref>/", consent.consent_receipt_page, name="consent_receipt"
    ),
    path(
        "account/consent/<str:receipt_ref>/receipt.json",
        consent.consent_receipt_json,
        name="consent_receipt_json",
    ),
    path("shop/", shop.shop, name="shop"),
    path("shop/<str:product_id>/", shop.product, name="product"),
    path("shop/<str:product_id>/price/", shop.product_price, name="product_price"),
    path("cart/", shop.cart, name="cart"),
    path("checkout/", shop.checkout, name="checkout"),
    path("account/orders/", shop.orders, name="orders"),
    path("account/orders/<str:number>/", shop.order, name="order"),
    path("account/orders/<str:number>/go-ahead/", shop.order_go_ahead, name="order_go_ahead"),
    path("account/orders/<str:number>/thanks/", receipts.order_thanks, name="order_thanks"),
    path("account/orders/<str:number>/invoice/", receipts.order_invoice, name="order_invoice"),
    path(
        "account/orders/<str:number>/renewals/<int:charge>/invoice/",
        receipts.renewal_invoice,
        name="renewal_invoice",
    ),
    path("account/orders/<str:number>/cancel/", receipts.order_cancel, name="order_cancel"),
    path(
        "account/orders/<str:number>/renew/<int:line>/",
        renewals.renewal_confirm,
        name="renewal_confirm",
    ),
    path(
        "account/orders/<str:number>/renew/<int:line>/automatic/",
        renewals.renewal_automatic,
        name="renewal_automatic",
    ),
    path("account/login/", views.CustomerLoginView.as_view(), name="login"),
    path("account/verify/again/", signin.verify_resend, name="verify_resend"),
    path("account/password/", signin.CustomerPasswordChangeView.as_view(), name="password_change"),
    # The home page in the language of the page signed out from (the language is in the URL).
    path("account/logout/", auth_views.LogoutView.as_view(next_page="portal:home"), name="logout"),
    path("account/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "account/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("tools/", tools.tools, name="tools"),
    path("tools/csr/", tools.tools_csr, name="tools_csr"),
    path("tools/match/", tools.tools_match, name="tools_match"),
    path("tools/ssl-test/", tools.tools_ssltest, name="tools_ssltest"),
    path("tools/install/", tools.install_guide, name="install_guide"),
    path("account/certificates/", certificates.certificate_list, name="certificates"),
    path(
        "account/certificates/<str:number>/",
        certificates.certificate_detail,
        name="certificate",
    ),
    path(
        "account/certificates/<str:number>/check/",
        certificates.certificate_check,
        name="certificate_check",
    ),
    path(
        "account/certificates/<str:number>/reissue/",
        certificates.certificate_reissue_request,
        name="certificate_reissue",
    ),
    path(
        "account/orders/<str:number>/certificates/<int:line>/",
        certificates.certificate_setup_page,
        name="order_certificate_setup",
    ),
    path(
        "account/certificates/<str:number>/revoke/",
        certificates.certificate_revoke_request,
        name="certificate_revoke",
    ),
    *(
        path(
            f"account/certificates/<str:number>/{kind}.pem",
            certificates.certificate_download,
            {"kind": kind},
            name=f"certificate_{kind}",
        )
        for kind in ("certificate", "chain", "fullchain")
    ),
    path("support/", support.support_home, name="support"),
    path("", include("keepfaith.portal.rights_urls")),
    path("support/request/", support.information_request, name="support_request"),
    path("support/request/sent/", support.information_request_sent, name="support_request_sent"),
    path("support/ticket/", support.support_ticket, name="support_ticket"),
    path(
        "support/ticket/<str:ticket_ref>/",
        support.support_ticket_detail,
        name="support_ticket_detail",
    ),
    path(
        "support/ticket/<str:ticket_ref>/close/",
        support.support_ticket_close_view,
        name="support_ticket_close",
    ),
]
