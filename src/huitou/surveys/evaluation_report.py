"""The evaluation round's pages: the stored figures labelled in the reader's language, with
display values, and the stage steps."""

from django.utils.translation import gettext as _

from .evaluation import STAGES, Input, Stage
from .models import EvaluationRound, Indicator


def _display(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "share":
        return f"{value * 100:.1f}%"
    return f"{value}"


def report_rows(results: dict) -> dict:
    """The stored figures with their labels in the reader's language and display values."""
    names = dict(Indicator.choices)
    indicators = [
        {
            **row,
            "label": names.get(row["indicator"], row["indicator"]),
            "mean_display": _display(row["mean"], "score"),
            "top_two_display": _display(row["top_two"], "share"),
            "importance_display": _display(row["importance"], "score"),
        }
        for row in results.get("indicators", [])
    ]
    questions = [
        {
            **row,
            "label": names.get(row["indicator"], row["indicator"]),
            "mean_display": _display(row["mean"], "score"),
            "top_two_display": _display(row["top_two"], "share"),
        }
        for row in results.get("questions", [])
    ]
    inputs = dict(Input.choices)
    measures = [
        {
            **row,
            "label": _(row["label"]),
            "indicator_label": names.get(row["indicator"], _("总体")),
            "input_label": inputs.get(row["input"], _("服务记录")),
            "display": _display(row["value"], row["unit"]),
        }
        for row in results.get("measures", [])
    ]
    by_indicator = {
        row["indicator"]: {**row, "measures": [m for m in measures if m["indicator"] == key]}
        for key, row in ((row["indicator"], row) for row in indicators)
    }
    overall = results.get("overall") or {}
    return {
        "indicators": indicators,
        "by_indicator": list(by_indicator.values()),
        "questions": questions,
        "measures": measures,
        "overall_measures": [m for m in measures if not m["indicator"]],
        "overall": {
            **overall,
            "mean_display": _display(overall.get("mean"), "score"),
            "top_two_display": _display(overall.get("top_two"), "share"),
        },
        "process": results.get("process") or {},
        "collect": {
            **(results.get("collect") or {}),
            "rate_display": _display((results.get("collect") or {}).get("rate"), "share"),
        },
    }


def stage_steps(round_: EvaluationRound) -> list[dict]:
    here = STAGES.index(round_.stage)
    return [
        {"value": stage.value, "label": stage.label, "number": index + 1,
         "state": "done" if index < here else "current" if index == here else "todo"}
        for index, stage in enumerate(Stage)
    ]  # fmt: skip
