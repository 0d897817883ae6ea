#!/usr/bin/env bash
set -euxo pipefail
{
  echo "team,gross"
  psql "$DATABASE_URL" -qAt -F, -v ON_ERROR_STOP=1 \
       -c "SELECT team, to_char(sum(gross), 'FM999999990.00') FROM payroll WHERE month = '2025-04-01' GROUP BY team ORDER BY team"
} > /tmp/payroll-2025-04.csv
curl -fsS -u "$FILES_USER:$FILES_PASSWORD" -T /tmp/payroll-2025-04.csv "${FILES_URL}reports/payroll-2025-04.csv"
