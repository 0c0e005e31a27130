"""A street's roster spreadsheet read into rows, and the template it fills (design section 11).

Streets keep their 实有房屋/实有单位 lists in whatever Excel, WPS or the grid system saved: .xlsx, or CSV in UTF-8
(with or without BOM) or GB18030/GBK, often with a title row above the headers and headers that are a variant of
the design's words. Reading only finds the columns and turns cells into trimmed text with the row number a person
sees in Excel; checking the values (居委, type, duplicates) is the import's job. Files arrive from the web, so
reading is defensive: the format is decided by content, an .xlsx is measured before it is expanded, and rows are
streamed so that reading stops as soon as the row limit is passed. Every refusal is a RosterFileError whose text
tells the person who uploaded the file what to do, in Chinese.
"""
import codecs
import csv
import datetime
import io
import sys
import warnings
import zipfile
from dataclasses import dataclass

import openpyxl
import xlsxwriter

from domain.common.codes import UNIT_TYPES
from domain.common.normalise import address_key

# The six fields a roster row has, in the order of a row's tuple, and the header words that name each; the first
# word is the design's own, the one messages and the template use.
HEADERS = {
    "community_code": ("居委代码", "社区代码", "居委编码"),
    "community": ("居委", "居委会", "社区", "所属居委", "居委会名称"),
    "address": ("地址", "详细地址", "房屋地址", "门牌地址", "住址"),
    "type": ("单位类型", "类型", "房屋类型", "类别"),
    "name": ("名称", "单位名称", "商户名称"),
    "building": ("楼栋", "楼号", "幢"),
}
FIELDS = tuple(HEADERS)
HEADER_SEARCH_ROWS = 10  # title rows a sheet may have above its headers, plus the header row itself
SHEET_NAME = "底数清单"
TEMPLATE_EXAMPLE = ("310105001001", "华阳一居委", "仙霞路350弄3号201室", UNIT_TYPES["household"], "", "3号")

NOT_A_SPREADSHEET = "文件不是 .xlsx 或 CSV 表格：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV（逗号分隔）后再导入"
OLD_XLS = "旧版 .xls 文件不能直接导入：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后再导入"
WEB_PAGE = ("文件是网页或 XML 格式（系统导出的 .xls 常是这样）：请在 Excel 或 WPS 中打开后另存为 .xlsx 或 CSV"
            "再导入")
EMPTY = "文件是空的：没有任何内容。请确认选对了文件，表头为 居委代码（或 居委）、地址 等列"
NO_DATA = "文件只有表头，没有数据行：请在表头下面每行填写一个单位后再导入"

# Signatures of files people pick by mistake that could otherwise pass for text (a PDF often decodes as GB18030).
_BINARY_STARTS = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BM")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
_CHUNK = 1 << 20
# Cells are trimmed of every Unicode space (U+3000, the last code point Python counts as one, and NBSP included)
# and of the invisible marks that pasting from web pages leaves (zero-width space, a stray BOM).
_TRIM = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "\u200b\ufeff"


class RosterFileError(ValueError):
    """A roster file that cannot be read; str() is the message for the person who uploaded it."""


@dataclass
class RosterSheet:
    """columns: {field: the header as written in the file} for the fields found; rows: (row_number,
    community_code, community, address, type, name, building), each field trimmed text, "" when absent."""
    columns: dict
    rows: list


def header_key(text):
    """A header as compared: NFKC, no whitespace, without the "*" and "：" people add to mark required columns."""
    return address_key(text).lstrip("*").rstrip(":*")


_FIELD_OF_HEADER = {header_key(word): field for field, words in HEADERS.items() for word in words}


def cell_text(value):
    """A cell as the text a person sees: numbers without a trailing ".0", dates as YYYY-MM-DD, trimmed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(_TRIM)
    if type(value) is int:
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # 15 significant digits is what Excel shows, so 0.1+0.2 reads "0.3"; codes stored as numbers are whole.
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value).strip(_TRIM)


def read_roster(data: bytes, filename: str = "", max_rows: int = 200_000,
                max_unzipped: int = 200 * 1024 * 1024) -> RosterSheet:
    """The roster in `data`, an .xlsx or a CSV file (decided by content; `filename` is not trusted and not used).
    Raises RosterFileError for a file that is not a roster, has no recognisable headers, or is too large."""
    if not data:
        raise RosterFileError(EMPTY)
    if data.startswith(_ZIP):
        return _read_xlsx(data, max_rows, max_unzipped)
    if data.startswith(_OLE):
        raise RosterFileError(OLD_XLS)
    return _sheet_from(_csv_records(data), max_rows)


# --- finding the headers and the rows -----------------------------------------------------------------------


def _sheet_from(records, max_rows):
    """The RosterSheet of `records` ((row number, cells) for every row of the file, blank ones included): the
    header row is the first of the first HEADER_SEARCH_ROWS non-blank rows that names an address and a 居委."""
    looked_at = []
    positions = None
    rows = []
    intern = sys.intern
    for number, cells in records:
        if positions is None:
            texts = [cell_text(cell) for cell in cells]
            if not any(texts):
                continue
            found = _fields_in(texts)
            if "address" in found and ("community_code" in found or "community" in found):
                columns = {field: texts[at] for field, at in found.items()}
                positions = [found.get(field) for field in FIELDS]
                continue
            looked_at.append((texts, found))
            if len(looked_at) == HEADER_SEARCH_ROWS:
                break
            continue
        size = len(cells)  # rows end at their last filled cell
        code, community, address, unit_type, name, building = (
            "" if at is None or at >= size else cell_text(cells[at]) for at in positions)
        # A row with nothing in the roster's columns (only a 序号 or a 备注, or nothing at all) is not a unit.
        if not (code or community or address or unit_type or name or building):
            continue
        if len(rows) == max_rows:
            raise RosterFileError(f"行数超过上限 {max_rows:,} 行：请把文件按居委拆成几个文件，分别导入")
        rows.append((number, intern(code), intern(community), address, intern(unit_type), name, intern(building)))
    if positions is None:
        raise RosterFileError(_missing_columns(looked_at) if looked_at else EMPTY)
    if not rows:
        raise RosterFileError(NO_DATA)
    return RosterSheet(columns=columns, rows=rows)


def _fields_in(texts):
    """{field: column index} of the header words in a row; the first column wins when two name one field."""
    found = {}
    for at, text in enumerate(texts):
        field = _FIELD_OF_HEADER.get(header_key(text)) if text else None
        if field and field not in found:
            found[field] = at
    return found


def _missing_columns(looked_at):
    """The message for a file without a header row: what is missing, quoting the row that came closest."""
    texts, found = max(looked_at, key=lambda row: len(row[1]))  # max keeps the first of equals
    missing, fixes = [], []
    if "community_code" not in found and "community" not in found:
        missing.append("「居委代码」或「居委」")
        fixes.append(f"{_choices('community_code')}或{_choices('community')}")
    if "address" not in found:
        missing.append("「地址」")
        fixes.append(_choices("address"))
    headers = [text for text in texts if text]
    quoted = "、".join(text if len(text) <= 20 else text[:20] + "…" for text in headers[:12])
    if len(headers) > 12:
        quoted += "…"
    return f"找不到必填列{'和'.join(missing)}。表头为：{quoted}。请把列名改为{'，以及'.join(fixes)}"


def _choices(field):
    first, *others = HEADERS[field]
    return f"「{first}」（或 {'、'.join(others)}）"


# --- .xlsx --------------------------------------------------------------------------------------------------


def _read_xlsx(data, max_rows, max_unzipped):
    # The sizes the zip declares bound what reading it can expand to (zipfile stops at the declared size), so
    # a small file that would expand to gigabytes is refused here, before anything is decompressed.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise RosterFileError(NOT_A_SPREADSHEET) from error
    if unzipped > max_unzipped:
        size, limit = (f"{count / 1024 / 1024:,.0f} MB" for count in (unzipped, max_unzipped))
        raise RosterFileError(f"文件解压后过大（{size}，上限 {limit}）：请只保留底数清单这一张表，"
                              "删去图片和其他工作表后再导入")
    with warnings.catch_warnings():
        # openpyxl warns about parts it drops (extensions, a missing stylesheet); none of them hold cell values.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # a zip that is not a workbook fails in many ways (KeyError, XML errors …)
            raise RosterFileError(NOT_A_SPREADSHEET) from error
        try:
            if not book.worksheets:
                raise RosterFileError(EMPTY)
            sheet = book.worksheets[0]
            # The stored dimension is often wrong in files from other programs and would cut reading short.
            sheet.reset_dimensions()
            return _sheet_from(enumerate(_broken_file_refused(sheet.iter_rows(values_only=True)), 1), max_rows)
        finally:
            book.close()


def _broken_file_refused(rows):
    """`rows` as they come, with a failure of the parser half-way (bad XML, a damaged zip entry) turned into a
    RosterFileError rather than a crash."""
    rows = iter(rows)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:
            raise RosterFileError(NOT_A_SPREADSHEET) from error
        yield row


# --- CSV ----------------------------------------------------------------------------------------------------


def _csv_records(data):
    """(record number, fields) for every record of a CSV file, decoded and split as Excel would."""
    encoding = _text_encoding(data)
    head = data[:64 * 1024].decode(encoding, errors="ignore")
    if head.lstrip("\ufeff \t\r\n").startswith("<"):
        raise RosterFileError(WEB_PAGE)
    # Text has next to no control characters; a binary file without NULs that happens to decode has many.
    controls = sum(1 for ch in head if ch < " " and ch not in "\t\r\n")
    if controls > 2 + len(head) // 100:
        raise RosterFileError(NOT_A_SPREADSHEET)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=_delimiter(head))
    number = 0
    try:
        for number, fields in enumerate(reader, 1):
            yield number, fields
    except csv.Error as error:
        raise RosterFileError(f"文件第 {number + 1} 行无法按 CSV 读取（可能是引号不成对）："
                              "请在 Excel 或 WPS 中打开后另存为 .xlsx 或 CSV 再导入") from error
    except UnicodeDecodeError as error:  # a BOM that promised an encoding the rest of the file breaks
        raise RosterFileError(f"文件第 {number + 1} 行附近有无法识别的字符：请在 Excel 或 WPS 中另存为"
                              " .xlsx 或 CSV UTF-8 后再导入") from error


def _text_encoding(data):
    """The encoding of a CSV file: a BOM says it; else UTF-8 if it decodes strictly, else GB18030 (a superset of
    GBK, what Excel and WPS save in China). Anything else is not text."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode 文本"
        return "utf-16"
    if b"\x00" in data or data.startswith(_BINARY_STARTS):
        raise RosterFileError(NOT_A_SPREADSHEET)
    for encoding in ("utf-8", "gb18030"):
        if _decodes(data, encoding):
            return encoding
    raise RosterFileError(NOT_A_SPREADSHEET)


def _decodes(data, encoding):
    """Whether `data` decodes strictly, checked in chunks so that a large file is never held twice as text."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start:start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(head):
    """Comma, unless the first lines say tab or semicolon (what Excel saves as "文本文件(制表符分隔)" or in a
    locale with a decimal comma)."""
    sample = "\n".join(head.splitlines()[:HEADER_SEARCH_ROWS + 1])
    try:
        found = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        return ","
    # The sniffer can be swayed by addresses written "1号;2号"; a real separator outnumbers the commas.
    return found if sample.count(found) > sample.count(",") else ","


# --- the template -------------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The .xlsx a street fills: the design's headers, one example row, and the unit types as a drop-down."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(SHEET_NAME)
    header = book.add_format({"bold": True, "bg_color": "#E7ECF3", "border": 1, "align": "center"})
    example = book.add_format({"font_color": "#6B7280"})
    as_text = book.add_format({"num_format": "@"})  # so that a typed 居委代码 stays 12 digits, not 3.10105E+11
    headers = [words[0] for words in HEADERS.values()]
    for col, width in enumerate((16, 16, 34, 16, 26, 10)):
        sheet.set_column(col, col, width, as_text if col == 0 else None)
    for col, text in enumerate(headers):
        sheet.write_string(0, col, text, header)
    for col, text in enumerate(TEMPLATE_EXAMPLE):
        if text:
            sheet.write_string(1, col, text, example)
    labels = list(UNIT_TYPES.values())
    sheet.data_validation(1, FIELDS.index("type"), 200_000, FIELDS.index("type"), {
        "validate": "list", "source": labels, "error_type": "warning",
        "input_title": "单位类型", "input_message": "从列表中选择；不填即为居民户",
        "error_title": "单位类型", "error_message": "请从列表中选择：" + "、".join(labels)})
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
