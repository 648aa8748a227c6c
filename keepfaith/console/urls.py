from django.urls import include, path, re_path

from keepfaith.console import (
    analytics,
    audit,
    campaigns,
    customers,
    mail,
    payments,
    sharing,
    support,
    views,
)

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.staff_login, name="login"),
    path("verify/", views.staff_verify, name="verify"),
    path("logout/", views.staff_logout, name="logout"),
    path("preferences/", views.preferences, name="preferences"),
    path("customers/", views.customers, name="customers"),
    path("customers/<str:number>/", customers.customer_detail, name="customer"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("orders/", views.orders, name="orders"),
    path("orders/<str:number>/", customers.order_detail, name="order"),
    path("payments/<str:reference>/refund/", payments.refund_resolve, name="refund_resolve"),
    path("support/", support.support_list, name="support"),
    # Tickets and requests by their random reference, never their row number.
    path(
        "support/requests/<str:request_ref>/",
        support.information_request_page,
        name="support_request",
    ),
    path("support/<str:ticket_ref>/", support.support_ticket, name="support_ticket"),
    path(
        "support/<str:ticket_ref>/assign/",
        support.support_ticket_assign_view,
        name="support_ticket_assign",
    ),
    path(
        "support/<str:ticket_ref>/close/", support.support_ticket_close_view, name="support_close"
    ),
    path("analytics/", analytics.analytics, name="analytics"),
    path("analytics/diagnostics/", analytics.diagnostics, name="analytics_diagnostics"),
    path("campaigns/", campaigns.campaigns, name="campaigns"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path(
        "campaigns/<int:campaign_id>/preview/", campaigns.campaign_preview, name="campaign_preview"
    ),
    path("campaigns/<int:campaign_id>/act/", campaigns.campaign_action, name="campaign_action"),
    path("campaigns/<int:campaign_id>/send/", campaigns.campaign_confirm, name="campaign_confirm"),
    path("mail/queue/", mail.mail_queue, name="mail_queue"),
    path("mail/queue/<int:item_id>/", mail.mail_queue_resolve, name="mail_queue_resolve"),
    path("sharing/", sharing.sharing, name="sharing"),
    path("sharing/<int:release_id>/download/", sharing.sharing_download, name="sharing_download"),
    path("", include("keepfaith.console.rights_urls")),
    # Last: any other address under /console/ (ending in a slash, so that a page's address
    # without its slash is still redirected to it) is the console's own 404 for staff.
    re_path(r"^.*/$", views.not_found),
]
