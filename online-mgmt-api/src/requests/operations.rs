//! `Operation`: the status of long-running operations.

use dynamics_http::HttpRequest;
use uuid::Uuid;

use super::Requests;
use super::identities::require_id;
use crate::{AdminError, OperationQuery};

impl Requests {
    /// `GET Operation/{id}` (GetOperationStatus).
    pub fn operation_status(&self, operation_id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("operation id", operation_id)?;
        Ok(self.request(HttpRequest::get(self.url(&["Operation", &id]))))
    }

    /// `GET Operation?query.operationProvider=...&query.instanceId=...`
    /// (GetOperationStatusByQuery, v1.2 only).
    pub fn operation_status_by_query(
        &self,
        query: &OperationQuery,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("GetOperationStatusByQuery")?;
        let provider = query
            .operation_provider
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if provider.is_none() && query.instance_id.is_none() {
            return Err(AdminError::invalid(
                "operation query (empty)",
                "give an operation provider, an instance id, or both",
            ));
        }
        let mut url = self.url(&["Operation"]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(p) = provider {
                pairs.append_pair("query.operationProvider", p);
            }
            if let Some(id) = query.instance_id {
                pairs.append_pair("query.instanceId", &require_id("instance id", id)?);
            }
        }
        Ok(self.request(HttpRequest::get(url)))
    }
}
