"""What each input-issue code means, in Chinese for the person who reads the register.

The codes stay in the register for programs (JSON ``input_issues``, the workbook's 代码
column); a person reads the explanation beside them.
"""

from __future__ import annotations

#: code → (问题, 怎么办): what was found, and what the reader did or what the user should do.
ISSUE_CODES: dict[str, tuple[str, str]] = {
    "id_precision_lost": ("身份证号被存成了数字，末几位已丢失",
                          "该人未核验；把该列设为文本格式后重新录入身份证号"),
    "invalid_id": ("身份证号无效（校验位或出生日期不对）", "该人未核验；请核对身份证号"),
    "missing_field": ("缺少姓名或身份证号", "该人未核验；请补全后重新核验"),
    "id_normalised": ("身份证号中的空格、全角字符或小写 x 已自动统一", "无需处理"),
    "name_normalised": ("姓名中的空格、全角字符或间隔号已自动统一", "无需处理"),
    "name_note_removed": (
        "姓名前后的备注或标记（如“（班长）”“【外协】”“2”“*”）已去掉，只用姓名核验", "无需处理",
    ),
    "name_unreadable": ("姓名含乱码（? 或 �），多为另存时编码丢失", "该人未核验；请重新录入姓名"),
    # Written by registers of earlier versions, which read such a date as none.
    "bad_date": ("日期无法识别，已忽略", "请改成 2021-03-05 这样的日期"),
    "unreadable_cell": ("单元格无法识别（错误值、未计算的公式、不是日期或证号的文字等）",
                        "该人未核验；请改正该单元格后重新核验"),
    "example_row": ("示例行（示例、样例、例：），不是人员，已跳过", "无需处理"),
    "id_shared": ("同一身份证号出现在两行，姓名却不同（多半是复制粘贴错了）",
                  "请核对这两行的身份证号；官方记录中没有其姓名的一行未核验"),
    "cert_number_precision_lost": ("证号被存成了数字，可能已丢位，未与官方证号比对",
                                   "把该列设为文本格式后重新录入证号"),
    "header_two_rows": ("表头占两行，已合并识别", "无需处理"),
    "unknown_column": ("有未识别的列，已忽略", "如该列有用，请改用常见的列名"),
    "duplicate_column": ("有两列含义相同，只读取了前一列", "请删除或改名重复的列"),
    "column_by_values": ("表头含义不明，按列中的内容认定了身份证号等列", "请核对列名"),
    "repeated_header": ("表格中间重复出现表头行，已跳过", "无需处理"),
    "hint_row": ("表头下的填写提示行（如“（必填）”“格式：YYYY-MM-DD”），已跳过", "无需处理"),
    "several_tables": ("一张工作表中有多张表（上下相接或左右并排），已按各自的表头分别读取",
                       "请核对每张表的人员都已读到"),
    "hidden_sheet_used": ("可见的工作表中没有花名册，读取了隐藏的工作表", "请确认读取的是正确的表"),
    "instruction_sheet_used": ("读取了名称像说明或示例的工作表", "请确认其中不是示例人员"),
    "sheet_unreadable": ("有工作表无法读取，已跳过", "请用 Excel 或 WPS 打开后另存为 .xlsx"),
    "sheet_ignored": ("文件只有一张表，--sheet 被忽略", "无需处理"),
    "format_mismatch": ("文件的实际格式与扩展名不符，已按实际格式读取", "建议另存为真正的 .xlsx"),
    "encoding_gb18030": ("文件不是 UTF-8 编码，已按 GBK/GB18030 读取", "无需处理"),
    "encoding_mixed": ("文件混有 UTF-8 和 GBK 编码的行，已逐行识别", "建议另存为统一编码的文件"),
}

UNKNOWN = ("其他输入问题", "见说明")


def explain(code: str) -> tuple[str, str]:
    """(问题, 怎么办) for ``code``; a code from a newer version gets a generic line."""
    return ISSUE_CODES.get(code, UNKNOWN)
