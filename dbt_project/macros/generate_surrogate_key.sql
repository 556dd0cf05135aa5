{#-
    Portable surrogate keys built only from dbt's cross-database macros, so the same model
    compiles on DuckDB and Spark.

    generate_surrogate_key(['tenant_id', 'customer_id'])
        md5 of the columns cast to text and joined with '-'; a null column becomes a fixed
        placeholder, so the key itself is never null (same convention as dbt_utils).

    generate_foreign_key(['tenant_id', 'partner_id'])
        the same hash, so it joins to the parent's surrogate key, but null when any column is
        null: an optional reference that is empty stays empty instead of hashing a placeholder.
-#}

{%- macro generate_surrogate_key(field_list) -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- do parts.append(
            "coalesce(" ~ (dbt.cast(field, dbt.type_string()) | trim) ~ ", '_opsintel_null_')"
        ) -%}
        {%- if not loop.last -%}
            {%- do parts.append("'-'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro -%}


{%- macro generate_foreign_key(field_list) -%}
    case when {{ field_list | join(' is not null and ') }} is not null then {{ generate_surrogate_key(field_list) }} end
{%- endmacro -%}
