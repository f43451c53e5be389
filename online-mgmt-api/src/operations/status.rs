//! Operation status look-ups.

use uuid::Uuid;

use crate::{AdminError, OnlineManagementClient, OperationQuery, OperationStatus};

impl OnlineManagementClient {
    /// The status of an operation (`GET Operation/{id}`).
    pub async fn operation_status(
        &self,
        operation_id: Uuid,
    ) -> Result<OperationStatus, AdminError> {
        let request = self.requests().operation_status(operation_id)?;
        self.get_json(
            request,
            "GetOperationStatus",
            Some(format!(
                "operation {operation_id} is not known to the service"
            )),
        )
        .await
    }

    /// The status of the operation matching a query (v1.2 only).
    pub async fn operation_status_by_query(
        &self,
        query: &OperationQuery,
    ) -> Result<OperationStatus, AdminError> {
        let request = self.requests().operation_status_by_query(query)?;
        self.get_json(
            request,
            "GetOperationStatusByQuery",
            Some("no operation matches the query".into()),
        )
        .await
    }
}
