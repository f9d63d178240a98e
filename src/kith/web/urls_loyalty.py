"""Pages of loyalty: the programme dashboard, top advocates, the contact panel, the member's
own page (signed link), the referral link, and the programme set-up pages."""

from django.urls import path

from kith.web.views import loyalty

urlpatterns = [
    path("loyalty/", loyalty.dashboard, name="loyalty-dashboard"),
    path("loyalty/members/", loyalty.member_list, name="loyalty-member-list"),
    path("loyalty/setup/", loyalty.programme_setup, name="loyalty-setup"),
    path(
        "loyalty/setup/<int:programme_id>/",
        loyalty.programme_setup_detail,
        name="loyalty-programme-setup",
    ),
    path(
        "contacts/<int:contact_id>/loyalty/",
        loyalty.contact_loyalty_panel,
        name="contact-loyalty-panel",
    ),
    path(
        "contacts/<int:contact_id>/network/",
        loyalty.contact_network_page,
        name="contact-network",
    ),
    path(
        "loyalty/members/<int:membership_id>/adjust/",
        loyalty.member_adjust,
        name="loyalty-member-adjust",
    ),
    path(
        "loyalty/members/<int:membership_id>/send-link/",
        loyalty.member_link_send,
        name="loyalty-member-link-send",
    ),
    path("loyalty/enrol/", loyalty.member_enrol, name="loyalty-member-enrol"),
    path("m/<str:token>/", loyalty.member_page, name="loyalty-member-page"),
    path("r/<str:code>/", loyalty.referral_page, name="loyalty-referral"),
]
