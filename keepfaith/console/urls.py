from django.urls import path

from keepfaith.console import analytics, mail, support, views

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.staff_login, name="login"),
    path("verify/", views.staff_verify, name="verify"),
    path("logout/", views.staff_logout, name="logout"),
    path("customers/", views.customers, name="customers"),
    path("audit/", views.audit_log, name="audit"),
    path("orders/", views.orders, name="orders"),
    path("support/", support.support_list, name="support"),
    path("support/<int:ticket_id>/", support.support_ticket, name="support_ticket"),
    path("analytics/", analytics.analytics, name="analytics"),
    path("analytics/diagnostics/", analytics.diagnostics, name="analytics_diagnostics"),
    path("campaigns/", mail.campaigns, name="campaigns"),
    path("campaigns/<int:campaign_id>/", mail.campaign_detail, name="campaign"),
    path("mail/queue/", mail.mail_queue, name="mail_queue"),
    path("mail/queue/<int:item_id>/", mail.mail_queue_resolve, name="mail_queue_resolve"),
]
