#!/usr/bin/env bash
set -euxo pipefail
curl -fsS -u "$FILES_USER:$FILES_PASSWORD" "${FILES_URL}reports/q3-expenses.csv" -o /tmp/q3.csv
python3 - <<'PY'
import csv
from collections import defaultdict
from decimal import Decimal
totals = defaultdict(Decimal)
for row in csv.DictReader(open("/tmp/q3.csv")):
    totals[row["category"]] += Decimal(row["amount"])
with open("/tmp/q3-summary.csv", "w") as f:
    f.write("category,total\n")
    for category in sorted(totals):
        f.write(f"{category},{totals[category]:.2f}\n")
PY
curl -fsS -u "$FILES_USER:$FILES_PASSWORD" -T /tmp/q3-summary.csv "${FILES_URL}reports/q3-summary.csv"
