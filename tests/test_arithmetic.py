"""Exact arithmetic for TPP totals and allocations (kb/arithmetic.lp, pyrules/arithmetic.py).
TPP figures (ECCN 3A090 Technical Notes) and the allocations of 15 CFR 742.6(b)(10)
exceed clingo's 32-bit integers; they travel as n(L4,L3,L2,L1,L0)."""

from __future__ import annotations

import clingo
import pytest
from hypothesis import given, settings, strategies as st

from pyrules.engine.arithmetic import BASE, MAX_TERM, MAX_VALUE, Arithmetic, big, from_big, to_limbs

values = st.one_of(
    st.integers(0, 2**40),
    st.integers(0, MAX_VALUE),
    st.sampled_from(
        [0, 1, BASE - 1, BASE, 2**31 - 1, 2**31, 790_000_000, 1_580_000_000, 5_064_000_000, 10**26, MAX_VALUE]
    ),
)
FAST = settings(max_examples=50, deadline=None)


@FAST
@given(values)
def test_3a090_tpp_numbers_round_trip(v):
    """ECCN 3A090 TPP totals: big() and from_big() are inverse; limbs are normalised (0..999,999)."""
    s = big(v)
    assert s.name == "n" and len(s.arguments) == 5
    assert all(0 <= a.number < BASE for a in s.arguments)
    assert from_big(s) == v
    assert to_limbs(v) == [a.number for a in s.arguments]


@pytest.mark.parametrize("v", [-1, MAX_TERM + 1])
def test_3a090_numbers_out_of_range_rejected(v):
    """Arithmetic range (0..MAX_TERM, the top limb a 32-bit integer): out-of-range values
    raise instead of wrapping."""
    with pytest.raises(ValueError):
        to_limbs(v)


@pytest.mark.parametrize("v", [MAX_VALUE, MAX_VALUE + 1, 10**32, MAX_TERM])
def test_3a090_values_past_10_30_keep_a_numeric_top_limb(v):
    """A computed value past 10^30 (a UVEU share of 100 x 10^28) is a term whose top limb
    exceeds 999,999; it is exact and still ordered numerically."""
    s = big(v)
    assert from_big(s) == v
    assert big(v - 1) < s


@FAST
@given(values, values)
def test_742_6_b_10_term_order_is_numeric_order(x, y):
    """742.6(b)(10) compares TPP with <, <=: clingo's term order on n(...) equals numeric order."""
    a, b = big(x), big(y)
    assert (a < b) == (x < y)
    assert (a == b) == (x == y)


def _clingo_compare(x: int, y: int) -> set[str]:
    """Ground a comparison inside clingo itself (not Python's Symbol ordering)."""
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], "lt :- x(X), y(Y), X < Y. le :- x(X), y(Y), X <= Y. eq :- x(X), y(Y), X = Y.")
    with ctl.backend() as b:
        b.add_rule([b.add_atom(clingo.Function("x", [big(x)]))])
        b.add_rule([b.add_atom(clingo.Function("y", [big(y)]))])
    ctl.ground([("base", [])])
    out: set[str] = set()
    ctl.solve(on_model=lambda m: out.update(s.name for s in m.symbols(shown=True)))
    return out


@settings(max_examples=30, deadline=None)
@given(values, values)
def test_742_6_b_10_clingo_comparison_of_n_terms_is_numeric(x, y):
    """742.6(b)(10): clingo's own < <= = on n(...) terms agree with the integers'."""
    got = _clingo_compare(x, y)
    assert ("lt" in got) == (x < y)
    assert ("le" in got) == (x <= y)
    assert ("eq" in got) == (x == y)


small = st.integers(0, 2**31 - 1)


@FAST
@given(small, small)
def test_3a090_times_is_exact(q, t):
    """ECCN 3A090: @times(Q, T) = Q x T exactly, beyond 2^31."""
    assert from_big(Arithmetic().times(clingo.Number(q), clingo.Number(t))) == q * t


@FAST
@given(st.integers(0, MAX_VALUE // 2), st.integers(0, MAX_VALUE // 2))
def test_742_6_b_10_plus_is_exact(x, y):
    """742.6(b)(10) used + shipment: @plus is exact."""
    assert from_big(Arithmetic().plus(big(x), big(y))) == x + y


@FAST
@given(st.integers(0, 10**20), st.integers(0, 1000))
def test_742_6_b_10_scaled_is_exact(x, k):
    """742.6(b)(10) allocation x multiplier: @scaled is exact."""
    assert from_big(Arithmetic().scaled(big(x), clingo.Number(k))) == x * k


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10**22), min_size=1, max_size=6))
def test_3a090_kb_total_of_addends_is_exact(xs):
    """kb/arithmetic.lp total/2: the limb-wise #sum with @norm carrying equals the exact sum."""
    from pyrules.engine import kb

    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb.kb_dir() / "arithmetic.lp").read_text() + "\n#show total/2.")
    with ctl.backend() as b:
        for i, x in enumerate(xs):
            b.add_rule([b.add_atom(clingo.Function("addend", [clingo.Function("k"), clingo.Number(i), big(x)]))])
    ctl.ground([("base", [])], context=Arithmetic())
    totals = []
    ctl.solve(on_model=lambda m: totals.extend(m.symbols(shown=True)))
    assert len(totals) == 1
    assert from_big(totals[0].arguments[1]) == sum(xs)


def test_3a090_overflow_trap_is_real():
    """Why n(...) exists: clingo wraps 5,064,000,000 (a 748.15 NVEU figure) silently."""
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], "d(5064000000).")
    ctl.ground([("base", [])])
    (atom,) = [a.symbol for a in ctl.symbolic_atoms.by_signature("d", 1)]
    assert atom.arguments[0].number != 5_064_000_000


def _item_total(q, t):
    """item_total_tpp/2 of kb/items.lp for one item line of quantity q and unit TPP t."""
    from pyrules.engine import kb

    ctl = clingo.Control(["--warn=none"])
    rule = next(
        line for line in (kb.kb_dir() / "items.lp").read_text().split("\n\n") if "item_total_tpp(I, @times" in line
    )
    ctl.add("base", [], rule + f"\nitem_quantity(1, {q}). unit_tpp(1, {t}).\n#show item_total_tpp/2.")
    ctl.ground([("base", [])], context=Arithmetic())
    got = []
    ctl.solve(on_model=lambda m: got.extend(m.symbols(shown=True)))
    assert len(got) == 1, got  # exactly one of the three rules applies
    return from_big(got[0].arguments[1])


@pytest.mark.parametrize(
    "q,t",
    [
        (1, 2**31 - 1),
        (2**31 - 1, 1),
        (46341, 46340),
        (46341, 46341),
        (2, 2**30),
        (65536, 32768),
        (500, 15832),
        (0, 15832),
        (7, 0),
        (2**31 - 1, 2**31 - 1),
    ],
)
def test_3a090_item_line_tpp_is_exact_on_both_sides_of_2_31(q, t):
    """ECCN 3A090 shipment TPP: quantity x unit TPP is computed by clingo below 2^31 and by
    @times above it; both give the exact product (46341 x 46341 is the first square over 2^31)."""
    assert _item_total(q, t) == q * t


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
def test_3a090_item_line_tpp_is_exact(q, t):
    assert _item_total(q, t) == q * t


def test_arithmetic_on_a_value_that_is_not_a_number_gives_no_value():
    """The grounder may call @plus with another fact's value (e.g. false) before the rest
    of the body rules that binding out: no value (the instance is dropped), never 0."""
    ar = Arithmetic()
    assert ar.plus(clingo.Function("false"), big(1)) == []
    assert ar.scaled(clingo.String("x"), clingo.Number(3)) == []
    assert ar.percent(clingo.Function("true"), clingo.Number(50)) == []
    assert from_big(ar.plus(big(2**40), big(1))) == 2**40 + 1
    with pytest.raises(ValueError):
        from_big(clingo.Function("false"))


@FAST
@given(st.integers(0, MAX_VALUE), st.integers(0, MAX_VALUE), st.integers(0, 2000))
def test_748_15_plus_scaled_percent_exact_for_every_accepted_value(x, y, k):
    """748.15 UVEU shares (100 x share <= percent x total), 742.6(b)(10) multiplier: @plus,
    @scaled and @percent are exact for every value an input may give (up to 10^30 - 1) and
    every factor a regime may give (up to 2,000), past 10^30 (they raised there)."""
    a = Arithmetic()
    assert from_big(a.plus(big(x), big(y))) == x + y
    assert from_big(a.scaled(big(x), clingo.Number(k))) == x * k
    assert from_big(a.percent(big(x), clingo.Number(k))) == x * k // 100
    # a total after a shipment (a ledger's running total: at most 10^6 rows of 2 x 10^18
    # TPP) scaled by 100, and by a percentage
    after = a.plus(big(x), big(y % (2 * 10**24)))
    assert from_big(a.scaled(after, clingo.Number(100))) == (x + y % (2 * 10**24)) * 100
    assert from_big(a.scaled(after, clingo.Number(k))) == (x + y % (2 * 10**24)) * k


def test_3a090_kb_total_of_2200_addends_does_not_overflow():
    """kb/arithmetic.lp total/2: 2,200 addends of 999,999 (the six-digit limb sums passed 2^31
    at 2,148) total exactly 2,199,997,800."""
    from pyrules.engine import kb

    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb.kb_dir() / "arithmetic.lp").read_text() + "\n#show total/2.")
    with ctl.backend() as b:
        for i in range(2200):
            v = big(999_999_999_999 + 999_999 * 10**18)
            b.add_rule([b.add_atom(clingo.Function("addend", [clingo.Function("k"), clingo.Number(i), v]))])
    ctl.ground([("base", [])], context=Arithmetic())
    totals = []
    ctl.solve(on_model=lambda m: totals.extend(m.symbols(shown=True)))
    assert from_big(totals[0].arguments[1]) == 2200 * (999_999_999_999 + 999_999 * 10**18)
