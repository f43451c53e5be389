//! Fetches the service document (`GET $metadata?annotations=true`) and reads it into a
//! [`Csdl`] summary. With annotations the document says which entity sets support change
//! tracking (Learn "Use change tracking to synchronize data with external systems").

use dynamics_http::{HttpRequest, Method};

use super::csdl::{Csdl, CsdlLimits};
use super::error::MetadataError;
use super::read::Metadata;
use crate::error::Result;

impl Metadata {
    /// The CSDL document with annotations (`GET $metadata?annotations=true`), read within the
    /// default [`CsdlLimits`]. A large org's document is tens of megabytes: fetch it once
    /// and keep it.
    pub async fn csdl(&self) -> Result<Csdl> {
        self.csdl_with(CsdlLimits::default()).await
    }

    /// [`csdl`](Metadata::csdl) within other limits.
    pub async fn csdl_with(&self, limits: CsdlLimits) -> Result<Csdl> {
        let client = self.client();
        let url = client.url("$metadata?annotations=true")?;
        // The document is XML, so not the JSON `Accept` of the other requests.
        let request = HttpRequest::new(Method::Get, url)
            .header("Accept", "application/xml")
            .header("OData-MaxVersion", "4.0")
            .header("OData-Version", "4.0");
        let response = client.send(request).await?;
        Csdl::from_bytes(response.into_body(), limits).map_err(|e| MetadataError::Csdl(e).into())
    }
}
