"""Printing a node's rules: kube-proxy's ``iptables-restore`` input and ``iptables-save``.

* :func:`restore_input` is the text kube-proxy hands to ``iptables-restore --noflush``:
  the kube-proxy chains of each table, then its rules in the order it wrote them (what
  ``pkg/proxy/iptables/proxier_test.go`` compares against).
* :func:`iptables_save` is what ``iptables-save -t filter -t nat`` shows on the node for
  these rules: each table with its built-in chains (``:PREROUTING ACCEPT [0:0]``) and the
  jumps kube-proxy and the kubelet put there, the user chains sorted by name, and the
  rules grouped by chain (legacy iptables keeps chains sorted). By default each rule is
  printed with kube-proxy's own arguments, probabilities as ``%0.10f``; with
  ``kernel=True`` it is printed the way ``iptables-save`` reads it back from the kernel:
  addresses with their ``/32``, ``-s``/``-d``/``-p`` first, the ``-m tcp --dport`` match
  after the comment, comments quoted, ``MARK --set-xmark``, ``REJECT --reject-with
  icmp-port-unreachable``, the recent match's defaults, and the statistic probability as
  the kernel stores it (``lround(p * 2^31) / 2^31`` printed with ``%.11f``: ``0.33333333349``).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.proxy.rules import BUILTIN_CHAINS, JUMPS, NodeRules, Rule

TABLES = ("filter", "nat")
_SAFE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def restore_input(rules: NodeRules) -> str:
    """kube-proxy's ``iptables-restore`` input for the node."""
    out = ["*filter"]
    out += [f":{c} - [0:0]" for c in rules.filter_chains]
    out += [r.line() for r in rules.filter_rules]
    out += ["COMMIT", "*nat"]
    out += [f":{c} - [0:0]" for c in rules.nat_chains]
    out += [r.line() for r in rules.nat_rules]
    out.append("COMMIT")
    return "\n".join(out) + "\n"


def iptables_save(rules: NodeRules, *, kernel: bool = False) -> str:
    """``iptables-save`` of the node's filter and nat tables."""
    out: list[str] = []
    for table in TABLES:
        own = rules.filter_chains if table == "filter" else rules.nat_chains
        body = [r for r in JUMPS if r.table == table] + list(rules.rules(table))
        builtins = BUILTIN_CHAINS[table]
        user = sorted(set(own))
        out.append(f"*{table}")
        out += [f":{c} ACCEPT [0:0]" for c in builtins]
        out += [f":{c} - [0:0]" for c in user]
        for chain in (*builtins, *user):
            out += [_line(r, kernel) for r in body if r.chain == chain]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def _line(rule: Rule, kernel: bool) -> str:
    return rule.line() if not kernel else " ".join(("-A", rule.chain, *normalise(rule.args)))


# -- what the kernel gives back ---------------------------------------------------------------


def _address(value: str) -> str:
    return value if "/" in value else f"{value}/32"


def _quote(text: str) -> str:
    """``xtables_save_string``: quote unless made only of safe characters."""
    text = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    if text and all(c in _SAFE for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kernel_probability(text: str) -> str:
    """libxt_statistic: stored as ``lround(0x80000000 * p)``, printed ``%.11f``."""
    stored = int(float(text) * 0x80000000 + 0.5)
    return f"{stored / 0x80000000:.11f}"


def normalise(args: Iterable[str]) -> list[str]:
    """kube-proxy's arguments as ``iptables-save`` prints the rule back."""
    tokens = list(args)
    src = dst = proto = ""
    matches: list[tuple[str, list[str]]] = []
    target: list[str] = []
    negate = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "!":
            negate = True
            i += 1
            continue
        if tok in ("-s", "-d", "-p"):
            value = tokens[i + 1]
            text = ("! " if negate else "") + (value if tok == "-p" else _address(value))
            if tok == "-s":
                src = text
            elif tok == "-d":
                dst = text
            else:
                proto = text
            negate = False
            i += 2
            continue
        if tok == "-m":
            matches.append((tokens[i + 1], []))
            i += 2
            continue
        if tok == "-j":
            target = tokens[i + 1:]
            break
        # an option of the current match; --dport belongs to the protocol match
        owner = next((m for m in reversed(matches) if m[0] in ("tcp", "udp", "sctp")), None) \
            if tok in ("--dport", "--sport") else (matches[-1] if matches else None)
        if owner is None:
            i += 1
            continue
        if negate:
            owner[1].append("!")
            negate = False
        owner[1].append(tok)
        if i + 1 < len(tokens) and not tokens[i + 1].startswith("-") and tokens[i + 1] != "!":
            owner[1].append(tokens[i + 1])
            i += 2
        else:
            i += 1
    out: list[str] = []
    for flag, text in (("-s", src), ("-d", dst)):
        if text:
            out += (["!", flag, text[2:]] if text.startswith("! ") else [flag, text])
    if proto:
        out += ["-p", proto]
    for module, options in matches:
        out += ["-m", module, *_module_options(module, options)]
    if target:
        out += ["-j", *_target(target)]
    return out


def _module_options(module: str, options: list[str]) -> list[str]:
    if module == "comment":
        return ["--comment", _quote(options[1])] if len(options) > 1 else options
    if module == "statistic":
        out = list(options)
        if "--probability" in out:
            k = out.index("--probability")
            out[k + 1] = kernel_probability(out[k + 1])
        return out
    if module == "recent":
        name = options[options.index("--name") + 1] if "--name" in options else "DEFAULT"
        if "--set" in options:
            return ["--set", "--name", name, "--mask", "255.255.255.255", "--rsource"]
        seconds = options[options.index("--seconds") + 1] if "--seconds" in options else ""
        out = ["--rcheck"]
        if seconds:
            out += ["--seconds", seconds]
        if "--reap" in options:
            out.append("--reap")
        return out + ["--name", name, "--mask", "255.255.255.255", "--rsource"]
    return options


def _target(target: list[str]) -> list[str]:
    name, rest = target[0], target[1:]
    if name == "MARK" and rest[:1] == ["--or-mark"]:
        return ["MARK", "--set-xmark", f"{rest[1]}/{rest[1]}"]
    if name == "MARK" and rest[:1] == ["--xor-mark"]:
        return ["MARK", "--set-xmark", f"{rest[1]}/0x0"]
    if name == "REJECT" and not rest:
        return ["REJECT", "--reject-with", "icmp-port-unreachable"]
    return target


__all__ = ["iptables_save", "kernel_probability", "normalise", "restore_input"]
