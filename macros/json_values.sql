{#- Checks and parsers for the JSON text columns of the raw events (metadata, tags). -#}

{#- True when the text is a JSON object. -#}
{% macro is_json_object(text) -%}
    {{ return(adapter.dispatch('is_json_object', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__is_json_object(text) -%}
    coalesce(json_valid({{ text }}) and json_type(try_cast({{ text }} as json)) = 'OBJECT', false)
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


{#- A JSON array of strings as a list column; NULL (missing) when empty (contract 3.1). -#}
{% macro json_string_list(text) -%}
    {{ return(adapter.dispatch('json_string_list', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__json_string_list(text) -%}
    nullif(cast(try_cast({{ text }} as json) as varchar[]), [])
{%- endmacro %}


{#- A JSON object text as the warehouse's JSON type. -#}
{% macro json_object(text) -%}
    {{ return(adapter.dispatch('json_object', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro duckdb__json_object(text) -%}
    try_cast({{ text }} as json)
{%- endmacro %}
