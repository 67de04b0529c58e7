"""Benchmark: how contact search's cost grows with the size of a query (issue 16, finding 1).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \\
        .venv/bin/python bench/search_build.py

In a throwaway database (`switchboard_search`, dropped at the end), with 15 custom text
attributes: an OR of 15 groups, each an AND of 15 IN conditions, each of N values, on standard
columns and on custom attributes. The API refuses such queries (at most 100 filters and 1,000
values in all); the limits are lifted here to show that building the query costs time linear
in its size. For each N it prints the time to build the query, to compile its SQL and to run
it (COUNT on an empty table), and, as the same run's baseline, a query of one filter.
"""

import argparse
import time

from _common import environment_line, throwaway_database

FIELDS = [
    "email",
    "name",
    "phone",
    "external_id",
    "role",
    "browser",
    "os",
    "location.city",
    "location.country",
    "location.region",
    "avatar",
    "language_override",
    "browser_language",
    "email_domain",
    "id",
]


def query(fields: list[str], values: int) -> dict:
    return {
        "operator": "OR",
        "value": [
            {
                "operator": "AND",
                "value": [
                    {
                        "field": field,
                        "operator": "IN",
                        "value": [f"v{g}-{j}-{k}" for k in range(values)],
                    }
                    for j, field in enumerate(fields)
                ],
            }
            for g in range(15)
        ],
    }


def measure(label: str, body: dict) -> None:
    from contacts.search import ContactSearch

    started = time.perf_counter()
    search = ContactSearch(body)
    queryset = search.queryset()
    built = time.perf_counter()
    sql = str(queryset.query)
    compiled = time.perf_counter()
    queryset.count()
    ran = time.perf_counter()
    print(
        f"{label:<34} build {built - started:6.2f} s  SQL {compiled - built:6.2f} s  "
        f"run {ran - compiled:6.2f} s  total {ran - started:6.2f} s  ({len(sql):,} bytes of SQL)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, nargs="+", default=[10, 50, 100])
    args = parser.parse_args()
    with throwaway_database("search"):
        run(args)


def run(args) -> None:
    import contacts.search
    from qualification.models import AttributeModel, DataAttribute

    print(environment_line())
    for j in range(15):
        DataAttribute.objects.create(
            model=AttributeModel.CONTACT, name=f"text{j}", label=f"Text {j}", data_type="string"
        )
    custom = [f"custom_attributes.text{j}" for j in range(15)]
    measure("baseline: one filter", {"field": "name", "operator": "=", "value": "Ada"})
    contacts.search.MAX_FILTERS = contacts.search.MAX_VALUES = 10**9
    for values in args.values:
        measure(f"15 x 15 x {values} IN, standard", query(FIELDS, values))
        measure(f"15 x 15 x {values} IN, custom", query(custom, values))


if __name__ == "__main__":
    main()
