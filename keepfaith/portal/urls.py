from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from keepfaith.portal import account, consent, cookie_pages, shop, statement, support, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", statement.privacy, name="privacy"),
    path("privacy/updates/", statement.privacy_updates, name="privacy_updates"),
    path("cookies/", cookie_pages.cookie_settings, name="cookies"),
    path("account/", account.account, name="account"),
    path("account/signup/", account.signup, name="signup"),
    path("account/signup/sent/", account.signup_sent, name="signup_sent"),
    path("account/verify/<uidb64>/<token>/", account.verify_email, name="verify_email"),
    path("account/contact/", account.contact_details, name="contact"),
    path("account/preferences/", account.preferences, name="preferences"),
    path("account/consent/", consent.consent_list, name="consent"),
    path("account/consent/renew/", consent.consent_renew, name="consent_renew"),
    path("account/consent/<int:event_id>/", consent.consent_receipt_page, name="consent_receipt"),
    path(
        "account/consent/<int:event_id>/receipt.json",
        consent.consent_receipt_json,
        name="consent_receipt_json",
    ),
    path("shop/", shop.shop, name="shop"),
    path("shop/<str:product_id>/", shop.product, name="product"),
    path("cart/", shop.cart, name="cart"),
    path("checkout/", shop.checkout, name="checkout"),
    path("account/orders/", shop.orders, name="orders"),
    path("account/orders/<str:number>/", shop.order, name="order"),
    path("account/orders/<str:number>/go-ahead/", shop.order_go_ahead, name="order_go_ahead"),
    path(
        "account/orders/<str:number>/renew/<int:renewal_id>/",
        shop.renewal_renew,
        name="renewal_renew",
    ),
    path("account/login/", views.CustomerLoginView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("account/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "account/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("support/request/", support.information_request, name="support_request"),
    path("support/request/sent/", support.information_request_sent, name="support_request_sent"),
    path("support/ticket/", support.support_ticket, name="support_ticket"),
    path(
        "support/ticket/<int:ticket_id>/",
        support.support_ticket_detail,
        name="support_ticket_detail",
    ),
]
