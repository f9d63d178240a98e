"""Pages of sales force management: the probabilistic forecast with its backtest, quotas and
the leaderboard."""

from django.urls import path

from kith.web.views.sales import forecasting

urlpatterns = [
    path("deals/forecast/probabilistic/", forecasting.forecast_mc_view, name="forecast-mc"),
    path("deals/quotas/", forecasting.quota_board, name="quota-board"),
    path("deals/quotas/set/", forecasting.quota_set_view, name="quota-set"),
]
