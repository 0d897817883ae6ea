CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL, title text NOT NULL,
                        team text NOT NULL, start_date date);
INSERT INTO employees (name, title, team, start_date) VALUES
  ('Mei Tanaka', 'Product Designer', 'Design', '2022-05-02'),
  ('Daniel Brooks', 'QA Engineer', 'Platform', '2023-01-09'),
  ('Lucía Fernández', 'Backend Engineer', 'Payments', NULL),
  ('Omar Haddad', 'Data Engineer', 'Insights', '2024-10-21');
