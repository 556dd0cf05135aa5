"""The dbt layers stay straight: staging -> intermediate -> marts, refs in import CTEs.

- From the parsed manifest: staging reads only sources, intermediate models read staging and
  intermediate models, nothing but staging calls ``source()``; no model reads a mart except
  a mart.
- From the SQL of every model: each ``ref()`` / ``source()`` sits in an import CTE at the top
  (``name as (select * from {{ ref('...') }} [where ...])``), never inside a logic CTE, so a
  model's inputs read at a glance.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt_runner import DBT_PROJECT, run_dbt

MODELS_DIR = DBT_PROJECT / "models"
LAYERS = ("staging", "intermediate", "marts")
# Which layers a model of each layer may read (models only; sources are checked apart).
ALLOWED_PARENTS = {
    "staging": set(),
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
}

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
SQL_COMMENT = re.compile(r"--[^\n]*")
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
JINJA_STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)
RELATION_CALL = re.compile(r"\b(?:ref|source)\s*\(")
# A CTE may follow Jinja statements ({% if is_incremental() %} around a group of CTEs).
CTE_HEAD = re.compile(r"(?:\s*\{%.*?%\})*\s*([a-z_][a-z0-9_]*)\s+as\s*\(", re.IGNORECASE | re.DOTALL)
CTE_SEPARATOR = re.compile(r"\s*,")
IMPORT_BODY = re.compile(
    r"\s*select\s+\*\s+from\s+\{\{\s*(?:ref|source)\s*\([^)]*\)\s*\}\}(?:\s+where\s+(?P<where>.*?))?\s*",
    re.IGNORECASE | re.DOTALL,
)


def layer_of(path: str) -> str:
    """``models/<layer>/...`` -> the layer ('?' for a model outside the three)."""
    parts = Path(path).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" and parts[1] in LAYERS else "?"


@dataclass(frozen=True)
class Cte:
    name: str
    body: str
    line: int

    @property
    def is_import(self) -> bool:
        """``select * from {{ ref(...) }}``, optionally with a where clause without a query."""
        match = IMPORT_BODY.fullmatch(self.body)
        if match is None:
            return False
        where = JINJA_EXPRESSION.sub("x", match.group("where") or "")
        return not re.search(r"\b(select|join)\b", where, re.IGNORECASE)

    @property
    def reads_relations(self) -> bool:
        return bool(RELATION_CALL.search(self.body))


def _blank(match: re.Match) -> str:
    """A comment replaced by spaces, newlines kept, so positions and line numbers still hold."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _closing_paren(sql: str, start: int) -> int:
    depth = 1
    for index in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[index], 0)
        if depth == 0:
            return index
    raise ValueError("unbalanced parentheses")


def split_model(sql: str) -> tuple[list[Cte], str]:
    """The top-level CTEs of a model and the SQL outside them (Jinja and SQL comments dropped)."""
    text = SQL_COMMENT.sub(_blank, JINJA_COMMENT.sub(_blank, sql))
    with_keyword = re.search(r"\bwith\b", JINJA_STATEMENT.sub(_blank, text), re.IGNORECASE)
    if with_keyword is None:
        return [], text
    ctes, position = [], with_keyword.end()
    while (head := CTE_HEAD.match(text, position)) is not None:
        close = _closing_paren(text, head.end())
        line = text.count("\n", 0, head.start(1)) + 1
        ctes.append(Cte(head.group(1), text[head.end():close], line))
        position = close + 1
        comma = CTE_SEPARATOR.match(text, position)
        if comma is None:
            break
        position = comma.end()
    return ctes, text[: with_keyword.start()] + text[position:]


def import_cte_problems(sql: str) -> list[str]:
    """Every ref/source outside an import CTE, and every import CTE below a logic CTE."""
    ctes, outside = split_model(sql)
    problems = [f"line {c.line}: CTE {c.name!r} reads a relation; move the ref into an import CTE"
                for c in ctes if c.reads_relations and not c.is_import]
    first_logic = next((c for c in ctes if not c.is_import), None)
    if first_logic is not None:
        problems += [f"line {c.line}: import CTE {c.name!r} comes after logic CTE {first_logic.name!r}"
                     for c in ctes if c.is_import and c.line > first_logic.line]
    if RELATION_CALL.search(outside):
        problems.append("a ref or source outside the CTEs")
    return problems


def model_files() -> list[Path]:
    return sorted(MODELS_DIR.rglob("*.sql"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The manifest of ``dbt parse`` (no warehouse is opened)."""
    work = tmp_path_factory.mktemp("dbt-parse")
    parsed = run_dbt(["parse"], work / "unused.duckdb", work)
    assert parsed.result.success, parsed.result.exception
    return json.loads((work / "target" / "manifest.json").read_text())


def layering_problems(manifest: dict) -> list[str]:
    """Each model that reads a layer it may not, or a source outside staging, one line each."""
    nodes = manifest["nodes"]
    problems = []
    for node in nodes.values():
        if node["resource_type"] != "model":
            continue
        layer = layer_of(node["original_file_path"])
        for parent_id in node["depends_on"]["nodes"]:
            if parent_id.startswith("source.") and layer != "staging":
                problems.append(f"{node['name']} ({layer}) calls source() for {parent_id}")
            parent = nodes.get(parent_id)
            if parent is None or parent["resource_type"] != "model":
                continue
            parent_layer = layer_of(parent["original_file_path"])
            if parent_layer not in ALLOWED_PARENTS.get(layer, set(LAYERS)):
                problems.append(f"{node['name']} ({layer}) refs {parent['name']} ({parent_layer})")
    return sorted(problems)


def test_every_model_is_in_a_layer(manifest: dict) -> None:
    outside = [n["original_file_path"] for n in manifest["nodes"].values()
               if n["resource_type"] == "model" and layer_of(n["original_file_path"]) == "?"]
    assert outside == []


def test_no_model_reads_a_layer_above_it_and_only_staging_reads_sources(manifest: dict) -> None:
    problems = layering_problems(manifest)
    assert problems == [], "layering broken:\n" + "\n".join(problems)


def test_the_layering_check_catches_a_mart_feeding_an_intermediate_model(manifest: dict) -> None:
    before = set(layering_problems(manifest))
    nodes = json.loads(json.dumps(manifest["nodes"]))
    spine = nodes["model.opsintel.int_customer_months_spined"]
    spine["depends_on"]["nodes"].append("model.opsintel.fct_mrr")
    staged = nodes["model.opsintel.stg_crm__customers"]
    nodes["model.opsintel.dim_customer"]["depends_on"]["nodes"].append(
        staged["depends_on"]["nodes"][0])
    assert set(layering_problems({"nodes": nodes})) - before == {
        "dim_customer (marts) calls source() for source.opsintel.raw.customers",
        "int_customer_months_spined (intermediate) refs fct_mrr (marts)",
    }


def test_refs_sit_in_import_ctes_at_the_top_of_every_model() -> None:
    problems = [f"{path.relative_to(DBT_PROJECT)}: {problem}"
                for path in model_files() for problem in import_cte_problems(path.read_text())]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("with a as (select * from {{ ref('x') }}),\nb as (select * from a)\nselect * from b", []),
        (("with a as (\n    select * from {{ ref('x') }}\n    where status <> 'void'\n"
         "        and invoice_date <= {{ as_of_date() }}\n),\nfinal as (select 1)\nselect * from final"), []),
        ("with a as (select id from {{ ref('x') }})\nselect * from a",
         ["line 1: CTE 'a' reads a relation; move the ref into an import CTE"]),
        (("with a as (select * from {{ ref('x') }} as x inner join {{ ref('y') }} as y on x.k = y.k)\n"
         "select * from a"),
         ["line 1: CTE 'a' reads a relation; move the ref into an import CTE"]),
        ("with a as (select 1),\nb as (select * from {{ ref('y') }})\nselect * from b",
         ["line 2: import CTE 'b' comes after logic CTE 'a'"]),
        ("with a as (select * from {{ ref('x') }})\nselect * from a join {{ ref('y') }} as y on true",
         ["a ref or source outside the CTEs"]),
        (("with a as (select * from {{ ref('x') }}),\n{% if is_incremental() %}\n"
          "b as (select * from {{ ref('y') }}),\nc as (select * from b),\n{% endif %}\n"
          "final as (select * from a)\nselect * from final"), []),
        (("{# ref('in a comment') #}\nwith a as (select * from {{ source('raw', 'x') }}) -- ref(\n"
         "select * from a"), []),
    ],
)
def test_import_cte_check(sql: str, expected: list[str]) -> None:
    assert import_cte_problems(sql) == expected
