CREATE TABLE payroll (id serial PRIMARY KEY, employee text NOT NULL, team text NOT NULL,
                      month date NOT NULL, gross numeric(10, 2) NOT NULL);
INSERT INTO payroll (employee, team, month, gross) VALUES
  ('Mei Tanaka', 'Design', '2025-03-01', 5200.00),
  ('Daniel Brooks', 'Platform', '2025-03-01', 4800.50),
  ('Omar Haddad', 'Insights', '2025-03-01', 6100.00),
  ('Sam Okafor', 'Platform', '2025-03-01', 5900.25),
  ('Mei Tanaka', 'Design', '2025-04-01', 5200.00),
  ('Daniel Brooks', 'Platform', '2025-04-01', 4800.50),
  ('Omar Haddad', 'Insights', '2025-04-01', 6100.00),
  ('Sam Okafor', 'Platform', '2025-04-01', 6150.75),
  ('Grace Liu', 'Insights', '2025-04-01', 2750.00);
