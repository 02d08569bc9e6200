-- A random salt per person, mixed into their pseudonym and erased with them by /forget,
-- so a person who returns after erasure gets a new pseudonym nobody can link to the old.
-- People from before this migration keep NULL (and their pseudonym) until they erase.
ALTER TABLE people ADD COLUMN pseudonym_salt TEXT;
