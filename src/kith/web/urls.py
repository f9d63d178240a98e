"""The browser UI: its own pages (home, sign-in, account, search), then every installed app's
URL modules. One views module per domain (see kith.web.views)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from kith.core.doors import url_modules
from kith.web.views import account, auth, home, palette, search

urlpatterns = [
    path("", home.home, name="home"),
    # Sign in/out and language
    path("login/", auth.KithLoginView.as_view(), name="login"),
    path("login/two-factor/", auth.login_two_factor, name="login-two-factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth.language_set, name="language-set"),
    # Account: password and API tokens
    path("account/", account.account_detail, name="account"),
    path("account/password/", account.password_change, name="password-change"),
    path("account/two-factor/", account.two_factor, name="two-factor"),
    path("account/tokens/", account.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token-revoke"),
    # Search
    path("search/", search.search, name="search"),
    path("search/live/", search.search_live, name="search-live"),
    path("palette/", palette.palette, name="palette"),
    # Every installed app's URL modules (KithAppConfig.url_modules), in app order
    *(path("", include(module)) for module in url_modules()),
]
