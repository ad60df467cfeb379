"""`huitou kb import|export|ask|eval`: the knowledge base from the command line."""

import csv
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from huitou.core.spreadsheet import safe_row
from huitou.knowledge.engine import current_index
from huitou.knowledge.evaluation import evaluate, read_cases
from huitou.knowledge.importing import import_faq, read_rows
from huitou.knowledge.models import FaqEntry


class Command(BaseCommand):
    help = "知识库：导入、导出、提问、评测。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="从 CSV/XLSX 导入（按标准问题更新，不重复）")
        imp.add_argument("file")
        imp.add_argument("--skip-bad", action="store_true", help="跳过有错的行，导入其余的")
        exp = sub.add_parser("export", help="导出为 CSV")
        exp.add_argument("file")
        ask = sub.add_parser("ask", help="向机器人提问；不带问题时每行读一个问题")
        ask.add_argument("question", nargs="?")
        ev = sub.add_parser("eval", help="评测：CSV 列 question, expected_question")
        ev.add_argument("file")

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _import(self, options):
        path = Path(options["file"])
        try:
            rows = read_rows(path)
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from None
        report = import_faq(actor=None, rows=rows, skip_bad=options["skip_bad"])
        for line in report.errors:
            self.stderr.write(line)
        if report.errors and not options["skip_bad"]:
            raise CommandError(
                f"{len(report.errors)} 行有错，未导入任何条目（可用 --skip-bad 跳过）。"
            )
        self.stdout.write(
            f"新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}"
            + (f"，跳过 {len(report.errors)} 行" if report.errors else "")
            + "。"
        )

    def _export(self, options):
        path = Path(options["file"])
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["category", "question", "answer", "similar_questions"])
            for entry in FaqEntry.objects.select_related("category").prefetch_related("similar"):
                writer.writerow(
                    safe_row([entry.category.name, entry.question, entry.answer,
                              "|".join(s.text for s in entry.similar.all())])
                )  # fmt: skip
        self.stdout.write(f"已导出 {FaqEntry.objects.count()} 条到 {path}。")

    def _ask(self, options):
        questions = [options["question"]] if options["question"] else (
            line.strip() for line in sys.stdin
        )  # fmt: skip
        for question in questions:
            if not question:
                continue
            # What the bot would say: the chat channel's entries only.
            result = current_index(embed_all=True).search(question, channel=FaqEntry.Channel.CHAT)
            self.stdout.write(json.dumps(result_json(result), ensure_ascii=False))

    def _eval(self, options):
        path = Path(options["file"])
        try:
            cases = read_cases(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from None
        index = current_index(embed_all=True)
        report = evaluate(
            cases, lambda question: index.search(question, channel=FaqEntry.Channel.CHAT)
        )
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


def result_json(result) -> dict:
    """The bot's answer shape (without a conversation: that is the API's)."""
    top = result.candidates[0] if result.candidates else None
    answer = None
    if result.decision == "answer" and top is not None:
        answer = FaqEntry.objects.filter(pk=top.entry_id).values_list("answer", flat=True).first()
    return {
        "answer": answer,
        "faq_id": top.entry_id if result.decision == "answer" and top else None,
        "faq_question": top.question if result.decision == "answer" and top else None,
        "confidence": result.confidence,
        "handoff": result.decision == "handoff",
        "suggestions": [
            {"faq_id": c.entry_id, "question": c.question, "score": c.score}
            for c in result.candidates
        ]
        if result.decision == "clarify"
        else [],
        "conversation": None,
    }
