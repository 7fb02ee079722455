"""``pyrules mcp``: a Model Context Protocol server over stdio.

Tools: ``ask`` (the determination, with its one-sentence summary, citations and
record), ``explain`` (the tree of provisions and facts behind each conclusion),
``whatif`` (the smallest changes that reach a goal), ``readings`` (the answer under
every reading of each ambiguity; without a scenario, the list of ambiguities) and
``coverage`` (what is modelled, what is only flagged). Every answer comes from the
knowledge base; a bad scenario is a tool error naming the field path.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from pyrules.inputs import schema
from pyrules.errors import InputError

INSTRUCTIONS = (
    "Answers questions about the U.S. AI Diffusion export-control rule (90 FR 4544, 90 FR 5298) "
    "from an encoded knowledge base, with a 15 CFR citation for every conclusion. Pass a scenario "
    "in pyrules' JSON form (see the tool descriptions; the JSON Schema is `pyrules schema scenario`). "
    "Quote the citations; say when facts are missing; the coverage tool says what is not decided. "
    "Not legal advice."
)


def _scenario(raw: Any):
    from pyrules.inputs.model import Scenario

    try:
        return Scenario.from_dict(raw)
    except InputError as exc:
        raise ToolError(f"bad scenario: {exc}") from None


def build_server() -> MCPServer:
    server = MCPServer("pyrules", instructions=INSTRUCTIONS)

    @server.tool(
        description="Evaluate a transaction (pyrules JSON scenario: date, transaction {action, from, to, "
        "consignee, ...}, items [{chip|eccn|tpp, quantity} or {model_weights, training_ops}], "
        "entities {name: {located, headquartered, parent}}, facts, readings). Returns whether "
        "a licence is required, each authorization with its conditions not met or undecided, "
        "the licensing policy, obligations, missing facts, every citation, a one-sentence "
        "summary and a record (versions, knowledge-base hash, time)."
    )
    def ask(scenario: dict[str, Any], as_of: str | None = None) -> dict[str, Any]:
        from pyrules.engine.control import default_engine
        from pyrules.output.records import answer_json

        s = _scenario(scenario)
        if as_of is not None:
            from pyrules.inputs.model import parse_date

            try:
                parse_date(as_of, "as_of")
            except InputError as exc:
                raise ToolError(str(exc)) from None
        return answer_json(default_engine().evaluate(s, as_of=as_of), scenario)

    @server.tool(
        description="Explain each conclusion for a scenario: the provisions (with citations) and facts "
        "behind it, in plain words and as a tree."
    )
    def explain(scenario: dict[str, Any]) -> dict[str, Any]:
        from pyrules.modes.explain import explain_scenario
        from pyrules.output.records import one_sentence

        d, e = explain_scenario(_scenario(scenario))
        return {"summary": one_sentence(d), "text": e.to_text(), "explanation": e.to_json()}

    @server.tool(
        description="The smallest changes to a scenario that reach a goal: 'authorized' (default), "
        "'no_licence_required', an authorization ('lpp', 'aia', ...) or a policy "
        "('presumption_of_approval'). may_change: what may change, e.g. "
        "['headquartered of HoldCo', 'quantity of item 1'] (default: the usual changeables). "
        "Every repair is re-checked by a fresh evaluation."
    )
    def whatif(
        scenario: dict[str, Any], goal: str = "authorized", may_change: list[Any] | None = None
    ) -> dict[str, Any]:
        from pyrules.modes.whatif import answer_questions, validate_questions

        s = _scenario(scenario)
        q: dict[str, Any] = {"goal": goal}
        if may_change is not None:
            q["may_change"] = may_change
        try:
            s = s.with_changes({"questions": [q]})
            validate_questions(s)
            r = answer_questions(s, [q])[0]
        except InputError as exc:
            raise ToolError(str(exc)) from None
        return {"text": r.to_text(), **r.to_json()}

    @server.tool(
        description="Without a scenario: the ambiguous provisions and their readings. With one: the "
        "outcome under every reading of each ambiguity, and which readings change it."
    )
    def readings(scenario: dict[str, Any] | None = None) -> dict[str, Any]:
        if scenario is None:
            from pyrules.engine import kb

            return {
                "topics": [
                    {"topic": t, "choices": list(c), "default": c[0], "title": kb.reading_title(t)}
                    for t, c in schema.READINGS.items()
                ]
            }
        from pyrules.modes.readings import evaluate_all_readings

        return evaluate_all_readings(_scenario(scenario))

    @server.tool(
        description="What pyrules models (each provision with its citation), what it only flags and never "
        "decides (party screening, part 744 end uses beyond the inputs, other licence "
        "exceptions), and the date of the rule text."
    )
    def coverage() -> dict[str, Any]:
        from pyrules.output.coverage import coverage as cov

        return cov()

    return server


def main() -> None:
    build_server().run("stdio")


if __name__ == "__main__":
    main()
