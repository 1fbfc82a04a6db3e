//! Insights: which kinds, categories, products and customers a shop's (or the
//! platform's) claims come from, and what they cost, over a range of UTC days. Pure:
//! built from the ledger's aggregate rows (see `ledger/insights.rs`), each claim counted
//! once at its latest revision on the day it was opened.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::contract::Timestamp;
use crate::history::DAY_MS;

/// How many entries a "top" list holds.
pub const TOP: usize = 20;
/// How many shops the platform's table lists.
pub const TOP_SHOPS: usize = 50;

/// What the aggregates are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Every claim, under the key `""`.
    All,
    Kind,
    Category,
    Sku,
    Customer,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Kind => "kind",
            Self::Category => "category",
            Self::Sku => "sku",
            Self::Customer => "customer",
        }
    }
}

/// One aggregate row as read: a key's counts on a day (or summed over the range, then
/// `utc_day` is 0), in one currency, in one shop (`""` when summed over shops).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsightRow {
    pub shop_id: String,
    pub utc_day: i64,
    pub key: String,
    pub currency: String,
    pub claims: i64,
    pub escalations: i64,
    pub fraud_flagged: i64,
    pub money: i64,
}

/// The buckets of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
}

impl Bucket {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            _ => None,
        }
    }

    /// The first day of the bucket holding `utc_day` (1970-01-01 was a Thursday).
    fn start(self, utc_day: i64) -> i64 {
        match self {
            Self::Day => utc_day,
            Self::Week => utc_day - (utc_day + 3).rem_euclid(7),
        }
    }
}

/// The whole UTC days an insights request covers: `from_day..to_day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from_day: i64,
    pub to_day: i64,
}

/// The longest range asked for at once, in days.
pub const MAX_RANGE_DAYS: i64 = 366 * 2;

impl DayRange {
    /// The days from the one holding `from` to the one holding `to` (both included).
    pub fn covering(from: Timestamp, to: Timestamp) -> Self {
        Self {
            from_day: from.unix_millis().div_euclid(DAY_MS),
            to_day: to.unix_millis().div_euclid(DAY_MS) + 1,
        }
    }

    pub fn days(self) -> i64 {
        self.to_day - self.from_day
    }
}

/// Counts and money of a set of claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = InsightFigures)]
pub struct Figures {
    pub claims: i64,
    pub escalations: i64,
    pub escalation_rate: f64,
    /// Claims whose fraud screen found any risk (soft or hard).
    pub fraud_flagged: i64,
    pub fraud_rate: f64,
    /// Money given, per currency, in minor units.
    pub money: BTreeMap<String, i64>,
}

impl Figures {
    fn add(&mut self, row: &InsightRow) {
        self.claims += row.claims;
        self.escalations += row.escalations;
        self.fraud_flagged += row.fraud_flagged;
        *self.money.entry(row.currency.clone()).or_default() += row.money;
        self.escalation_rate = rate(self.escalations, self.claims);
        self.fraud_rate = rate(self.fraud_flagged, self.claims);
    }

    /// Money across currencies, to rank by (minor units; one currency in practice).
    fn money_total(&self) -> i64 {
        self.money.values().copied().fold(0, i64::saturating_add)
    }
}

fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    let rate = part as f64 / whole as f64;
    (rate * 10_000.0).round() / 10_000.0
}

/// One bucket of the series.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    /// The bucket's first day, `YYYY-MM-DD`.
    pub start: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A key's figures (a kind, a category, a SKU).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KeyFigures {
    pub key: String,
    /// The SKU's shop, on the platform's lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_id: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Customers who claimed more than once in the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RepeatCustomers {
    /// Customers with any claim in the range.
    pub customers: i64,
    /// Of them, those with two or more.
    pub repeat_customers: i64,
    /// The claims of those repeat customers.
    pub repeat_claims: i64,
    /// The repeat customers with the most claims.
    pub top: Vec<CustomerClaims>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustomerClaims {
    pub customer_id: String,
    pub claims: i64,
}

/// A shop on the platform's table: which sellers' goods arrive damaged or short.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShopFigures {
    pub shop_id: String,
    #[serde(flatten)]
    pub figures: Figures,
    pub damaged: i64,
    pub short_shipment: i64,
    /// Damaged and short-shipment claims over all its claims.
    pub damaged_or_short_rate: f64,
}

/// The aggregate rows an insights report is drawn from.
#[derive(Debug, Clone, Default)]
pub struct InsightRows {
    /// Dimension `all`, per day.
    pub days: Vec<InsightRow>,
    /// Summed over the range (per shop on the platform).
    pub kinds: Vec<InsightRow>,
    pub categories: Vec<InsightRow>,
    pub skus: Vec<InsightRow>,
    pub customers: Vec<InsightRow>,
}

/// What the insights routes answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Insights {
    /// `shop` or `platform`.
    pub scope: &'static str,
    pub shop_id: Option<String>,
    pub from: String,
    pub to: String,
    pub bucket: Bucket,
    pub totals: Figures,
    pub series: Vec<SeriesPoint>,
    pub by_kind: Vec<KeyFigures>,
    pub by_category: Vec<KeyFigures>,
    pub top_skus_by_claims: Vec<KeyFigures>,
    pub top_skus_by_money: Vec<KeyFigures>,
    pub repeat_customers: RepeatCustomers,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_shop: Option<Vec<ShopFigures>>,
}

/// `YYYY-MM-DD` of a UTC day.
fn day_text(utc_day: i64) -> String {
    Timestamp::from_unix_millis(utc_day.saturating_mul(DAY_MS))
        .map(|at| at.to_string().chars().take(10).collect())
        .unwrap_or_default()
}

/// RFC 3339 of a day's first instant.
fn day_start_text(utc_day: i64) -> String {
    Timestamp::from_unix_millis(utc_day.saturating_mul(DAY_MS))
        .map(|at| at.to_string())
        .unwrap_or_default()
}

/// Whether a list is for one shop or across shops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Across {
    OneShop,
    Shops,
}

/// Builds the report over `range` from `rows`; `shop_id` is `None` for the platform.
pub fn build(
    shop_id: Option<&str>,
    range: DayRange,
    bucket: Bucket,
    rows: &InsightRows,
) -> Insights {
    let across = if shop_id.is_some() {
        Across::OneShop
    } else {
        Across::Shops
    };
    let mut totals = Figures::default();
    let mut series: BTreeMap<i64, Figures> = BTreeMap::new();
    // Every bucket of the range is shown, empty ones too, so a chart's axis is even.
    let mut day = bucket.start(range.from_day);
    while day < range.to_day {
        series.insert(day, Figures::default());
        day = match bucket {
            Bucket::Day => day + 1,
            Bucket::Week => day + 7,
        };
    }
    for row in &rows.days {
        totals.add(row);
        series
            .entry(bucket.start(row.utc_day))
            .or_default()
            .add(row);
    }

    let by_kind = ranked(grouped(&rows.kinds, Across::OneShop), by_claims, usize::MAX);
    let by_category = ranked(
        grouped(&rows.categories, Across::OneShop),
        by_claims,
        usize::MAX,
    );
    let skus = grouped(&rows.skus, across);
    let top_skus_by_claims = ranked(skus.clone(), by_claims, TOP);
    let top_skus_by_money = ranked(skus, by_money, TOP);

    Insights {
        scope: if shop_id.is_some() {
            "shop"
        } else {
            "platform"
        },
        shop_id: shop_id.map(str::to_owned),
        from: day_start_text(range.from_day),
        to: day_start_text(range.to_day),
        bucket,
        totals,
        series: series
            .into_iter()
            .map(|(start, figures)| SeriesPoint {
                start: day_text(start),
                figures,
            })
            .collect(),
        by_kind,
        by_category,
        top_skus_by_claims,
        top_skus_by_money,
        repeat_customers: repeat_customers(&rows.customers),
        by_shop: shop_id.is_none().then(|| by_shop(&rows.kinds)),
    }
}

/// Rows summed per key (per shop and key across shops).
fn grouped(rows: &[InsightRow], across: Across) -> Vec<KeyFigures> {
    let mut keys: BTreeMap<(String, String), Figures> = BTreeMap::new();
    for row in rows {
        let shop = match across {
            Across::OneShop => String::new(),
            Across::Shops => row.shop_id.clone(),
        };
        keys.entry((shop, row.key.clone())).or_default().add(row);
    }
    keys.into_iter()
        .filter(|(_, figures)| figures.claims > 0)
        .map(|((shop_id, key), figures)| KeyFigures {
            key,
            shop_id: (across == Across::Shops).then_some(shop_id),
            figures,
        })
        .collect()
}

fn by_claims(entry: &KeyFigures) -> (i64, i64) {
    (entry.figures.claims, entry.figures.money_total())
}

fn by_money(entry: &KeyFigures) -> (i64, i64) {
    (entry.figures.money_total(), entry.figures.claims)
}

/// The first `limit` entries, largest first; ties in key order.
fn ranked(
    mut entries: Vec<KeyFigures>,
    order: fn(&KeyFigures) -> (i64, i64),
    limit: usize,
) -> Vec<KeyFigures> {
    entries.sort_by(|a, b| {
        order(b)
            .cmp(&order(a))
            .then_with(|| a.shop_id.cmp(&b.shop_id))
            .then_with(|| a.key.cmp(&b.key))
    });
    entries.truncate(limit);
    entries
}

fn repeat_customers(rows: &[InsightRow]) -> RepeatCustomers {
    let mut claims: BTreeMap<&str, i64> = BTreeMap::new();
    for row in rows {
        *claims.entry(&row.key).or_default() += row.claims;
    }
    let mut report = RepeatCustomers::default();
    let mut repeat = Vec::new();
    for (customer_id, count) in claims {
        if count <= 0 {
            continue;
        }
        report.customers += 1;
        if count >= 2 {
            report.repeat_customers += 1;
            report.repeat_claims += count;
            repeat.push(CustomerClaims {
                customer_id: customer_id.to_owned(),
                claims: count,
            });
        }
    }
    repeat.sort_by(|a, b| {
        b.claims
            .cmp(&a.claims)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    repeat.truncate(TOP);
    report.top = repeat;
    report
}

/// Per shop, from the kind rows summed per shop: the shops whose claims are most often
/// about damaged or short goods first.
fn by_shop(kinds: &[InsightRow]) -> Vec<ShopFigures> {
    let mut shops: BTreeMap<&str, ShopFigures> = BTreeMap::new();
    for row in kinds {
        let shop = shops.entry(&row.shop_id).or_insert_with(|| ShopFigures {
            shop_id: row.shop_id.clone(),
            figures: Figures::default(),
            damaged: 0,
            short_shipment: 0,
            damaged_or_short_rate: 0.0,
        });
        shop.figures.add(row);
        match row.key.as_str() {
            "damaged" => shop.damaged += row.claims,
            "short_shipment" => shop.short_shipment += row.claims,
            _ => {}
        }
        shop.damaged_or_short_rate = rate(shop.damaged + shop.short_shipment, shop.figures.claims);
    }
    let mut shops: Vec<ShopFigures> = shops
        .into_values()
        .filter(|shop| shop.figures.claims > 0)
        .collect();
    shops.sort_by(|a, b| {
        (b.damaged + b.short_shipment)
            .cmp(&(a.damaged + a.short_shipment))
            .then_with(|| b.figures.claims.cmp(&a.figures.claims))
            .then_with(|| a.shop_id.cmp(&b.shop_id))
    });
    shops.truncate(TOP_SHOPS);
    shops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(shop: &str, day: i64, key: &str, claims: i64, money: i64) -> InsightRow {
        InsightRow {
            shop_id: shop.to_owned(),
            utc_day: day,
            key: key.to_owned(),
            currency: "RUB".to_owned(),
            claims,
            escalations: 0,
            fraud_flagged: 0,
            money,
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        // 1970-01-05 was a Monday: day 4.
        assert_eq!(Bucket::Week.start(4), 4);
        assert_eq!(Bucket::Week.start(10), 4);
        assert_eq!(Bucket::Week.start(11), 11);
        assert_eq!(Bucket::Week.start(3), -3);
        assert_eq!(day_text(4), "1970-01-05");
    }

    #[test]
    fn the_series_has_every_bucket_and_totals_add_up() {
        let rows = InsightRows {
            days: vec![row("s", 4, "", 2, 100), row("s", 6, "", 1, 50)],
            ..InsightRows::default()
        };
        let report = build(
            Some("s"),
            DayRange {
                from_day: 4,
                to_day: 8,
            },
            Bucket::Day,
            &rows,
        );
        let claims: Vec<i64> = report.series.iter().map(|p| p.figures.claims).collect();
        assert_eq!(claims, vec![2, 0, 1, 0]);
        assert_eq!(report.totals.claims, 3);
        assert_eq!(report.totals.money["RUB"], 150);
        let weekly = build(
            Some("s"),
            DayRange {
                from_day: 4,
                to_day: 8,
            },
            Bucket::Week,
            &rows,
        );
        assert_eq!(weekly.series.len(), 1);
        assert_eq!(weekly.series[0].figures.claims, 3);
    }

    #[test]
    fn repeat_customers_and_shops_are_ranked() {
        let rows = InsightRows {
            customers: vec![
                row("a", 0, "u1", 1, 0),
                row("b", 0, "u1", 2, 0),
                row("a", 0, "u2", 1, 0),
            ],
            kinds: vec![
                row("a", 0, "damaged", 1, 0),
                row("a", 0, "other", 3, 0),
                row("b", 0, "short_shipment", 2, 0),
            ],
            ..InsightRows::default()
        };
        let report = build(
            None,
            DayRange {
                from_day: 0,
                to_day: 1,
            },
            Bucket::Day,
            &rows,
        );
        assert_eq!(report.repeat_customers.customers, 2);
        assert_eq!(report.repeat_customers.repeat_customers, 1);
        assert_eq!(report.repeat_customers.top[0].claims, 3);
        let shops = report.by_shop.unwrap_or_default();
        assert_eq!(shops[0].shop_id, "b");
        assert!((shops[0].damaged_or_short_rate - 1.0).abs() < 1e-9);
        assert!((shops[1].damaged_or_short_rate - 0.25).abs() < 1e-9);
        // Kinds are summed across shops on the platform.
        assert_eq!(report.by_kind.len(), 3);
    }
}
