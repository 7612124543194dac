"""Published lists in: parse a list (peer lists and issuers' registers), merge it into lists/<name>.yaml, keep subscriptions fresh."""

from .guess import country_code, host_id, ru_date, slug, tld_country, website_host
from .merge import ImportReport, download, run_import, subscriptions, update_lists
from .model import Candidate, Format, ImportError_, ListInfo, Parsed
from .parsers import FORMATS, parse_mapping, resource_hosts
from .registers import MAPPING_FILE, load_register_mapping, parse_date

__all__ = [
    "FORMATS", "ImportReport", "run_import", "update_lists", "subscriptions", "download", "ImportError_", "parse_mapping",
    "Candidate", "Format", "ListInfo", "Parsed", "country_code", "website_host", "slug", "host_id", "tld_country",
    "ru_date", "resource_hosts", "MAPPING_FILE", "load_register_mapping", "parse_date",
]
