DROP TABLE IF EXISTS image_claims;
