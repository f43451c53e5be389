//! Bounded property tests of the operation builders: whatever names and values a caller
//! passes, a function call either is refused as invalid input before any request or reaches
//! the org's API root with every parameter value intact as a quoted OData literal; property
//! and navigation names never leave the row's URL.

mod support;

use dataverse_webapi::DataverseError;
use proptest::prelude::*;
use uuid::Uuid;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

thread_local! {
    /// One runtime and one wiremock org for all the cases of a test (proptest runs them on
    /// the test's thread); [`fresh`] clears what the previous case left.
    static ORG: (tokio::runtime::Runtime, support::Org) = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let org = rt.block_on(support::org());
        (rt, org)
    };
}

/// Forgets earlier requests and answers `{}` to anything.
async fn fresh(org: &support::Org) {
    org.server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&org.server)
        .await;
}

/// Names: mostly identifier characters, with the separators and punctuation that must be
/// refused mixed in.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_./ ()'$?#%&=]{0,12}"
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_function_call_is_refused_or_carries_its_values_intact(
        function in name(),
        parameter in name(),
        value in "\\PC{0,24}",
    ) {
        ORG.with(|(rt, org)| {
        rt.block_on(fresh(org));
        let answer = rt.block_on(
            org.client
                .function(function.as_str())
                .parameter(&parameter, value.as_str())
                .send(),
        );
        let requests = rt.block_on(org.server.received_requests()).expect("recorded");
        match answer {
            Err(DataverseError::InvalidInput { .. }) => prop_assert!(requests.is_empty()),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            Ok(_) => {
                prop_assert_eq!(requests.len(), 1);
                let url = &requests[0].url;
                prop_assert!(url.path().starts_with("/api/data/v9.2/"), "{}", url);
                let sent: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let literal = format!("'{}'", value.replace('\'', "''"));
                prop_assert_eq!(sent, vec![("@p0".to_string(), literal)]);
            }
        }
        Ok(())
        })?;
    }

    #[test]
    fn property_and_navigation_names_stay_in_the_row(column in name(), navigation in name()) {
        ORG.with(|(rt, org)| {
        rt.block_on(fresh(org));
        let id = Uuid::from_u128(42);
        let row = format!("/api/data/v9.2/accounts({id})/");
        let accounts = org.client.table("accounts");
        let read = rt.block_on(accounts.property(id, &column).get().send());
        let link = rt.block_on(
            accounts
                .navigation(id, &navigation)
                .associate("contacts", id)
                .send(),
        );
        for outcome in [read.map(|_| ()), link] {
            prop_assert!(
                matches!(outcome, Ok(()) | Err(DataverseError::InvalidInput { .. })),
                "{outcome:?}"
            );
        }
        for request in rt.block_on(org.server.received_requests()).expect("recorded") {
            let path = request.url.path();
            prop_assert!(path.starts_with(&row), "{}", path);
            // One segment after the row (`name`), or `nav/$ref`: never a path of the caller's.
            let rest = &path[row.len()..];
            prop_assert!(
                !rest.contains('/') || rest.strip_suffix("/$ref").is_some_and(|n| !n.contains('/')),
                "{}",
                path
            );
            prop_assert!(request.url.query().is_none());
        }
        Ok(())
        })?;
    }
}
