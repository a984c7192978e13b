"""Dashboard URLs, included under studies/<uuid:study>/dashboard/."""

from django.urls import path

from aggregation.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("map/", views.benefit_risk, name="map"),
    path("consensus/", views.consensus, name="consensus"),
    path("convergence/", views.convergence, name="convergence"),
    path("divided/", views.divided, name="divided"),
    path("report/", views.report_page, name="report"),
    path("charts/<slug:name>.svg", views.chart_svg, name="chart-svg"),
]
