"""Which mentions are one institution (design section 5): two mentions are the same institution when their
normalised names are equal or they share a phone number, and so on transitively; the district's merges join two
institutions and its splits cut a phone from a name. One rule, for the mentions of any day (domain.casework.
institutions) and for the groups kept for today (domain.casework.mentions)."""


class _UnionFind:
    def __init__(self):
        self.parent = {}

    def add(self, item):
        self.parent.setdefault(item, item)

    def find(self, item):
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller identifier is the root, so a group's key is its smallest identifier ("n:" < "p:").
            low, high = sorted((ra, rb))
            self.parent[high] = low


def identifiers_of(name_key, phone, splits=()):
    """A mention's identifiers: "n:<name key>" and "p:<phone digits>", as far as it has them; when the district
    split this phone from this name, the name alone."""
    found = ([f"n:{name_key}"] if name_key else []) + ([f"p:{phone}"] if phone else [])
    if len(found) == 2 and tuple(found) in splits:
        return found[:1]  # the district said this phone is not this name's: the name wins
    return found


def match_groups(items, decisions):
    """{item: group key} for items [(item, name key, phone, anchor)]: the smallest identifier of its institution,
    or its own anchor when it names no identifiable institution (a case of its own, design section 9)."""
    splits = {(d.key_a, d.key_b) for d in decisions if d.kind == "split"}
    groups = _UnionFind()
    found = {}
    for item, name_key, phone, anchor in items:
        ids = identifiers_of(name_key, phone, splits)
        for identifier in ids:
            groups.add(identifier)
        if len(ids) == 2:
            groups.union(*ids)
        found[item] = (ids, anchor)
    for decision in decisions:
        if decision.kind == "merge" and decision.key_a in groups.parent and decision.key_b in groups.parent:
            groups.union(decision.key_a, decision.key_b)
    return {item: groups.find(ids[0]) if ids else anchor for item, (ids, anchor) in found.items()}
