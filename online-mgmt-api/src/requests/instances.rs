//! `Instances`: list, get, provision, delete, reset, restore, admin mode, configuration.

use dynamics_http::HttpRequest;
use uuid::Uuid;

use super::identities::require_id;
use super::{Requests, Submit, json_body, with_validate};
use crate::{
    AdminError, ApiVersion, ConfigureInstanceSettings, Currency, InstanceAdminModeSettings,
    InstanceRestorePoint, NewInstance, ResetRequest,
};

impl Requests {
    /// `GET Instances` (GetInstances).
    pub fn list_instances(&self) -> Result<HttpRequest, AdminError> {
        Ok(self.request(HttpRequest::get(self.url(&["Instances"]))))
    }

    /// `GET Instances/{id}` (GetInstance).
    pub fn get_instance(&self, id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("instance id", id)?;
        Ok(self.request(HttpRequest::get(self.url(&["Instances", &id]))))
    }

    /// `PUT Instances/Provision[?validate=true]` (ProvisionInstance). The fields the
    /// version requires are checked first.
    pub fn provision_instance(
        &self,
        instance: &NewInstance,
        submit: Submit,
    ) -> Result<HttpRequest, AdminError> {
        check_new_instance(instance, self.version())?;
        let url = with_validate(self.url(&["Instances", "Provision"]), submit);
        // No client-chosen key: repeating it after a timeout could start a second
        // provisioning, so only a refusal (429) is retried.
        json_body(
            self.request(HttpRequest::put(url))
                .retry_safe(submit == Submit::ValidateOnly),
            instance,
        )
    }

    /// `DELETE Instances/{id}/Delete[?validate=true]` (DeleteInstance).
    pub fn delete_instance(&self, id: Uuid, submit: Submit) -> Result<HttpRequest, AdminError> {
        let id = require_id("instance id", id)?;
        let url = with_validate(self.url(&["Instances", &id, "Delete"]), submit);
        Ok(self.request(HttpRequest::delete(url)))
    }

    /// `POST Instances/{targetInstanceId}/Reset` (ResetInstance, v1.2 only).
    pub fn reset_instance(
        &self,
        target_instance_id: Uuid,
        reset: &ResetRequest,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("ResetInstance")?;
        let id = require_id("instance id", target_instance_id)?;
        if let Some(currency) = &reset.currency {
            check_currency(currency)?;
        }
        json_body(
            self.request(HttpRequest::post(self.url(&["Instances", &id, "Reset"]))),
            reset,
        )
    }

    /// `POST Instances/{targetInstanceId}/Restore` (RestoreInstance).
    pub fn restore_instance(
        &self,
        target_instance_id: Uuid,
        restore_point: &InstanceRestorePoint,
    ) -> Result<HttpRequest, AdminError> {
        let id = require_id("target instance id", target_instance_id)?;
        require_id("source instance id", restore_point.source_instance_id)?;
        if let Some(label) = &restore_point.label
            && label.chars().count() > 100
        {
            return Err(AdminError::invalid(
                "backup label (over 100 characters)",
                "give the label of an existing backup (at most 100 characters)",
            ));
        }
        json_body(
            self.request(HttpRequest::post(self.url(&["Instances", &id, "Restore"]))),
            restore_point,
        )
    }

    /// `POST Instances/{id}/UpdateAdminMode[?validate=true]` (UpdateInstanceAdminMode).
    pub fn update_admin_mode(
        &self,
        id: Uuid,
        settings: &InstanceAdminModeSettings,
        submit: Submit,
    ) -> Result<HttpRequest, AdminError> {
        let id = require_id("instance id", id)?;
        let url = with_validate(self.url(&["Instances", &id, "UpdateAdminMode"]), submit);
        // Setting a mode twice leaves it as set once.
        json_body(
            self.request(HttpRequest::post(url)).retry_safe(true),
            settings,
        )
    }

    /// `POST Instances/{id}/ConfigureInstance[?validate=true]` (ConfigureInstance, v1.2
    /// only).
    pub fn configure_instance(
        &self,
        id: Uuid,
        settings: &ConfigureInstanceSettings,
        submit: Submit,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("ConfigureInstance")?;
        let id = require_id("instance id", id)?;
        let url = with_validate(self.url(&["Instances", &id, "ConfigureInstance"]), submit);
        json_body(
            self.request(HttpRequest::post(url)).retry_safe(true),
            settings,
        )
    }
}

fn check_new_instance(instance: &NewInstance, version: ApiVersion) -> Result<(), AdminError> {
    require_id("service version id", instance.service_version_id).map_err(|_| {
        AdminError::invalid(
            "new instance: service_version_id is not set",
            "set it to the id of a release from service_versions()",
        )
    })?;
    let missing = |field: &str, fix: &str| {
        AdminError::invalid(format!("new instance: {field} is not set"), fix.to_string())
    };
    let Some(kind) = &instance.r#type else {
        return Err(missing("type", "set type, such as InstanceType::Sandbox"));
    };
    for (field, value, fix) in [
        (
            "friendly_name",
            &instance.friendly_name,
            "give a display name",
        ),
        (
            "domain_name",
            &instance.domain_name,
            "give the first label of the URL, such as contoso",
        ),
        (
            "initial_user_email",
            &instance.initial_user_email,
            "give the initial user",
        ),
    ] {
        if value.trim().is_empty() {
            return Err(missing(field, fix));
        }
    }
    if let Some(currency) = &instance.currency {
        check_currency(currency)?;
    }
    if version == ApiVersion::V1 {
        if instance.base_language.is_none() {
            return Err(missing(
                "base_language",
                "v1 requires it: set the LCID, such as 1033 for English",
            ));
        }
        if !kind.is_in_v1() {
            return Err(AdminError::invalid(
                format!("new instance: type {kind} is not known to v1"),
                "use v1.2, or one of None, Production, Sandbox, Support, Preview, Trial",
            ));
        }
        if !instance.additional_properties.is_empty() {
            return Err(AdminError::invalid(
                "new instance: additional_properties are not part of v1",
                "use v1.2, or leave them empty",
            ));
        }
    }
    Ok(())
}

fn check_currency(currency: &Currency) -> Result<(), AdminError> {
    if let Some(code) = &currency.code
        && code.chars().count() != 3
    {
        return Err(AdminError::invalid(
            format!("currency code `{code}`"),
            "use the 3-letter ISO code, such as EUR",
        ));
    }
    if let Some(p) = currency.precision
        && !(0..=4).contains(&p)
    {
        return Err(AdminError::invalid(
            format!("currency precision {p}"),
            "use 0 to 4 decimal places",
        ));
    }
    if let Some(symbol) = &currency.symbol
        && symbol.chars().count() > 4
    {
        return Err(AdminError::invalid(
            format!("currency symbol `{symbol}`"),
            "use at most 4 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstanceType;
    use crate::requests::tests::requests;

    fn sample() -> NewInstance {
        NewInstance::new(
            Uuid::from_u128(7),
            InstanceType::Sandbox,
            "Contoso Test",
            "contosotest",
            "admin@contoso.onmicrosoft.com",
        )
    }

    #[test]
    fn provision_checks_what_the_version_requires() {
        let v1 = requests(ApiVersion::V1);
        let err = v1
            .provision_instance(&sample(), Submit::Apply)
            .expect_err("v1 needs it");
        assert!(err.to_string().contains("base_language"), "{err}");
        let ok = NewInstance {
            base_language: Some(1033),
            ..sample()
        };
        let req = v1
            .provision_instance(&ok, Submit::ValidateOnly)
            .expect("builds");
        assert_eq!(req.url().query(), Some("validate=true"));
        let dev = NewInstance {
            r#type: Some(InstanceType::Developer),
            ..ok
        };
        assert!(v1.provision_instance(&dev, Submit::Apply).is_err());
        assert!(
            requests(ApiVersion::V1_2)
                .provision_instance(&dev, Submit::Apply)
                .is_ok()
        );
        let blank = NewInstance {
            domain_name: " ".into(),
            ..sample()
        };
        let err = requests(ApiVersion::V1_2)
            .provision_instance(&blank, Submit::Apply)
            .expect_err("blank");
        assert!(err.to_string().contains("domain_name"), "{err}");
        assert!(
            requests(ApiVersion::V1_2)
                .provision_instance(&NewInstance::default(), Submit::Apply)
                .is_err()
        );
    }

    #[test]
    fn provision_body_is_pascal_case() {
        let req = requests(ApiVersion::V1_2)
            .provision_instance(&sample(), Submit::Apply)
            .expect("builds");
        let body: serde_json::Value =
            serde_json::from_slice(req.body_bytes().expect("body")).expect("json");
        assert_eq!(body["Type"], "Sandbox");
        assert_eq!(body["DomainName"], "contosotest");
        assert!(body.get("Templates").is_none());
        assert!(!req.is_retry_safe());
    }
}
