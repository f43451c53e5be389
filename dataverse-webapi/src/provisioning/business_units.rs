//! Business units: the root one, find by name, create under a parent.

use std::fmt;

use uuid::Uuid;

use super::model::BusinessUnit;
use super::read::{collect, columns, not_found};
use crate::client::DataverseClient;
use crate::error::Result;
use crate::query::{Filter, Query};
use crate::record::Record;

impl DataverseClient {
    /// Business units: [`BusinessUnits::root`], [`BusinessUnits::find`],
    /// [`BusinessUnits::create`].
    pub fn business_units(&self) -> BusinessUnits {
        BusinessUnits {
            client: self.clone(),
        }
    }
}

/// The org's business units. From [`DataverseClient::business_units`].
#[derive(Clone)]
pub struct BusinessUnits {
    client: DataverseClient,
}

impl fmt::Debug for BusinessUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusinessUnits").finish_non_exhaustive()
    }
}

impl BusinessUnits {
    fn query(&self) -> Query {
        Query::new("businessunits").select(columns::BUSINESS_UNIT)
    }

    /// The root business unit: the one without a parent
    /// (`$filter=parentbusinessunitid eq null`).
    pub async fn root(&self) -> Result<BusinessUnit> {
        let rows: Vec<BusinessUnit> = collect(
            &self.client,
            &self.query().filter(Filter::is_null("parentbusinessunitid")),
        )
        .await?;
        rows.into_iter().next().ok_or_else(|| {
            not_found(
                "the root business unit (the one without a parent)",
                "check that the signed-in principal may read business units (prvReadBusinessUnit)",
            )
        })
    }

    /// The business unit with this name, if any (the first when several share it).
    pub async fn find(&self, name: &str) -> Result<Option<BusinessUnit>> {
        let rows: Vec<BusinessUnit> =
            collect(&self.client, &self.query().filter(Filter::eq("name", name))).await?;
        Ok(rows.into_iter().next())
    }

    /// One business unit by id.
    pub async fn get(&self, id: Uuid) -> Result<BusinessUnit> {
        self.client
            .table("businessunits")
            .retrieve(id)
            .select(columns::BUSINESS_UNIT)
            .typed()
            .await
    }

    /// Every business unit.
    pub async fn list(&self) -> Result<Vec<BusinessUnit>> {
        collect(&self.client, &self.query()).await
    }

    /// Creates a business unit named `name`, under the root business unit unless
    /// [`CreateBusinessUnit::parent`] says otherwise.
    pub fn create(&self, name: impl Into<String>) -> CreateBusinessUnit {
        CreateBusinessUnit {
            units: self.clone(),
            name: name.into(),
            parent: None,
        }
    }
}

/// Creates a business unit. From [`BusinessUnits::create`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct CreateBusinessUnit {
    units: BusinessUnits,
    name: String,
    parent: Option<Uuid>,
}

impl CreateBusinessUnit {
    /// The parent business unit (the root one when never called).
    pub fn parent(mut self, id: Uuid) -> Self {
        self.parent = Some(id);
        self
    }

    /// Sends the request (the same as awaiting the builder); answers the new unit as stored.
    pub async fn send(self) -> Result<BusinessUnit> {
        let parent = match self.parent {
            Some(id) => id,
            None => self.units.root().await?.id,
        };
        let row = Record::new().with("name", self.name).bind(
            "parentbusinessunitid",
            "businessunits",
            parent,
        );
        let client = &self.units.client;
        let id = client.table("businessunits").create(&row).await?;
        self.units.get(id).await
    }
}

send_on_await!([] CreateBusinessUnit => BusinessUnit, 'static);
