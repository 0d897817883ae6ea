CREATE TABLE invoices (id integer PRIMARY KEY, customer text NOT NULL, due_date date NOT NULL,
                       paid boolean NOT NULL, status text NOT NULL);
INSERT INTO invoices VALUES
  (1, 'Acme', '2025-03-01', false, 'open'),
  (2, 'Globex', '2025-04-15', true, 'paid'),
  (3, 'Initech', '2025-05-31', false, 'open'),
  (4, 'Umbrella', '2025-06-01', false, 'open'),
  (5, 'Hooli', '2025-07-20', false, 'open'),
  (6, 'Stark', '2025-01-10', false, 'disputed');
