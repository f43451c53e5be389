//! Links between rows through a navigation property's `$ref`:
//! `table.navigation(user, "systemuserroles_association").associate("roles", role).await`.

use std::fmt;

use dynamics_http::Method;
use url::Url;
use uuid::Uuid;

use crate::client::DataverseClient;
use crate::error::Result;
use crate::key::RecordKey;
use crate::options::RequestOptions;
use crate::query::checked_name;
use crate::table::Table;

impl Table {
    /// One navigation property of one row (`systemuserroles_association`,
    /// `primarycontactid`): associate, disassociate or point it at another row.
    pub fn navigation(&self, id: Uuid, property: &str) -> Navigation<'_> {
        Navigation {
            table: self,
            id,
            property: property.to_string(),
        }
    }
}

impl DataverseClient {
    /// Adds `target` to a collection-valued navigation property (1:N or N:N):
    /// `POST {row}/{navigation}/$ref`. The same as [`Navigation::associate`].
    pub async fn associate(
        &self,
        entity_set: &str,
        id: Uuid,
        navigation: &str,
        target_set: &str,
        target_id: Uuid,
    ) -> Result<()> {
        self.table(entity_set)
            .navigation(id, navigation)
            .associate(target_set, target_id)
            .await
    }

    /// Removes `target` from a collection-valued navigation property
    /// (`DELETE {row}/{navigation}/$ref?$id=...`), or clears a single-valued one when
    /// `target` is `None` (`DELETE {row}/{navigation}/$ref`). The same as
    /// [`Navigation::disassociate`] and [`Navigation::clear_reference`].
    pub async fn disassociate(
        &self,
        entity_set: &str,
        id: Uuid,
        navigation: &str,
        target: Option<(&str, Uuid)>,
    ) -> Result<()> {
        let table = self.table(entity_set);
        let navigation = table.navigation(id, navigation);
        match target {
            Some((target_set, target_id)) => navigation.disassociate(target_set, target_id).await,
            None => navigation.clear_reference().await,
        }
    }
}

/// A navigation property of one row. From [`Table::navigation`].
#[derive(Clone)]
pub struct Navigation<'a> {
    table: &'a Table,
    id: Uuid,
    property: String,
}

impl fmt::Debug for Navigation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Navigation")
            .field("table", &self.table.entity_set())
            .field("id", &self.id)
            .field("property", &self.property)
            .finish()
    }
}

impl<'a> Navigation<'a> {
    fn change(&self, kind: RefKind) -> RefChange<'a> {
        RefChange {
            table: self.table,
            id: self.id,
            property: self.property.clone(),
            kind,
            options: RequestOptions::default(),
        }
    }

    /// Adds the target row to a collection-valued property (1:N or N:N):
    /// `POST {row}/{property}/$ref` with `{"@odata.id": target}`.
    pub fn associate(&self, target_set: &str, target_id: Uuid) -> RefChange<'a> {
        self.change(RefKind::Add(target_set.to_string(), target_id))
    }

    /// Removes the target row from a collection-valued property:
    /// `DELETE {row}/{property}/$ref?$id={target}`.
    ///
    /// A removal that timed out or got a 408/5xx is tried again, and a 404 on that repeat is
    /// taken as the earlier attempt having removed the link.
    pub fn disassociate(&self, target_set: &str, target_id: Uuid) -> RefChange<'a> {
        self.change(RefKind::Remove(Some((target_set.to_string(), target_id))))
    }

    /// Points a single-valued property (a lookup) at the target row:
    /// `PUT {row}/{property}/$ref` with `{"@odata.id": target}`.
    pub fn set_reference(&self, target_set: &str, target_id: Uuid) -> RefChange<'a> {
        self.change(RefKind::Set(target_set.to_string(), target_id))
    }

    /// Empties a single-valued property (a lookup): `DELETE {row}/{property}/$ref`. Repeated
    /// after a lost answer as [`Navigation::disassociate`] is.
    pub fn clear_reference(&self) -> RefChange<'a> {
        self.change(RefKind::Remove(None))
    }
}

#[derive(Debug, Clone)]
enum RefKind {
    Add(String, Uuid),
    Set(String, Uuid),
    Remove(Option<(String, Uuid)>),
}

/// Adds, sets or removes a link. From the methods of [`Navigation`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct RefChange<'a> {
    table: &'a Table,
    id: Uuid,
    property: String,
    kind: RefKind,
    options: RequestOptions,
}

impl fmt::Debug for RefChange<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefChange")
            .field("table", &self.table.entity_set())
            .field("id", &self.id)
            .field("property", &self.property)
            .field("change", &self.kind)
            .finish_non_exhaustive()
    }
}

impl RefChange<'_> {
    request_options!();

    /// `{row}/{property}/$ref`.
    fn ref_url(&self) -> Result<Url> {
        let property = checked_name("navigation property", &self.property)?;
        let set = checked_name("entity set", self.table.entity_set())?;
        self.table
            .client()
            .url(&format!("{set}({})/{property}/$ref", self.id))
    }

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<()> {
        let client = self.table.client();
        let mut url = self.ref_url()?;
        let (method, target) = match &self.kind {
            RefKind::Add(set, id) => (Method::Post, Some((set, *id))),
            RefKind::Set(set, id) => (Method::Put, Some((set, *id))),
            RefKind::Remove(target) => {
                if let Some((set, id)) = target {
                    let target = client.record_url(set, &RecordKey::Id(*id))?;
                    url.set_query(Some(&format!(
                        "$id={}",
                        crate::query::encode::query_value(target.as_str())
                    )));
                }
                // Like a row delete: a repeat after a lost answer may find the link gone.
                let request = client
                    .request(Method::Delete, url, &self.options)
                    .retry_safe(false);
                client
                    .send_write_once(request, |status| status == 404)
                    .await?;
                return Ok(());
            }
        };
        let mut request = client.request(method, url, &self.options);
        if let Some((set, id)) = target {
            let target = client.record_url(set, &RecordKey::Id(id))?;
            request = request.json(&serde_json::json!({ "@odata.id": target.as_str() }))?;
        }
        client.send(request).await?;
        Ok(())
    }
}

send_on_await!(['a] RefChange<'a> => (), 'a);
