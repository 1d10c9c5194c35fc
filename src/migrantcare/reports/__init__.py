"""Office performance figures, the report rows and the HTML/CSV report.

Every name here is also importable from :mod:`migrantcare`.
"""

from migrantcare.reports._performance import (
    BacklogBucket,
    ChannelFigures,
    Count,
    GoalCount,
    GoalSource,
    MonthRow,
    OfficePerformance,
    OutreachRow,
    PerformanceFigures,
    RankRow,
    Spread,
    performance_figures,
)
from migrantcare.reports._report_html import figures_to_csv, render_report_html
from migrantcare.reports._reports import GoalFigures, OfficeFigures, office_report

__all__ = [
    "BacklogBucket",
    "ChannelFigures",
    "Count",
    "GoalCount",
    "GoalFigures",
    "GoalSource",
    "MonthRow",
    "OfficeFigures",
    "OfficePerformance",
    "OutreachRow",
    "PerformanceFigures",
    "RankRow",
    "Spread",
    "figures_to_csv",
    "office_report",
    "performance_figures",
    "render_report_html",
]
