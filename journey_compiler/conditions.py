"""Turn template conditions into sqlglot expressions over the staged events.

Template values only ever become sqlglot literals (`inert.text_literal`), so a value is compared
as data whatever it contains (quotes, backslashes, `--`, `%`, non-ASCII, Jinja's `{{`).

Missing values (contract §3.1): the staged columns hold NULL for a missing string or tag list
(empty strings and empty lists are NULL there already). A positive operator is
`COALESCE(test, FALSE)`, a negative one is `NOT COALESCE(positive test, FALSE)`, so a missing
field makes positive operators false and negative ones true, as an analyst reads them.

>>> from journey_compiler.template import Condition
>>> condition_sql(Condition(field="channel", op="not_equals", value="email"))
"NOT COALESCE(channel = 'email', FALSE)"
"""

from __future__ import annotations

from sqlglot import exp

from journey_compiler.inert import text_literal
from journey_compiler.template import (
    METADATA_PREFIX,
    AllOf,
    AnyOf,
    Condition,
    ConditionNode,
    Trigger,
    field_kind,
)

NEGATED = {"not_equals": "equals", "not_contains": "contains", "not_in": "in", "is_not_set": "is_set"}


def trigger_expression(trigger: Trigger, extracted: bool = False) -> exp.Expr:
    """Event type equal and every condition true.

    With `extracted`, metadata values are read from columns named by `metadata_column`
    (extracted once per event by the caller) instead of being parsed out of the JSON here.
    """
    parts: list[exp.Expr] = [exp.column("event_type").eq(text_literal(trigger.event))]
    parts.extend(condition_expression(node, extracted) for node in trigger.conditions)
    return exp.and_(*parts)


def condition_expression(node: ConditionNode, extracted: bool = False) -> exp.Expr:
    if isinstance(node, AnyOf):
        return exp.paren(exp.or_(*(condition_expression(child, extracted) for child in node.any)), copy=False)
    if isinstance(node, AllOf):
        return exp.paren(exp.and_(*(condition_expression(child, extracted) for child in node.all)), copy=False)
    return _leaf(node, extracted)


def condition_sql(node: ConditionNode, dialect: str = "duckdb") -> str:
    return for_dialect(condition_expression(node), dialect).sql(dialect=dialect)


def for_dialect(expression: exp.Expr, dialect: str) -> exp.Expr:
    """The expression with what sqlglot would write wrongly for `dialect` rewritten.

    Spark: sqlglot writes JSONExtract (a value's JSON form) as get_json_object, which gives a
    string without its quotes, so the string "[]" would pass for the empty list; Spark 4's
    VARIANT functions give the JSON form (docs/warehouses.md).
    """
    if dialect != "spark":
        return expression

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.JSONExtract):
            value = exp.Anonymous(this="TRY_PARSE_JSON", expressions=[node.this])
            return exp.Anonymous(
                this="TO_JSON", expressions=[exp.Anonymous(this="VARIANT_GET", expressions=[value, node.expression])]
            )
        return node

    return expression.transform(rewrite)


def metadata_column(field: str) -> str:
    """Column name for an extracted metadata value: metadata.a.b -> metadata__a__b."""
    return field.replace(".", "__")


def metadata_fields(trigger: Trigger) -> set[str]:
    """Every metadata.<path> a trigger's conditions read."""

    def walk(node: ConditionNode):
        if isinstance(node, AnyOf):
            for child in node.any:
                yield from walk(child)
        elif isinstance(node, AllOf):
            for child in node.all:
                yield from walk(child)
        elif field_kind(node.field) == "metadata":
            yield node.field

    return {field for node in trigger.conditions for field in walk(node)}


def field_expression(field: str, extracted: bool = False) -> exp.Expr:
    """The column (or metadata text) a condition reads, NULL when missing."""
    kind = field_kind(field)
    if kind != "metadata":
        return exp.column(field)
    if extracted:
        return exp.column(metadata_column(field))
    path = "$." + field[len(METADATA_PREFIX) :]
    text = exp.JSONExtractScalar(this=exp.column("metadata"), expression=text_literal(path))
    # JSON's "" and [] are missing values too (contract §3.1); JSON null already yields NULL.
    # The empty array is told apart from the string "[]" by its JSON form, not its text.
    json_value = exp.JSONExtract(this=exp.column("metadata"), expression=text_literal(path))
    is_empty_list = exp.cast(json_value, exp.DataType.build("varchar")).eq(exp.Literal.string("[]"))
    return exp.Case().when(is_empty_list, exp.null()).else_(exp.Nullif(this=text, expression=exp.Literal.string("")))


def _leaf(condition: Condition, extracted: bool) -> exp.Expr:
    if condition.op in NEGATED:
        positive = condition.model_copy(update={"op": NEGATED[condition.op]})
        return exp.not_(_positive(positive, extracted))
    return _positive(condition, extracted)


def _positive(condition: Condition, extracted: bool) -> exp.Expr:
    test = _test(condition, extracted)
    return exp.func("COALESCE", test, exp.false())


def _test(condition: Condition, extracted: bool) -> exp.Expr:
    """The bare comparison; NULL (so false after COALESCE) when the field is missing."""
    kind = field_kind(condition.field)
    column = field_expression(condition.field, extracted)
    op = condition.op
    values = [text_literal(text) for text in condition.value_texts()] if condition.value is not None else []

    if op == "is_set":
        return column.is_(exp.null()).not_()

    if kind == "list":
        return _list_test(column, op, values)

    if op in ("gt", "gte", "lt", "lte"):
        # safe: Spark writes TRY_CAST too (a plain CAST only returns NULL with ANSI mode off)
        number = exp.TryCast(this=column, to=exp.DataType.build("double"), safe=True)
        literal = exp.Literal.number(condition.value)
        comparison = {"gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE}[op]
        return comparison(this=number, expression=literal)
    if op == "equals":
        return column.eq(values[0])
    if op == "contains":
        return exp.StrPosition(this=column, substr=values[0]) > 0
    if op == "starts_with":
        return exp.StartsWith(this=column, expression=values[0])
    if op == "in":
        return column.isin(*values)
    raise ValueError(f"operator {op} has no SQL form")


def _list_test(tags: exp.Expr, op: str, values: list[exp.Expr]) -> exp.Expr:
    if op == "equals":
        return exp.and_(
            exp.ArraySize(this=tags).eq(1),
            exp.ArrayContains(this=tags, expression=values[0]),
        )
    if op == "contains":
        return exp.ArrayContains(this=tags, expression=values[0])
    if op == "starts_with":
        tag = exp.to_identifier("tag")
        prefix_match = exp.Lambda(this=exp.StartsWith(this=exp.column(tag), expression=values[0]), expressions=[tag])
        return exp.ArraySize(this=exp.ArrayFilter(this=tags, expression=prefix_match)) > 0
    if op == "in":
        # any tag among the values; sqlglot writes ArrayOverlaps as `&&` for Spark too, where it
        # means nothing, so this is the filter form that both dialects render (as starts_with)
        tag = exp.to_identifier("tag")
        among = exp.Lambda(this=exp.column(tag).isin(*values), expressions=[tag])
        return exp.ArraySize(this=exp.ArrayFilter(this=tags, expression=among)) > 0
    raise ValueError(f"operator {op} has no SQL form for tags")
