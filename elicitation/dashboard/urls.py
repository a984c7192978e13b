"""Dashboard URLs, included under studies/: each study's dashboard lives at <study uuid>/dashboard/."""

from django.urls import path

from elicitation.dashboard import views

app_name = "dashboard"
PREFIX = "<uuid:study_uuid>/dashboard/"

urlpatterns = [
    path(PREFIX, views.overview, name="overview"),
    path(PREFIX + "map/", views.benefit_risk, name="map"),
    path(PREFIX + "consensus/", views.consensus, name="consensus"),
    path(PREFIX + "convergence/", views.convergence, name="convergence"),
    path(PREFIX + "divided/", views.divided, name="divided"),
    path(PREFIX + "report/", views.report_page, name="report"),
    path(PREFIX + "charts/<slug:chart>.svg", views.chart_svg, name="chart-svg"),
]
