"""Reading PostgreSQL's plans in tests: what a query really read (EXPLAIN ANALYZE, as JSON)."""

import json

from django.db import connection


def explain_analyze(sql, *, seqscan=True):
    """The plan of ``sql`` as run (EXPLAIN ANALYZE): (its top node, the whole plan as indented JSON for messages).
    ``seqscan=False`` makes sequential scans look prohibitively expensive: on a test's table of a few thousand rows
    reading it all can cost the planner about as much as looking 20 rows up, which it never does at archive size."""
    with connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            explained = cursor.fetchone()[0]
        finally:
            cursor.execute("RESET enable_seqscan")
    explained = json.loads(explained) if isinstance(explained, str) else explained
    return explained[0]["Plan"], json.dumps(explained, indent=1)


def rows_read(node, relation="articles_article", index=None):
    """Rows of ``relation`` (or, given ``index``, of that index only) a plan read: returned by its scans plus removed
    by filters, in every loop."""
    read = 0
    if (node.get("Index Name") == index) if index else (node.get("Relation Name") == relation):
        kept = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        read += kept * node.get("Actual Loops", 1)
    for child in node.get("Plans", []):
        read += rows_read(child, relation, index)
    return read


def table_rows_read(node, relation):
    """Rows of ``relation`` a plan read from the table itself, in every loop: an index-only scan reads only those
    its index could not vouch for (its heap fetches)."""
    read = 0
    if node.get("Relation Name") == relation:
        if node["Node Type"] == "Index Only Scan":
            read += node.get("Heap Fetches", 0)
        else:
            read += (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
    for child in node.get("Plans", []):
        read += table_rows_read(child, relation)
    return read
