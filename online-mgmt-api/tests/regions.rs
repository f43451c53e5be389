//! Regions, service endpoints and region detection from org URLs (no network).

use online_mgmt_api::{AdminError, Region, ServiceEndpoint};

#[test]
fn all_eleven_service_urls() {
    let expected = [
        (
            Region::NorthAmerica,
            "https://admin.services.crm.dynamics.com/",
            "North America",
        ),
        (
            Region::NorthAmerica2,
            "https://admin.services.crm9.dynamics.com/",
            "North America 2",
        ),
        (
            Region::Emea,
            "https://admin.services.crm4.dynamics.com/",
            "EMEA",
        ),
        (
            Region::Apac,
            "https://admin.services.crm5.dynamics.com/",
            "APAC",
        ),
        (
            Region::Oceania,
            "https://admin.services.crm6.dynamics.com/",
            "Oceania",
        ),
        (
            Region::Japan,
            "https://admin.services.crm7.dynamics.com/",
            "Japan",
        ),
        (
            Region::SouthAmerica,
            "https://admin.services.crm2.dynamics.com/",
            "South America",
        ),
        (
            Region::India,
            "https://admin.services.crm8.dynamics.com/",
            "India",
        ),
        (
            Region::Canada,
            "https://admin.services.crm3.dynamics.com/",
            "Canada",
        ),
        (
            Region::UnitedKingdom,
            "https://admin.services.crm11.dynamics.com/",
            "United Kingdom",
        ),
        (
            Region::France,
            "https://admin.services.crm12.dynamics.com/",
            "France",
        ),
    ];
    assert_eq!(Region::ALL.len(), expected.len());
    for (region, url, name) in expected {
        assert!(Region::ALL.contains(&region));
        assert_eq!(region.service_url().as_str(), url);
        assert_eq!(region.name(), name);
        assert_eq!(region.to_string(), name);
        // Every name and label parses back.
        assert_eq!(name.parse::<Region>().expect("name"), region);
        assert_eq!(
            region.crm_host_label().parse::<Region>().expect("label"),
            region
        );
        assert_eq!(
            format!("{region:?}").parse::<Region>().expect("variant"),
            region
        );
    }
}

#[test]
fn names_parse_case_insensitively_with_short_codes() {
    for (text, region) in [
        ("EMEA", Region::Emea),
        ("emea", Region::Emea),
        ("crm4", Region::Emea),
        ("CRM4", Region::Emea),
        ("NorthAmerica", Region::NorthAmerica),
        ("North America 2", Region::NorthAmerica2),
        ("north_america-2", Region::NorthAmerica2),
        ("na", Region::NorthAmerica),
        ("crm", Region::NorthAmerica),
        ("uk", Region::UnitedKingdom),
        ("fra", Region::France),
        ("jpn", Region::Japan),
        ("oce", Region::Oceania),
        ("can", Region::Canada),
        ("ind", Region::India),
        ("sam", Region::SouthAmerica),
        ("apac", Region::Apac),
    ] {
        assert_eq!(text.parse::<Region>().expect(text), region, "{text}");
    }
}

#[test]
fn an_unknown_region_lists_the_valid_names() {
    let err = "mars".parse::<Region>().expect_err("unknown");
    let AdminError::InvalidInput { what, fix } = &err else {
        panic!("{err:?}");
    };
    assert!(what.contains("mars"));
    for r in Region::ALL {
        assert!(fix.contains(r.name()), "{fix}");
    }
    assert!(err.hint().is_some());
}

#[test]
fn regions_come_from_dataverse_org_urls() {
    for (url, region) in [
        ("https://contoso.crm4.dynamics.com", Region::Emea),
        ("contoso.crm4.dynamics.com", Region::Emea),
        (
            "https://contoso.crm4.dynamics.com/api/data/v9.2/",
            Region::Emea,
        ),
        ("https://contoso.api.crm4.dynamics.com", Region::Emea),
        ("https://CONTOSO.CRM.DYNAMICS.COM/", Region::NorthAmerica),
        ("https://contoso.crm9.dynamics.com", Region::NorthAmerica2),
        ("https://contoso.crm11.dynamics.com", Region::UnitedKingdom),
        ("https://contoso.crm12.dynamics.com", Region::France),
        ("https://admin.services.crm6.dynamics.com/", Region::Oceania),
    ] {
        assert_eq!(Region::from_dataverse_url(url).expect(url), region, "{url}");
    }
}

#[test]
fn newer_regions_have_no_admin_host() {
    for (url, label) in [
        ("https://contoso.crm14.dynamics.com", "crm14"),
        ("contoso.crm21.dynamics.com", "crm21"),
        (
            "https://contoso.crm.microsoftdynamics.us",
            "crm.microsoftdynamics.us",
        ),
    ] {
        let err = Region::from_dataverse_url(url).expect_err(url);
        assert!(
            matches!(&err, AdminError::NoAdminHost { region_label } if region_label == label),
            "{err:?}"
        );
    }
    let err = Region::from_dataverse_url("https://contoso.crm14.dynamics.com").expect_err("crm14");
    assert_eq!(
        err.to_string(),
        "the Online Management API has no documented host for crm14; use the Power Platform admin API (BAP) instead"
    );
}

#[test]
fn non_dynamics_hosts_are_invalid_input() {
    for url in [
        "https://example.com",
        "https://dynamics.com",
        "https://contoso.sales.dynamics.com",
        "http://127.0.0.1:7070",
        "",
    ] {
        let err = Region::from_dataverse_url(url).expect_err(url);
        assert!(
            matches!(err, AdminError::InvalidInput { .. }),
            "{url}: {err:?}"
        );
    }
}

#[test]
fn service_endpoints_parse_names_and_urls() {
    assert_eq!(
        ServiceEndpoint::parse("emea").expect("name"),
        ServiceEndpoint::Region(Region::Emea)
    );
    assert_eq!(
        ServiceEndpoint::parse("https://admin.services.crm4.dynamics.com").expect("region url"),
        ServiceEndpoint::Region(Region::Emea)
    );
    let custom = ServiceEndpoint::parse("http://127.0.0.1:7070/admin").expect("loopback");
    assert_eq!(custom.url().as_str(), "http://127.0.0.1:7070/admin/");
    let proxy = ServiceEndpoint::parse("https://proxy.contoso.com").expect("https");
    assert_eq!(proxy.url().as_str(), "https://proxy.contoso.com/");
    for bad in [
        "http://admin.services.crm4.dynamics.com",
        "ftp://x",
        "https://x.com/?a=1",
        "somewhere",
    ] {
        let err = ServiceEndpoint::parse(bad).expect_err(bad);
        assert!(
            matches!(err, AdminError::InvalidInput { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn urls_with_user_info_are_refused_without_echoing_them() {
    for bad in [
        "https://alice:hunter2@admin.services.crm4.dynamics.com",
        "https://alice@admin.services.crm4.dynamics.com",
        "https://:hunter2@admin.services.crm4.dynamics.com",
        "http://alice:hunter2@127.0.0.1:7070",
        "http://alice:hunter2@evil.example.com",
        "https://alice:hunter2@[broken",
    ] {
        let err = ServiceEndpoint::parse(bad).expect_err(bad);
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("alice"),
            "{text}"
        );
        if let Ok(url) = url::Url::parse(bad) {
            let err = ServiceEndpoint::from_url(url).expect_err(bad);
            let text = format!("{err} {err:?}");
            assert!(
                !text.contains("hunter2") && !text.contains("alice"),
                "{text}"
            );
        }
    }
    let err = Region::from_dataverse_url("https://alice:hunter2@contoso.crm4.dynamics.com")
        .expect_err("user info");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("alice"),
        "{text}"
    );
}
