{#- Comparisons of doubles in data tests (models/**.yml, data-tests/). Sums and averages of
    doubles round: the mean of 10,000 identical durations can exceed their maximum by 1e-13,
    and two shares that add up to 1 can miss it in the last bit. A check compares within
    journeys_float_tolerance() of the larger magnitude (at least 1, so shares and
    probabilities near 0 get an absolute 1e-9). Integers below 1e9 keep their exact meaning
    (the slack is below 1). NULL on either side gives NULL, as the plain comparison does. -#}

{% macro journeys_float_tolerance() -%}
    {{ return('1e-9') }}
{%- endmacro %}

{#- left <= right, up to rounding. -#}
{% macro approx_le(left, right) -%}
    (({{ left }}) <= ({{ right }}) + {{ journeys_float_slack(left, right) }})
{%- endmacro %}

{#- left = right, up to rounding. -#}
{% macro approx_eq(left, right) -%}
    (abs(({{ left }}) - ({{ right }})) <= {{ journeys_float_slack(left, right) }})
{%- endmacro %}

{% macro journeys_float_slack(left, right) -%}
    {{ journeys_float_tolerance() }} * greatest(abs({{ left }}), abs({{ right }}), 1)
{%- endmacro %}
