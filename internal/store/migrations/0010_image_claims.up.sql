-- Container images claimed by accounts. The first non-admin account that deploys an image ID
-- owns it: no other account can make a function of it (the gateway answers as if the image did
-- not exist). The admin account claims nothing and may use any image; Lambdock's runtime images
-- are never claimed. Deleting an account releases its claims.
CREATE TABLE image_claims (
    image_id   text PRIMARY KEY CHECK (image_id ~ '^sha256:[0-9a-f]{64}$'),
    account_id char(12) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    claimed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX image_claims_account ON image_claims (account_id);

-- Image functions deployed before claims existed: an image that exactly one account other than
-- the admin account runs is that account's. An image several accounts run stays unclaimed
-- (they keep running it; the next account to deploy it claims it).
INSERT INTO image_claims (image_id, account_id)
SELECT image_digest, min(account_id)
FROM functions
WHERE image_digest ~ '^sha256:[0-9a-f]{64}$' AND account_id <> '000000000000'
GROUP BY image_digest
HAVING count(DISTINCT account_id) = 1;
