-- Running totals of the money given, per shop and per customer per UTC day, so the
-- envelope's spending caps read one row (a shop's day) or at most 31 (a customer's 30
-- days) instead of summing every claim of the day or the month. `utc_day` counts days
-- since 1970-01-01 UTC, rounded down, of the claim's `decided_now_ms`; each total holds
-- every claim at its latest revision (as `claims` does), and the ledger moves a claim's
-- money between totals in the same transaction that writes its new revision.

CREATE TABLE shop_day_totals (
    shop_id      TEXT NOT NULL,
    utc_day      BIGINT NOT NULL,
    money_given  BIGINT NOT NULL,
    PRIMARY KEY (shop_id, utc_day)
);

CREATE TABLE customer_day_totals (
    customer_id  TEXT NOT NULL,
    utc_day      BIGINT NOT NULL,
    money_given  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, utc_day)
);

-- The day of each claim recorded so far. `%` keeps the sign of the dividend, so the
-- remainder is made non-negative first: a time before 1970 falls on its own day too.
INSERT INTO shop_day_totals (shop_id, utc_day, money_given)
SELECT shop_id,
       (decided_now_ms - ((decided_now_ms % 86400000) + 86400000) % 86400000) / 86400000,
       SUM(money_given)
FROM claims
GROUP BY 1, 2
HAVING SUM(money_given) <> 0;

INSERT INTO customer_day_totals (customer_id, utc_day, money_given)
SELECT customer_id,
       (decided_now_ms - ((decided_now_ms % 86400000) + 86400000) % 86400000) / 86400000,
       SUM(money_given)
FROM claims
GROUP BY 1, 2
HAVING SUM(money_given) <> 0;

-- The spending sums no longer read claims by time (0008's indexes served only them);
-- every claim's write kept both up to date.
DROP INDEX claims_by_shop_time;
DROP INDEX claims_by_customer_time;
