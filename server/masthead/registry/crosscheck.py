"""The checks that need every entry at once: owner references, ownership cycles, and the domain map."""

from __future__ import annotations

from ruamel.yaml.comments import CommentedSeq

from .fields import closest, item_pos, key_pos
from .model import Owner, Outlet

__all__ = ["CrossChecks"]


class CrossChecks:
    """Mixed into the loader's builder, which holds the entries' nodes (`owner_nodes`, `outlet_nodes`) and `_add`."""

    def _check_owner_refs(self, owners: dict[str, Owner], outlets: dict[str, Outlet]) -> None:
        for section, store in (("owners", self.owner_nodes), ("outlets", self.outlet_nodes)):
            for entry_id, (file, node, _) in store.items():
                key = "owned_by" if section == "owners" else ("owners" if "owners" in node else "owner")
                links = owners[entry_id].owned_by if section == "owners" else outlets[entry_id].owners
                for i, link in enumerate(links):
                    if link.owner not in owners:
                        close = closest(link.owner, owners)
                        value = node.get(key)
                        pos = item_pos(file, node, key, value, i) if isinstance(value, CommentedSeq) else key_pos(file, node, key, value=True)
                        self._add(*pos, f"unknown owner id '{link.owner}'",
                                  f"did you mean '{close}'?" if close else "define it under `owners:` first")
                funders = owners[entry_id].funded_by if section == "owners" else outlets[entry_id].funded_by
                for i, link in enumerate(funders):
                    if link.funder not in owners:
                        close = closest(link.funder, owners)
                        self._add(*item_pos(file, node, "funded_by", node.get("funded_by"), i), f"unknown funder id '{link.funder}'",
                                  f"did you mean '{close}'?" if close else "define the funder under `owners:` first")

    def _check_cycles(self, owners: dict[str, Owner]) -> None:
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        reported: set[frozenset] = set()

        def visit(owner_id: str, path: list[str]) -> None:
            state[owner_id] = 1
            for link in owners[owner_id].owned_by:
                if link.owner not in owners:
                    continue
                if state.get(link.owner) == 1:
                    cycle = path[path.index(link.owner):] + [owner_id, link.owner] if link.owner in path else [owner_id, link.owner]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        file, node, _ = self.owner_nodes[owner_id]
                        self._add(*key_pos(file, node, "owned_by"), "ownership cycle: " + " -> ".join(cycle),
                                  "an owner cannot own itself through others; remove one `owned_by` link")
                elif state.get(link.owner) is None:
                    visit(link.owner, path + [owner_id])
            state[owner_id] = 2

        for owner_id in owners:
            if owner_id not in state:
                visit(owner_id, [])

    def _index(self, outlets: dict[str, Outlet]) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
        hosts: dict[str, str] = {}
        paths: dict[str, list[tuple[str, str]]] = {}
        claimed: dict[str, str] = {}
        for outlet in sorted(outlets.values(), key=lambda o: not o.curated):
            file, node, _ = self.outlet_nodes[outlet.id]
            for key, rules in (("domains", outlet.domains), ("paths", outlet.paths)):
                for i, rule in enumerate(rules):
                    owner_of_rule = claimed.get(rule)
                    if owner_of_rule and owner_of_rule != outlet.id:
                        other = outlets[owner_of_rule]
                        if other.curated and not outlet.curated:
                            self._add(*item_pos(file, node, key, node.get(key), i),
                                      f"imported outlet '{outlet.id}' claims '{rule}', which curated outlet '{other.id}' has; the curated one wins",
                                      severity="warning")
                        else:
                            self._add(*item_pos(file, node, key, node.get(key), i),
                                      f"domain '{rule}' is claimed by two outlets: '{other.id}' and '{outlet.id}'",
                                      "a domain belongs to one outlet; use `paths:` for sections under one domain")
                        continue
                    claimed[rule] = outlet.id
                    if key == "domains":
                        hosts[rule] = outlet.id
                    else:
                        host, prefix = rule.split("/", 1)
                        paths.setdefault(host, []).append(("/" + prefix, outlet.id))
        for rules in paths.values():
            rules.sort(key=lambda r: -len(r[0]))
        return hosts, paths
