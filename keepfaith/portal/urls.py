from django.contrib.auth import views as auth_views
from django.urls import path

from keepfaith.portal import consent, cookie_pages, shop, statement, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", statement.privacy, name="privacy"),
    path("privacy/updates/", statement.privacy_updates, name="privacy_updates"),
    path("cookies/", cookie_pages.cookie_settings, name="cookies"),
    path("account/", views.account, name="account"),
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
]
