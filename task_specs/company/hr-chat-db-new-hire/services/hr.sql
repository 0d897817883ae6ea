CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL, title text NOT NULL,
                        team text NOT NULL, start_date date NOT NULL);
INSERT INTO employees (name, title, team, start_date) VALUES
  ('Tomás Ortega', 'Head of Insights', 'Insights', '2021-09-01'),
  ('Grace Liu', 'Senior Data Analyst', 'Insights', '2022-02-14'),
  ('Sam Okafor', 'Backend Engineer', 'Platform', '2023-06-05');
