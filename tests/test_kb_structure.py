"""The structure of the knowledge base itself (kb/*.lp, read through pyrules.engine.kb):
properties every scenario's answer relies on, whatever the scenario."""

from __future__ import annotations


# --- moved from test_issue10_cases.py: the KB is stratified ---
def test_kb_has_no_cycle_through_negation():
    """Exactly one answer set for every scenario needs a stratified KB: no predicate depends
    on itself through 'not' (the foundry presumption reads designer status and decides an
    item's class, so the designer tests must not read the class back)."""
    import sys
    import clingo.ast as ast
    from pyrules.engine import kb

    edges: dict = {}

    def sig(a):
        if a.ast_type == ast.ASTType.SymbolicAtom and a.symbol.ast_type == ast.ASTType.Function:
            return (a.symbol.name, len(a.symbol.arguments))
        return None

    def lits(body):
        for b in body:
            if b.ast_type == ast.ASTType.Literal:
                s = sig(b.atom)
                if s:
                    yield s, b.sign != ast.Sign.NoSign
            elif b.ast_type == ast.ASTType.ConditionalLiteral:
                s = sig(b.literal.atom)
                if s:
                    yield s, b.literal.sign != ast.Sign.NoSign
                for c in b.condition:
                    s = sig(c.atom)
                    if s:
                        yield s, True

    def visit(st):
        if st.ast_type == ast.ASTType.Rule and st.head.ast_type == ast.ASTType.Literal:
            h = sig(st.head.atom)
            if h:
                for s, neg in lits(st.body):
                    edges[(h, s)] = edges.get((h, s), False) or neg

    ast.parse_string(kb.kb_text(), visit)
    graph: dict = {}
    for h, b in edges:
        graph.setdefault(h, set()).add(b)
        graph.setdefault(b, set())
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            comps.append(comp)

    for v in list(graph):
        if v not in index:
            strong(v)
    bad = [(h, b) for comp in comps for (h, b), neg in edges.items() if neg and h in comp and b in comp]
    assert bad == []
