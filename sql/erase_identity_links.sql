-- Erasure: the links of the shoppers in @user_ids, and of the visitors among them. The other erase files read the
-- links to find a shopper's linked visitors, so the erasure job runs this one last.
DELETE FROM identity_links
WHERE user_id IN UNNEST(@user_ids)
  OR anonymous_id IN UNNEST(@user_ids)
