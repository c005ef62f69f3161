"""``summary``: registers read back and aggregated into the campaign's 附件1 form."""

from certcheck.summary.aggregate import Action, Measure, Summary, summarize
from certcheck.summary.form import FormHeader, summary_to_dict, write_form
from certcheck.summary.inputs import (
    SummaryInputError,
    load_registers,
    read_actions,
    read_enterprises,
)

__all__ = [
    "Action",
    "FormHeader",
    "Measure",
    "Summary",
    "SummaryInputError",
    "load_registers",
    "read_actions",
    "read_enterprises",
    "summarize",
    "summary_to_dict",
    "write_form",
]
