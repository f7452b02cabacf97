{#- Type names across warehouses (docs/warehouses.md).

    The model contracts (models/**/_*.yml) declare text columns as `varchar`, which DuckDB and
    most warehouses read as an unbounded string. Spark's parser needs a length for VARCHAR and
    calls its unbounded text type STRING; dbt checks a contract by casting NULL to each declared
    type (dbt.cast), so on Spark a bare varchar is cast as string. -#}
{% macro spark__cast(field, type) -%}
    {%- set spark_type = 'string' if type | trim | lower in ('varchar', 'text') else type -%}
    cast({{ field }} as {{ spark_type }})
{%- endmacro %}
