"""Russia's Ministry of Justice registers: foreign agents (its xlsx export, the CSV parsed from the PDF, or its JSON mirror) and undesirable organisations."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ... import untrusted
from .guess import read_csv, ru_date, website_host
from .model import ImportError_, ListInfo, Parsed
from .registers import Collected, RegisterMapping, is_media_name, register_label
from .xlsx import excel_date, is_xlsx, sheet_rows

__all__ = ["parse_ru_foreign_agents", "parse_ru_undesirable", "resource_hosts", "RU_FA_URL", "RU_FA_ISSUER",
           "RU_FA_LICENCE", "RU_UNDESIRABLE_URL", "RU_UNDESIRABLE_LICENCE"]

RU_FA_URL = "https://minjust.gov.ru/ru/documents/7755/"
RU_FA_ISSUER = "Ministry of Justice of the Russian Federation"
# Where a copy came from (the xlsx export, the PDF's JSON mirror) is added with `masthead import --licence`.
RU_FA_LICENCE = ("official publication of a state body, not an object of copyright (Civil Code of the Russian "
                 "Federation, Art. 1259(6))")
RU_UNDESIRABLE_URL = "https://minjust.gov.ru/ru/documents/7756/"
RU_UNDESIRABLE_LICENCE = ("official publication of a state body, not an object of copyright (Civil Code of the Russian "
                          "Federation, Art. 1259(6)); read from the Ministry's web page by the public fz255 project")

# Media entries of the register: entered under the mass-media law (the register of foreign media until
# December 2022), or, under the later laws, named or hosted as a media outlet (publication, journal, TV
# channel, media project ...). Associations, NGOs and people with a website are not media (issue 12).
RU_MEDIA_LAW = re.compile(r"2124-1|О средствах массовой информации", re.I)
RU_MEDIA_NAME = re.compile(r"издани|журнал|газет|медиа|media|телеканал|радио|информационн\w* (?:портал|агентств)|\bСМИ\b", re.I)
RU_MEDIA_TLDS = (".media", ".tv", ".news", ".press")
RU_COLUMNS = {
    "name": "Полное наименование/ФИО",
    "resource": "Информационный ресурс",
    "basis": "Основания включения",
    "included": "Дата принятия решения о включении",
    "excluded": "Дата принятия решения об исключении",
    "born": "Дата рождения",  # read only to tell a person from an organisation; never copied
}
# The JSON mirror of the same register (github.com/fz255/foreign-agents) names the PDF's columns in English.
# Only these are read: birth dates, OGRN/INN/SNILS, addresses and members (personal data) never are.
RU_JSON_KEYS = {"fullName": RU_COLUMNS["name"], "resources": RU_COLUMNS["resource"], "law": RU_COLUMNS["basis"],
                "dateIn": RU_COLUMNS["included"], "dateOut": RU_COLUMNS["excluded"], "id": "№ п/п",
                "dob": RU_COLUMNS["born"]}


def resource_hosts(text: str) -> tuple[list[str], Counter]:
    """The websites in an 'Информационный ресурс' cell (URLs run together, social profiles mixed in)."""
    skipped: Counter = Counter()
    spaced = re.sub(r"(https?://)", r" \1", text or "")
    hosts: list[str] = []
    for token in re.split(r"[\s,;«»]+", spaced):
        token = token.strip()
        if not token or "." not in token:
            continue
        host, why = website_host(token)
        if host is None:
            skipped[why] += 1
            continue
        if host not in hosts:
            hosts.append(host)
    return hosts, skipped


def _json_rows(path: Path, keys: dict[str, str], what: str) -> list[dict]:
    try:
        data = untrusted.loads(Path(path).read_bytes(), str(path))
    except untrusted.UntrustedError as exc:
        raise ImportError_(str(exc)) from None
    except ValueError as exc:
        raise ImportError_(f"{path} is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        data = data["values"]  # a page of the register's REST answer keeps its rows under `values`
    if not isinstance(data, list) or (data and not all(isinstance(r, dict) for r in data)):
        raise ImportError_(f"{path}: expected a list of {what} rows")
    if data and any(str(k).startswith("field_") for k in data[0]):
        # The Ministry's REST answer keys its columns field_1_i, field_2_s ... (as public clients of
        # reestrs.minjust.gov.ru read it). No real copy was found to tell which field is which date, so it is refused
        # rather than guessed.
        raise ImportError_(f"{path}: rows keyed {', '.join(sorted(map(str, data[0]))[:4])} ...: the Ministry's REST answer, whose "
                           f"columns are not mapped yet; import the register's JSON mirror (github.com/fz255) or its CSV")
    if data and not set(keys) <= set(data[0]):
        missing = ", ".join(sorted(set(keys) - set(data[0])))
        raise ImportError_(f"{path}: rows lack {missing}; is it {what}?")
    return [{keys[k]: str(v) if v is not None else "" for k, v in row.items() if k in keys} for row in data]


# The Ministry's xlsx export (reestrs.minjust.gov.ru): a title row, the export's date and time, then a header row.
# Its headers are long; each is known by how it starts. Only these columns are read: INN, OGRN, SNILS, addresses,
# members and bank accounts (personal data) never are.
RU_KIND = "Тип иностранного агента"
RU_XLSX_HEADERS = {"№ п/п": "№ п/п", "Полное наименование": RU_COLUMNS["name"], "Основания для включения": RU_COLUMNS["basis"],
                   "Дата принятия Минюстом России решения о включении": RU_COLUMNS["included"],
                   "Дата принятия Минюстом России решения об исключении": RU_COLUMNS["excluded"],
                   "Доменное имя информационного ресурса": RU_COLUMNS["resource"], RU_KIND: RU_KIND,
                   "Дата рождения": RU_COLUMNS["born"]}


def _xlsx_rows(path: Path) -> tuple[list[dict], str | None]:
    """The register's xlsx export: its rows, and the date the export states (its second row)."""
    what = "the Ministry of Justice's xlsx export of the register of foreign agents"
    sheet = sheet_rows(path, what)
    header = next((i for i, row in enumerate(sheet[:10]) if row and row[0].strip() == "№ п/п"), None)
    if header is None or not any("иностранных агентов" in " ".join(row) for row in sheet[:header]):
        raise ImportError_(f"{path}: no title 'Реестр иностранных агентов' and header '№ п/п' in its first rows; is it {what}?")
    columns = {}
    for index, title in enumerate(sheet[header]):
        key = next((k for prefix, k in RU_XLSX_HEADERS.items() if title.strip().startswith(prefix)), None)
        if key and key not in columns.values():
            columns[index] = key
    missing = {RU_COLUMNS["name"], RU_COLUMNS["resource"], RU_COLUMNS["included"]} - set(columns.values())
    if missing:
        raise ImportError_(f"{path}: the header row lacks {', '.join(sorted(missing))}; is it {what}?")
    rows = [{key: (row[i] if i < len(row) else "") for i, key in columns.items()} for row in sheet[header + 1:] if any(row)]
    stated = next((excel_date(row[0]) for row in sheet[1:header] if row and excel_date(row[0])), None)
    return rows, stated


def _rows(path: Path) -> tuple[list[dict], str | None]:
    if is_xlsx(path):
        return _xlsx_rows(path)
    head = Path(path).read_bytes()[:64].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith((b"[", b"{")):
        return _json_rows(path, RU_JSON_KEYS, "the foreign-agent register"), None
    rows = read_csv(path)
    if rows and RU_COLUMNS["resource"] not in rows[0]:
        raise ImportError_(f"{path} has no column '{RU_COLUMNS['resource']}'; is it the register's CSV export?")
    return rows, None


def parse_ru_foreign_agents(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """The unified register of foreign agents: the Ministry's xlsx export, the CSV of its PDF (Russian column names) or
    the JSON mirror of the PDF."""
    rows, stated = _rows(path)
    out = Collected()
    dates: list[str] = []
    registers = registers or RegisterMapping()
    for number, row in enumerate(rows, start=2):
        dates += [d for d in (ru_date(row.get(RU_COLUMNS[k]) or "") for k in ("included", "excluded")) if d]
        name = re.sub(r"\s+", " ", (row.get(RU_COLUMNS["name"]) or "").strip())
        entry_id = (row.get("№ п/п") or "").strip()
        hosts, _ = resource_hosts(row.get(RU_COLUMNS["resource"]) or "")
        out.saw("Register of foreign agents", entry_id, hosts, ru_date(row.get(RU_COLUMNS["excluded"]) or ""))
        rule = registers.find(info.format, entry_id, name)
        if rule is not None and rule.hosts:
            hosts = list(rule.hosts)
        if not hosts:
            out.skip("no website among its information resources")
            continue
        if rule is None and ((row.get(RU_COLUMNS["born"]) or "").strip() or (row.get(RU_KIND) or "").startswith("Физическ")):
            # A person (a birth date, or typed "Физические лица"): their pages are not an outlet, and their data stays out.
            out.skip("a person (personal data is not imported)")
            continue
        basis = re.sub(r"\s+", " ", (row.get(RU_COLUMNS["basis"]) or "").strip())
        if rule is None and not (RU_MEDIA_LAW.search(basis) or RU_MEDIA_NAME.search(name) or hosts[0].endswith(RU_MEDIA_TLDS)):
            out.skip("not a media entry (an association, NGO or person with a website)")
            continue
        since = ru_date(row.get(RU_COLUMNS["included"]) or "")
        if since is None:
            out.skip("no valid inclusion date")
            continue
        until = ru_date(row.get(RU_COLUMNS["excluded"]) or "")
        label = register_label(info, "foreign-agent", "RU", since, until, instrument=basis or None)
        out.add(entry_id, name or hosts[0], hosts, label, number, rule, "Register of foreign agents")
    if stated:
        return out.parsed(len(rows), stated, "the date the register's export states")
    return out.parsed(len(rows), max(dates) if dates else None, "the latest inclusion or exclusion decision in the file")


UNDESIRABLE = "Register of undesirable organisations,"
RU_UNDESIRABLE_KEYS = {"id": "id", "fullName": "name", "decisionInMinjust": "in_minjust", "decisionInGenproc": "in_prosecutor",
                       "decisionOutMinjust": "out_minjust", "decisionOutGenproc": "out_prosecutor",
                       "dateIn": "included", "dateOut": "excluded"}


def parse_ru_undesirable(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """The register of undesirable organisations (JSON rows of the Ministry's table). It gives no websites: an
    organisation becomes an outlet only through the curated mapping, and only a media organisation is counted."""
    rows = _json_rows(path, RU_UNDESIRABLE_KEYS, "the register of undesirable organisations")
    out = Collected()
    dates: list[str] = []
    registers = registers or RegisterMapping()
    for number, row in enumerate(rows, start=1):
        dates += [d for d in (ru_date(row.get(k) or "") for k in ("included", "excluded")) if d]
        name = re.sub(r"\s+", " ", row.get("name") or "").strip()
        out.saw(UNDESIRABLE, row.get("id", ""))
        rule = registers.find(info.format, row.get("id", ""), name)
        if rule is None or not rule.hosts:
            out.skip("a media organisation the mapping does not give a website for" if is_media_name(name)
                     else "not a media organisation")
            continue
        since = ru_date(row.get("included") or "")
        if since is None:
            out.skip("no valid inclusion date")
            continue
        decisions = [f"Prosecutor General's decision {row['in_prosecutor'].strip()}" if row.get("in_prosecutor", "").strip() else "",
                     f"Ministry of Justice decision {row['in_minjust'].strip()}" if row.get("in_minjust", "").strip() else ""]
        label = register_label(info, "undesirable-organisation", "RU", since, ru_date(row.get("excluded") or ""),
                               instrument="; ".join(d for d in decisions if d) or None,
                               note=f"Listed as: {name}")
        out.add(row.get("id", ""), name, list(rule.hosts), label, number, rule, UNDESIRABLE)
    return out.parsed(len(rows), max(dates) if dates else None, "the latest inclusion or exclusion decision in the file")
