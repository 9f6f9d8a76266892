"""The DuckDB side of `philia bench analytics`: the same definitions computed from the raw
invoices and refunds (CSV copies loaded before the clock starts). Prints one JSON object of
median milliseconds per figure, and the RFM distribution for the caller to compare with its own.

usage: bench_duckdb.py INVOICES.csv REFUNDS.csv AS_OF_MS FROM_DAY TO_DAY RUNS
"""

import json
import statistics
import sys
import time

import duckdb

invoices_csv, refunds_csv, as_of, day_from, day_to, runs = sys.argv[1:7]
as_of, runs = int(as_of), int(runs)

db = duckdb.connect()
db.execute(f"""CREATE TABLE invoices AS SELECT * FROM read_csv('{invoices_csv}', header = true,
    columns = {{'id': 'BIGINT', 'customer_id': 'BIGINT', 'issued_at': 'BIGINT', 'day': 'DATE', 'total': 'BIGINT'}})""")
db.execute(f"""CREATE TABLE refunds AS SELECT * FROM read_csv('{refunds_csv}', header = true,
    columns = {{'invoice_id': 'BIGINT', 'customer_id': 'BIGINT', 'amount': 'BIGINT', 'refunded_at': 'BIGINT', 'day': 'DATE'}})""")

GRID = [
    ["new_customers", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    ["promising", "potential_loyalist", "potential_loyalist", "loyal", "champions"],
    ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"],
    ["lost", "lost", "at_risk", "cant_lose_them", "cant_lose_them"],
]
segment = "CASE " + " ".join(
    f"WHEN rs = {5 - i} AND fm = {j + 1} THEN '{GRID[i][j]}'" for i in range(5) for j in range(5)
) + " END"

RFM = f"""
CREATE OR REPLACE TEMP TABLE rfm AS
WITH r AS (SELECT invoice_id, SUM(amount) AS amount FROM refunds WHERE refunded_at < {as_of} GROUP BY invoice_id),
f AS (SELECT i.customer_id, MAX(i.issued_at) AS last_at, COUNT(*) AS n, SUM(i.total - COALESCE(r.amount, 0)) AS m,
        SUM(CASE WHEN r.amount > 0 AND r.amount >= i.total THEN 0 ELSE 1 END) AS kept
      FROM invoices i LEFT JOIN r ON r.invoice_id = i.id WHERE i.issued_at < {as_of} GROUP BY i.customer_id),
p AS (SELECT customer_id, ({as_of} - last_at) // 86400000 AS rec, n, m FROM f WHERE kept > 0),
s AS (SELECT customer_id, rec, n, m,
        1 + (5 * (RANK() OVER (ORDER BY rec DESC) - 1)) // COUNT(*) OVER () AS rs,
        1 + (5 * (RANK() OVER (ORDER BY n) - 1)) // COUNT(*) OVER () AS fs,
        1 + (5 * (RANK() OVER (ORDER BY m) - 1)) // COUNT(*) OVER () AS ms FROM p),
g AS (SELECT *, (fs + ms + 1) // 2 AS fm FROM s)
SELECT customer_id, rec, n, m, rs, fs, ms, fm, {segment} AS segment FROM g"""

SALES = f"""
WITH d AS (SELECT day, SUM(total) AS sales, COUNT(*) AS n FROM invoices GROUP BY day),
rf AS (SELECT day, SUM(amount) AS refunds FROM refunds GROUP BY day),
nc AS (SELECT first_day AS day, COUNT(*) AS new FROM (SELECT customer_id, MIN(day) AS first_day FROM invoices GROUP BY customer_id) GROUP BY first_day),
days AS (SELECT day FROM d UNION SELECT day FROM rf),
j AS (SELECT days.day, COALESCE(sales, 0) AS sales, COALESCE(n, 0) AS n, COALESCE(refunds, 0) AS refunds, COALESCE(new, 0) AS new
      FROM days LEFT JOIN d USING (day) LEFT JOIN rf USING (day) LEFT JOIN nc USING (day)),
c AS (SELECT *, SUM(sales - refunds) OVER (ORDER BY day) AS spend, SUM(new) OVER (ORDER BY day) AS customers FROM j)
SELECT date_trunc('month', day) AS b, SUM(sales), SUM(refunds), SUM(n), arg_max(spend // customers, day)
FROM c WHERE day BETWEEN DATE '{day_from}' AND DATE '{day_to}' GROUP BY b ORDER BY b"""

CUSTOMERS = f"""
WITH cd AS (SELECT DISTINCT customer_id, day FROM invoices),
months AS (SELECT GREATEST(CAST(date_trunc('month', d) AS DATE), DATE '{day_from}') AS s,
                  LEAST(CAST(date_trunc('month', d) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE), DATE '{day_to}') AS e
           FROM range(CAST(date_trunc('month', DATE '{day_from}') AS TIMESTAMP), CAST(DATE '{day_to}' AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(d)),
active AS (SELECT m.e, COUNT(DISTINCT cd.customer_id) AS n FROM months m JOIN cd ON cd.day BETWEEN m.e - 89 AND m.e GROUP BY m.e),
prev AS (SELECT m.s, m.e, cd.customer_id FROM months m JOIN cd ON cd.day BETWEEN m.s - CAST(m.e - m.s + 1 AS INTEGER) AND m.s - 1 GROUP BY ALL),
again AS (SELECT p.s, COUNT(*) AS base, COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM cd WHERE cd.customer_id = p.customer_id AND cd.day BETWEEN p.s AND p.e)) AS kept FROM prev p GROUP BY p.s),
start_active AS (SELECT m.s, m.e, cd.customer_id FROM months m JOIN cd ON cd.day BETWEEN m.s - 90 AND m.s - 1 GROUP BY ALL),
churn AS (SELECT a.s, COUNT(*) AS base, COUNT(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM cd WHERE cd.customer_id = a.customer_id AND cd.day BETWEEN a.e - 89 AND a.e)) AS gone FROM start_active a GROUP BY a.s)
SELECT m.s, active.n, again.base, again.kept, churn.base, churn.gone FROM months m
LEFT JOIN active ON active.e = m.e LEFT JOIN again ON again.s = m.s LEFT JOIN churn ON churn.s = m.s ORDER BY m.s"""

TOP = f"""
WITH r AS (SELECT invoice_id, SUM(amount) AS amount FROM refunds GROUP BY invoice_id)
SELECT i.customer_id, SUM(i.total - COALESCE(r.amount, 0)) AS spend, COUNT(*) FROM invoices i LEFT JOIN r ON r.invoice_id = i.id
WHERE i.day BETWEEN DATE '{day_from}' AND DATE '{day_to}' GROUP BY i.customer_id ORDER BY spend DESC, i.customer_id LIMIT 20"""


def median_ms(work):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        work()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def rfm():
    db.execute(RFM)
    return db.execute("SELECT segment, COUNT(*) FROM rfm GROUP BY segment").fetchall()


out = {
    "rfm_table": median_ms(rfm),
    "g1_sales": median_ms(lambda: db.execute(SALES).fetchall()),
    "g2_customers": median_ms(lambda: db.execute(CUSTOMERS).fetchall()),
    "g6_top_customers": median_ms(lambda: db.execute(TOP).fetchall()),
    "rfm_distribution": dict(sorted(rfm())),
    "top_customers": [row[0] for row in db.execute(TOP).fetchall()],
}
print(json.dumps(out))
