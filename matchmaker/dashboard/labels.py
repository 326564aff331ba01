"""Translated names of the dashboard's codes: metrics, units, statuses, what each actual
counts and the refusals of the targets editor (lazy: rendered in the reader's language)."""
from flask_babel import lazy_gettext as _l

METRIC = {
    "contract_turnover": _l("Technology contract turnover"),
    "contracts_signed": _l("Technology contracts signed"),
    "local_conversion_projects": _l("Local conversion projects"),
    "local_conversion_rate": _l("Local conversion rate"),
    "deals_started": _l("Deals started"),
    "outputs_published": _l("Research outputs published"),
    "needs_published": _l("Technology needs published"),
    "brokers_trained": _l("Brokers and technology managers trained"),
    "tech_transfer_institutions": _l("Technology-transfer institutions (cumulative)"),
    "high_tech_enterprises": _l("High-tech enterprises (cumulative)"),
    "tech_smes": _l("Technology-based SMEs"),
}
BASIS = {
    "contract_turnover": _l("Total amounts of the technology contracts on the platform's deals "
                            "signed in the year."),
    "contracts_signed": _l("Technology contracts on the platform's deals signed in the year."),
    "local_conversion_projects": _l("Deals that landed in the home province in the year."),
    "local_conversion_rate": _l("Local conversion projects as a share of all deals that "
                                "landed in the year."),
    "deals_started": _l("Deals brokers started in the year."),
    "outputs_published": _l("Research outputs first published in the year and still public."),
    "needs_published": _l("Technology needs first published in the year and still public."),
    "brokers_trained": _l("Not measured by the platform: it keeps no training records."),
    "tech_transfer_institutions": _l("Not measured by the platform: it does not register "
                                     "technology-transfer institutions."),
    "high_tech_enterprises": _l("Not measured by the platform: the science bureau counts the "
                                "region's recognised high-tech enterprises."),
    "tech_smes": _l("Not measured by the platform: the science bureau counts the region's "
                    "registered tech SMEs."),
}
UNIT = {"yi_yuan": _l("100 million yuan"), "wan_yuan": _l("10,000 yuan"),
        "count": _l("items"), "percent": "%"}
STATUS = {
    "met": _l("Met"), "on_track": _l("On track"), "behind": _l("Behind"),
    "no_target": _l("No target set"), "no_data": _l("Nothing to measure yet"), "not_measured": _l("Not measured by the platform"),
}
REFUSAL = {
    "unknown_metric": _l("Choose a metric from the list."),
    "year_range": _l("The year must be between 2000 and 2100."),
    "target_negative": _l("The target cannot be negative."),
    "target_too_large": _l("The target is too large."),
    "percent_range": _l("A rate is a percentage between 0 and 100."),
    "note_too_long": _l("The note is too long (at most 300 characters)."),
}
