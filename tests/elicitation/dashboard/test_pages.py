"""Every dashboard page through the test client: what the coordinator sees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import escape

from aggregation.models import AggregationRun, ItemResult
from elicitation.models import Area, Round, RoundItem
from elicitation.rounds.services.lifecycle import round_close
from tests.elicitation.dashboard.results import make_results, make_run, study_with_results
from tests.factories import make_round

pytestmark = pytest.mark.django_db
PAGES = ["overview", "map", "consensus", "convergence", "divided", "report"]


def _get(client, study, page="overview", query=""):
    response = client.get(reverse(f"dashboard:{page}", args=[study.uuid]) + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def rounds_a(study_a):
    return study_with_results(study_a)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_study_and_when_its_results_were_computed(coordinator_client, study_a, rounds_a, page):
    html = _get(coordinator_client, study_a, page)
    assert "Study A" in html
    assert "Results as of" in html
    assert 'id="round-select"' in html


def test_the_open_round_is_chosen_by_default_and_its_section_polls(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a)
    assert re.search(r'<option value="2" selected>', html)
    section = re.search(r'<section id="live-results"[^>]*>', html)
    assert section is not None
    assert f'hx-get="/studies/{study_a.uuid}/dashboard/?partial=1&amp;round=2"' in section.group(0)
    assert re.search(r'hx-trigger="every \d+s, dashboard:visible from:document"', section.group(0))
    assert "django_htmx/htmx-2.min.js" in html  # served by the app, not a CDN
    assert "data-round-open" in html


def test_a_closed_round_does_not_poll(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, query="round=1")
    assert "hx-get=" not in html
    assert "hx-trigger=" not in html
    assert "data-round-open" not in html


def test_the_poller_gets_only_the_results_section(coordinator_client, study_a, rounds_a):
    response = coordinator_client.get(f"/studies/{study_a.uuid}/dashboard/consensus/?round=2&partial=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "<nav" not in html
    assert "Results as of" in html
    assert "data-round-open" in html


def test_the_poll_of_a_closed_round_gets_its_final_numbers_and_htmxs_stop_signal(coordinator_client, study_a, rounds_a):
    """286: htmx swaps the fragment in and polls no more (the round closed while the page was open)."""
    Round.objects.filter(pk=rounds_a[1].pk).update(status=Round.Status.CLOSED)
    response = coordinator_client.get(f"/studies/{study_a.uuid}/dashboard/consensus/?round=2&partial=1")
    assert response.status_code == 286
    html = response.content.decode()
    assert "Results as of" in html
    assert "data-round-open" not in html


def test_updating_shows_while_a_newer_run_is_queued(coordinator_client, study_a, rounds_a):
    make_run(rounds_a[1], status=AggregationRun.Status.QUEUED, minutes_ago=0)
    assert "Updating…" in _get(coordinator_client, study_a)
    assert "Updating…" not in _get(coordinator_client, study_a, query="round=1")


def test_a_round_without_results_says_so(coordinator_client, study_a, rounds_a):
    round_close(round=rounds_a[1], user=None)
    make_round(study_a, number=3)
    html = _get(coordinator_client, study_a, "consensus", "round=3")
    assert "No results have been computed for this round yet." in html
    assert "Not rated" in html


def test_a_study_without_rounds_explains_the_empty_dashboard(coordinator_client, study_a):
    for page in PAGES:
        assert "This study has no rounds yet." in _get(coordinator_client, study_a, page)


def test_overview_counts_participation_per_round_bloc_and_sector(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a)
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row">Round (\d)</th>(.*?)</tr>', html, re.S)
    cells = {number: re.findall(r'<td class="number">([^<]*)</td>', body) for number, body in rows}
    # Round 1: everyone submitted; round 2: half did, so attrition is 50 %.
    assert cells["1"][:5] == ["8", "8", "8", "8", "100%"]
    assert cells["2"][:6] == ["8", "8", "6", "4", "50%", "50%"]
    assert "By bloc, round 2" in html
    assert "By sector, round 2" in html
    assert "Promising for cooperation" in html


def test_the_map_draws_one_point_per_area_and_where_it_was_last_round(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "map")
    found = re.search(r"<svg.*?</svg>", html, re.S)
    assert found is not None
    svg = found.group(0)
    assert svg.count('class="point"') == 4
    assert svg.count('class="movement"') == 4
    assert 'id="chart-map-data"' in html  # the same numbers as a table
    assert "Round 1: benefit, risk" in html
    first = _get(coordinator_client, study_a, "map", "round=1")
    assert 'class="movement"' not in first


def test_the_heatmap_shows_median_iqr_and_the_verdict_in_words(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "consensus")
    assert html.count('class="cell cell-result') == 24
    assert "Median 8" in html
    assert "IQR 2" in html
    assert "✓</span> Consensus" in html
    assert "✗</span> No consensus" in html


def test_a_bloc_below_k_shows_fewer_than_k_and_never_its_numbers(coordinator_client, study_a, rounds_a):
    ItemResult.objects.filter(group="Other").update(n=3)
    html = _get(coordinator_client, study_a, "consensus", "bloc=Other")
    assert html.count("Fewer than 5 experts") == 24
    assert 'class="cell-median"' not in html
    assert 'class="cell-iqr"' not in html
    cells = re.findall(r'<td class="cell[^"]*">(.*?)</td>', html, re.S)
    assert all(not re.search(r"\d", cell.replace("Fewer than 5 experts", "")) for cell in cells)  # not even n


def test_a_bloc_at_or_above_k_shows_its_own_medians(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "consensus", "bloc=China")
    assert "Median 8.5" in html
    assert ": China" in html
    assert '<option value="China" selected>' in html


def test_convergence_draws_iqr_and_cns_per_area_with_tables_and_stability(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "convergence")
    for area in Area.objects.filter(study=study_a):
        assert f'id="chart-iqr-{area.code}"' in html
        assert f'id="chart-cns-{area.code}"' in html
    assert html.count("<details>") == 4
    assert "Round 2: IQR / Cns" in html
    assert "Wilcoxon p" in html
    assert "0.400" in html  # Wilcoxon p of every item
    # changed_share is stored as a share (0.25): shown as 25%, never as "0.25%"
    assert ">25%<" in html
    assert "0.25%" not in html
    assert "Changed their rating (% of experts in both rounds)" in html


def test_divided_items_list_only_divided_items_with_bloc_medians_side_by_side(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "divided")
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 4  # one divided item per area; the shared ones are not listed
    assert "Median: United States" in html
    assert "Median: China" in html
    assert "United States vs China" in html
    assert "&lt; 0.001" in html
    assert "fewer than 5" in html  # Europe and Other have no median in the cross-bloc row
    assert "United States: highest third" in html  # the end the agreeing bloc agrees on
    assert "Kruskal–Wallis p" in html
    assert "0.002" in html
    assert "Size of the divide (scale points)" in html


def test_divided_items_are_ranked_by_the_size_of_the_divide(coordinator_client, study_a, rounds_a):
    from aggregation.models import CrossBloc

    round_ = rounds_a[-1]
    rows = list(CrossBloc.objects.filter(round=round_, verdict="split").select_related("area"))
    for size, row in enumerate(rows, start=1):
        CrossBloc.objects.filter(pk=row.pk).update(max_median_difference=size)
    html = _get(coordinator_client, study_a, "divided")
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    positions = [body.index(row.area.title) for row in reversed(rows)]
    assert positions == sorted(positions)


def test_the_map_shows_each_blocs_verdict_and_hides_blocs_below_k(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "map")
    grid = html.split('class="table compact bloc-verdicts"')[1].split("</table>")[0]
    assert "Cooperation verdict of each bloc" in grid
    assert grid.count("verdict-avoid") == 4 * 3  # four areas, three blocs of at least k


def test_no_divided_items_says_so(coordinator_client, study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    make_results(round_, divided=False)
    assert "No item is split along bloc lines in this round." in _get(coordinator_client, study_a, "divided")


def test_report_states_the_rule_in_words_and_sorts_items_by_outcome(coordinator_client, study_a, rounds_a):
    # Round 3 drops the first area's no-consensus items of round 2, which is reported.
    round_close(round=rounds_a[1], user=None)
    round3 = make_round(study_a, number=3)
    first_area = Area.objects.filter(study=study_a).order_by("order").first()
    no_consensus = ItemResult.objects.filter(round=rounds_a[1], group="", consensus=False, area=first_area)
    dropped = {(r.area_id, r.criterion_id) for r in no_consensus}
    assert dropped
    for area_id, criterion_id in dropped:
        RoundItem.objects.filter(round=round3, area_id=area_id, criterion_id=criterion_id).delete()
    html = _get(coordinator_client, study_a, "report", "round=2")
    assert "An item reaches consensus when all of these hold: the interquartile range is at most 1" in html
    assert "Rule version 1." in html
    sections = html.split("<caption>")
    consensus = next(s for s in sections if s.startswith("Items that reached consensus"))
    dropped_table = next(s for s in sections if s.startswith("Items dropped after this round"))
    rerate = next(s for s in sections if s.startswith("Items without consensus, rated again"))
    total = ItemResult.objects.filter(round=rounds_a[1], group="").count()
    agreed = ItemResult.objects.filter(round=rounds_a[1], group="", consensus=True).count()
    assert consensus.split("</table>")[0].count('<th scope="row">') == agreed
    assert dropped_table.split("</table>")[0].count('<th scope="row">') == len(dropped)
    assert rerate.split("</table>")[0].count('<th scope="row">') == total - agreed - len(dropped)
    assert "data-print" in html
    assert "Kendall" in html


def test_report_suppresses_small_panel_groups_and_one_more_so_none_can_be_derived(
    coordinator_client, study_a, rounds_a
):
    # 8 experts over 4 blocs: every bloc has 2, all below k = 5.
    html = _get(coordinator_client, study_a, "report")
    bloc_table = html.split("<caption>Experts by bloc</caption>")[1].split("</table>")[0]
    assert bloc_table.count("fewer than 5") == 4
    assert "8 active experts." in html


def test_the_report_has_a_print_stylesheet(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "report")
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print\.css" media="print">', html)


def test_study_text_is_escaped_everywhere(coordinator_client, study_a, rounds_a):
    Area.objects.filter(study=study_a, code="verification").update(title='<script>alert("x")</script>')
    for page in PAGES:
        html = _get(coordinator_client, study_a, page)
        assert "<script>alert" not in html, page


def test_results_as_of_shows_the_latest_done_run_not_a_failed_newer_one(coordinator_client, study_a, rounds_a):
    failed = make_run(rounds_a[1], status=AggregationRun.Status.FAILED, minutes_ago=0)
    failed.finished_at = timezone.now() + timedelta(hours=1)
    failed.save()
    html = _get(coordinator_client, study_a)
    done = AggregationRun.objects.get(round=rounds_a[1], status="done")
    assert done.finished_at is not None
    assert f'datetime="{dateformat.format(timezone.localtime(done.finished_at), "c")}"' in html
    assert 'class="badge updating"' not in html
    assert "failed; it will be retried." in html
    assert "failed; it will be retried." not in _get(coordinator_client, study_a, query="round=1")


WAITING = "The task queue is unreachable"


def test_a_job_the_broker_never_got_is_shown_as_waiting_for_the_queue(coordinator_client, study_a, rounds_a):
    queued = make_run(rounds_a[1], status=AggregationRun.Status.QUEUED, minutes_ago=2)  # dispatched_at stays empty
    html = _get(coordinator_client, study_a)
    assert WAITING in html
    assert 'class="badge updating"' in html
    AggregationRun.objects.filter(pk=queued.pk).update(dispatched_at=timezone.now())
    assert WAITING not in _get(coordinator_client, study_a), "a job the broker has is just updating"


def test_a_job_being_sent_right_now_is_not_called_waiting(coordinator_client, study_a, rounds_a):
    make_run(rounds_a[1], status=AggregationRun.Status.QUEUED, minutes_ago=0)
    assert WAITING not in _get(coordinator_client, study_a)


def test_the_dashboard_speaks_chinese(coordinator_client, study_a, rounds_a):
    coordinator_client.cookies["django_language"] = "zh-hans"
    html = _get(coordinator_client, study_a)
    assert '<html lang="zh-hans">' in html
    assert "概览与参与情况" in html
    assert "适合开展合作" in html  # the verdict labels come from the model's choices
    assert "Overview and participation" not in html


def test_the_study_page_links_to_its_dashboard(coordinator_client, study_a):
    html = coordinator_client.get(reverse("study-detail", args=[study_a.uuid])).content.decode()
    assert reverse("dashboard:overview", args=[study_a.uuid]) in html


def test_retired_items_without_results_are_left_out_but_kept_where_they_have_results(
    coordinator_client, study_a, rounds_a
):
    from elicitation.models import Criterion

    retired = Criterion.objects.create(study=study_a, code="X9", title="Retired criterion", kind="risk", order=99,
                                       is_active=False)  # fmt: skip
    assert "Retired criterion" not in _get(coordinator_client, study_a, "consensus")
    Criterion.objects.filter(study=study_a, code="R3").update(is_active=False)
    assert "Opportunities for harm" in _get(coordinator_client, study_a, "consensus")  # R3 still has results
    assert retired.pk


def test_the_poller_fragment_is_never_cached(coordinator_client, study_a, rounds_a):
    response = coordinator_client.get(reverse("dashboard:overview", args=[study_a.uuid]) + "?partial=1")
    assert response["Cache-Control"] == "no-store"


def test_head_requests_are_answered(coordinator_client, study_a, rounds_a):
    assert coordinator_client.head(reverse("dashboard:overview", args=[study_a.uuid])).status_code == 200


def test_the_report_names_the_design_and_every_round_as_accord_asks(coordinator_client, study_a, rounds_a):
    html = _get(coordinator_client, study_a, "report")
    assert "2 rounds so far." in html
    assert study_a.get_mode_display() in html
    assert escape(study_a.get_feedback_timing_display()) in html
    assert "Round 1 (Closed)" in html


def _dissent(round_, experts, item):
    from elicitation.models import ItemStatement

    ItemStatement.objects.bulk_create(
        ItemStatement(
            round=round_, expert=e, kind="dissent", area_id=item.area_id, criterion_id=item.criterion_id, text="No."
        )
        for e in experts
    )


def test_the_heatmap_and_the_report_show_dissent_beside_the_verdict_counted_only_from_k(
    coordinator_client, study_a, rounds_a
):
    second = rounds_a[1]
    items = list(second.items.order_by("id"))
    experts = list(study_a.experts.order_by("number"))
    _dissent(second, experts[:2], items[0])  # fewer than k = 5: only that it exists
    _dissent(second, experts[:6], items[1])
    html = _get(coordinator_client, study_a, "consensus")
    assert html.count("Dissent recorded (fewer than 5 experts)") == 1
    assert html.count("Dissent: 6 experts") == 1
    assert "Dissent: 2" not in html
    assert "No." not in html.split("<main")[-1].replace("No consensus", "")  # never the statements
    bloc = _get(coordinator_client, study_a, "consensus", "bloc=Other")
    assert "Dissent" not in bloc  # dissent is the panel's, shown beside the panel's verdicts
    report = _get(coordinator_client, study_a, "report", "round=2")
    assert "Dissent on the record" in report
    # Each item stands twice: in its outcome's table and in the table of every item.
    assert report.count("Recorded, fewer than 5 experts") == 2
    assert report.count("<td>6 experts</td>") == 2
