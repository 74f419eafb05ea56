"""`field__any=values`: the `in` lookup, whose statement's text does not grow with the
number of values on PostgreSQL.

`pk__in=[a thousand ids]` writes a thousand placeholders: psycopg re-splits such a
statement on every call (it caches short ones only) and the server parses each anew.
`pk__any=ids` sends the values as one array, `= ANY(CAST(%s AS bigint[]))`, the same
short statement each time. Elsewhere it is `in`. For the hot paths that pass a chunk of
ids (a campaign's recipients, the gateway's bulk writes)."""

import datetime as dt

from django.core.exceptions import EmptyResultSet
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


def array_parameter(values: list):
    """`values` as one PostgreSQL array parameter, for `CAST(%s AS <type>[])`: for whole
    numbers, text and aware times, the array's text form, written here in one join
    (psycopg's list dumper checks and quotes each element in Python, a tenth of a
    newsletter's time in the database); anything else as the list, for psycopg."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"
    if all(isinstance(v, str) for v in present):
        # Each element in double quotes, its backslashes and quotes escaped: any text
        # reads back as itself, "NULL" and "" included.
        return "{" + ",".join(
            "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        ) + "}"  # fmt: skip
    if all(isinstance(v, dt.datetime) and v.tzinfo is not None for v in present):
        return "{" + ",".join("NULL" if v is None else f'"{v.isoformat()}"' for v in values) + "}"
    return list(values)


def _as_array(lookup, compiler, connection):
    if not lookup.rhs_is_direct_value():
        return lookup.as_sql(compiler, connection)  # a subquery: as `in`
    field = lookup.lhs.output_field
    values = [
        field.get_db_prep_value(value, connection, prepared=True)
        for value in dict.fromkeys(lookup.rhs)
        if value is not None  # NULL is never equal to anything, as with `in`
    ]
    if not values:
        raise EmptyResultSet
    lhs, lhs_params = lookup.process_lhs(compiler, connection)
    # The array's type comes from the model's field, not from the values.
    cast = f"CAST(%s AS {field.cast_db_type(connection)}[])"
    return f"{lhs} = ANY({cast})", (*lhs_params, array_parameter(values))


class Any(In):
    lookup_name = "any"
    as_postgresql = _as_array


class RelatedAny(RelatedIn):
    """`any` on a foreign key (`customer__any=ids`, `customer_id__any=ids`): relations
    keep lookups of their own, which take model instances as well as ids."""

    lookup_name = "any"
    as_postgresql = _as_array
