{#- Checks and parsers for the JSON text columns of the raw events (metadata, tags). -#}

{#- True when the text is a JSON object. -#}
{% macro is_json_object(text) -%}
    {{ return(adapter.dispatch('is_json_object', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__is_json_object(text) -%}
    coalesce(json_valid({{ text }}) and json_type(try_cast({{ text }} as json)) = 'OBJECT', false)
{%- endmacro %}

{#- Spark: a strict parse (no single quotes) of text that starts with { and ends with }.
    docs/warehouses.md lists the malformed texts the two engines judge differently. -#}
{% macro spark__is_json_object(text) -%}
    coalesce(
        {{ text }} rlike '^[ \\t\\n\\r]*\\{(?s:.*)\\}[ \\t\\n\\r]*$'
        and from_json({{ text }}, 'map<string,string>', map('allowSingleQuotes', 'false')) is not null,
        false
    )
{%- endmacro %}


{#- True when the text is a JSON array whose items are all strings. -#}
{% macro is_json_string_list(text) -%}
    {{ return(adapter.dispatch('is_json_string_list', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__is_json_string_list(text) -%}
    coalesce(
        json_valid({{ text }})
        and json_type(try_cast({{ text }} as json)) = 'ARRAY'
        and len(list_filter(json_type(try_cast({{ text }} as json), '$[*]'), lambda item_type: item_type <> 'VARCHAR')) = 0,
        false
    )
{%- endmacro %}

{#- Spark: from_json would read numbers and objects as strings too, so the shape is checked
    by a regular expression for a JSON array of JSON strings (RFC 8259 string escapes). -#}
{% macro spark__is_json_string_list(text) -%}
    {#- ^ [ (string (, string)*)? ] $ with JSON blanks between; a string is "..." without
        control characters, its backslash escapes those of JSON -#}
    coalesce({{ text }} rlike '^[ \\t\\n\\r]*+\\[[ \\t\\n\\r]*+(?:"(?:[^"\\\\\\x00-\\x1f]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*+"[ \\t\\n\\r]*+(?:,[ \\t\\n\\r]*+"(?:[^"\\\\\\x00-\\x1f]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*+"[ \\t\\n\\r]*+)*+)?\\][ \\t\\n\\r]*+$', false)
{%- endmacro %}


{#- A JSON array of strings as a list column; NULL (missing) when empty (contract §3.1). -#}
{% macro json_string_list(text) -%}
    {{ return(adapter.dispatch('json_string_list', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__json_string_list(text) -%}
    nullif(cast(try_cast({{ text }} as json) as varchar[]), [])
{%- endmacro %}

{% macro spark__json_string_list(text) -%}
    nullif(from_json({{ text }}, 'array<string>'), cast(array() as array<string>))
{%- endmacro %}


{#- A JSON object text as the warehouse's JSON type. -#}
{% macro json_object(text) -%}
    {{ return(adapter.dispatch('json_object', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__json_object(text) -%}
    try_cast({{ text }} as json)
{%- endmacro %}

{#- Spark has no JSON type: metadata stays JSON text, read with get_json_object. -#}
{% macro spark__json_object(text) -%}
    {{ text }}
{%- endmacro %}
