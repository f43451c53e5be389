//! Per-request options: impersonation, plug-in bypass, duplicate detection, solution,
//! consistency, annotations, and the representation preference.

use dynamics_http::HttpRequest;
use uuid::Uuid;

/// Whom to act as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Impersonation {
    /// By the user's Entra object id (`CallerObjectId`, preferred).
    EntraObjectId(Uuid),
    /// By `systemuserid` (`MSCRMCallerID`, legacy).
    SystemUserId(Uuid),
}

/// Options for one request. Construct with `..Default::default()` or the builder methods.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// Act as another user (needs `prvActOnBehalfOfAnotherUser`).
    pub impersonate: Option<Impersonation>,
    /// Skip custom synchronous plug-ins (`MSCRM.BypassCustomPluginExecution`; needs
    /// `prvBypassCustomPlugins`).
    pub bypass_custom_plugins: bool,
    /// Run duplicate detection on create/update (it is off by default in the Web API).
    pub duplicate_detection: bool,
    /// Add created solution components to this unmanaged solution (`MSCRM.SolutionUniqueName`).
    pub solution_unique_name: Option<String>,
    /// Read the latest metadata and permissions (`Consistency: Strong`).
    pub strong_consistency: bool,
    /// Annotations to include (`*`, or a comma list).
    pub include_annotations: Option<String>,
    /// Return the row in the answer (`Prefer: return=representation`).
    pub return_representation: bool,
}

impl RequestOptions {
    /// Act as the user with this Entra object id.
    pub fn as_user(mut self, entra_object_id: Uuid) -> Self {
        self.impersonate = Some(Impersonation::EntraObjectId(entra_object_id));
        self
    }

    /// Skip custom plug-ins.
    pub fn bypass_custom_plugins(mut self) -> Self {
        self.bypass_custom_plugins = true;
        self
    }

    /// Run duplicate detection.
    pub fn with_duplicate_detection(mut self) -> Self {
        self.duplicate_detection = true;
        self
    }

    /// Add components to a solution.
    pub fn in_solution(mut self, unique_name: &str) -> Self {
        self.solution_unique_name = Some(unique_name.to_string());
        self
    }

    /// `Consistency: Strong`.
    pub fn strongly_consistent(mut self) -> Self {
        self.strong_consistency = true;
        self
    }

    /// Include annotations.
    pub fn annotations(mut self, which: &str) -> Self {
        self.include_annotations = Some(which.to_string());
        self
    }

    /// Ask for the row in the answer.
    pub fn return_representation(mut self) -> Self {
        self.return_representation = true;
        self
    }

    /// Applies the options as headers.
    pub fn apply(&self, mut request: HttpRequest) -> HttpRequest {
        match self.impersonate {
            Some(Impersonation::EntraObjectId(id)) => {
                request = request.header("CallerObjectId", id.to_string())
            }
            Some(Impersonation::SystemUserId(id)) => {
                request = request.header("MSCRMCallerID", id.to_string())
            }
            None => {}
        }
        if self.bypass_custom_plugins {
            request = request.header("MSCRM.BypassCustomPluginExecution", "true");
        }
        if self.duplicate_detection {
            request = request.header("MSCRM.SuppressDuplicateDetection", "false");
        }
        if let Some(solution) = &self.solution_unique_name {
            request = request.header("MSCRM.SolutionUniqueName", solution.clone());
        }
        if self.strong_consistency {
            request = request.header("Consistency", "Strong");
        }
        let mut prefer = Vec::new();
        if self.return_representation {
            prefer.push("return=representation".to_string());
        }
        if let Some(a) = &self.include_annotations {
            prefer.push(format!("odata.include-annotations=\"{a}\""));
        }
        if !prefer.is_empty() {
            request = request.header("Prefer", prefer.join(","));
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_headers() {
        let id = Uuid::nil();
        let r = RequestOptions::default()
            .as_user(id)
            .bypass_custom_plugins()
            .with_duplicate_detection()
            .in_solution("MySolution")
            .strongly_consistent()
            .return_representation()
            .annotations("*")
            .apply(HttpRequest::get(
                url::Url::parse("https://x.crm.dynamics.com/").expect("url"),
            ));
        assert_eq!(
            r.header_value("CallerObjectId"),
            Some("00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(
            r.header_value("MSCRM.BypassCustomPluginExecution"),
            Some("true")
        );
        assert_eq!(
            r.header_value("MSCRM.SuppressDuplicateDetection"),
            Some("false")
        );
        assert_eq!(
            r.header_value("MSCRM.SolutionUniqueName"),
            Some("MySolution")
        );
        assert_eq!(r.header_value("Consistency"), Some("Strong"));
        assert_eq!(
            r.header_value("Prefer"),
            Some("return=representation,odata.include-annotations=\"*\"")
        );
    }
}
