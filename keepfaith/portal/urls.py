from django.contrib.auth import views as auth_views
from django.urls import path

from keepfaith.portal import shop, statement, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", statement.privacy, name="privacy"),
    path("privacy/updates/", statement.privacy_updates, name="privacy_updates"),
    path("shop/", shop.shop, name="shop"),
    path("shop/<str:product_id>/", shop.product, name="product"),
    path("cart/", shop.cart, name="cart"),
    path("checkout/", shop.checkout, name="checkout"),
    path("account/", views.account, name="account"),
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
