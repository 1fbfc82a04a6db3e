//! Insights for a shop or the platform: the ledger's aggregate rows over a range of
//! days, built into the report by [`crate::insights`].

use crate::insights::{Bucket, DayRange, Dimension, InsightRows, Insights, build};
use crate::ledger::InsightScope;

use super::{Service, ServiceError};

impl Service {
    /// The insights of `scope` over `range`, with the series in `bucket`s.
    pub async fn insights(
        &self,
        scope: InsightScope<'_>,
        range: DayRange,
        bucket: Bucket,
    ) -> Result<Insights, ServiceError> {
        let read = |dimension, by_day| {
            self.ledger
                .insight_rows(scope, dimension, range.from_day, range.to_day, by_day)
        };
        let rows = InsightRows {
            days: read(Dimension::All, true).await?,
            kinds: read(Dimension::Kind, false).await?,
            categories: read(Dimension::Category, false).await?,
            skus: read(Dimension::Sku, false).await?,
            customers: read(Dimension::Customer, false).await?,
        };
        let shop_id = match scope {
            InsightScope::Shop(shop_id) => Some(shop_id),
            InsightScope::Platform => None,
        };
        Ok(build(shop_id, range, bucket, &rows))
    }
}
