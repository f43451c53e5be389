//! The `connector_sign_in` example's story, asserted: two customers in two tenants sign in
//! through the platform's browser flow, the tenant without consent gets AADSTS65001 with an
//! admin-consent link that works, both accounts are used at once, a refresh rotates the token
//! through the store, a wrong org URL gets AADSTS500011 naming that URL, a callback's state
//! works once only and in the browser that started it, and admin-consent callbacks the
//! platform did not ask for are refused.

#[path = "../examples/common/connector_platform.rs"]
mod connector_platform;

use std::sync::Arc;

use connector_platform::{
    CallbackOutcome, FABRIKAM_TENANT, Platform, start_customers, unreachable_org,
};
use dynamics_rs::auth::TokenCredential;
use dynamics_rs::connector::{
    AccountId, AccountStatus, ConnectorError, MemoryTokenStore, SqlTokenStore, TokenKey, TokenStore,
};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient};

async fn client(platform: &Platform, account: &str) -> DataverseClient {
    let credential = platform
        .sign_in
        .client_for(&AccountId::new(account).unwrap())
        .await
        .expect("signed-in account");
    let org = credential.org_url().to_string();
    DataverseClient::new(&org, Arc::new(credential), ClientOptions::default()).expect("client")
}

fn signed_in(outcome: CallbackOutcome) -> dynamics_rs::connector::SignedIn {
    match outcome {
        CallbackOutcome::SignedIn(done) => done,
        other => panic!("expected a sign-in, got {other:?}"),
    }
}

#[tokio::test]
async fn two_customers_sign_in_and_are_used_concurrently() {
    let customers = start_customers().await.expect("emulator");
    let dir = std::env::temp_dir().join(format!("connector-sign-in-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("tokens.db"));
    let store: Arc<dyn TokenStore> = Arc::new(
        SqlTokenStore::open_sqlite(&dir.join("tokens.db"), TokenKey::generate())
            .await
            .unwrap(),
    );
    let platform = Platform::start(&customers, store.clone())
        .await
        .expect("platform");

    // Contoso: consented, signs in at once, in its own tenant (found from its org).
    let contoso_typed = format!("{}/", customers.contoso_org());
    let contoso = signed_in(platform.connect("contoso-1", &contoso_typed).await.unwrap());
    assert_eq!(
        contoso.tenant,
        customers.emulator.defaults().tenant_id.to_string()
    );
    assert_eq!(
        contoso.org_url.as_str(),
        customers.contoso_org(),
        "the org URL is normalised"
    );

    // Fabrikam: no consent yet, so AADSTS65001 with a link for its administrator.
    let link = match platform
        .connect("fabrikam-1", &customers.fabrikam_org())
        .await
        .unwrap()
    {
        CallbackOutcome::Failed(ConnectorError::ConsentRequired { admin_consent_url }) => {
            admin_consent_url
        }
        other => panic!("expected AADSTS65001, got {other:?}"),
    };
    assert!(
        // The one sign-in service both tenants use, not Fabrikam's org host.
        link.starts_with(&format!(
            "{}{FABRIKAM_TENANT}/adminconsent?",
            customers.emulator.base_url()
        )),
        "{link}"
    );
    assert!(
        link.contains("client_id=") && link.contains("redirect_uri="),
        "{link}"
    );
    match platform.open_admin_consent(&link).await.unwrap() {
        CallbackOutcome::AdminConsent { tenant } => assert_eq!(tenant, FABRIKAM_TENANT.to_string()),
        other => panic!("expected the admin-consent callback, got {other:?}"),
    }
    let fabrikam = signed_in(
        platform
            .connect("fabrikam-1", &customers.fabrikam_org())
            .await
            .unwrap(),
    );
    assert_eq!(fabrikam.tenant, FABRIKAM_TENANT.to_string());

    // Both at once, each against its own org.
    let (a, b) = (
        client(&platform, "contoso-1").await,
        client(&platform, "fabrikam-1").await,
    );
    let (a, b) = tokio::join!(a.who_am_i(), b.who_am_i());
    let (a, b) = (a.expect("contoso WhoAmI"), b.expect("fabrikam WhoAmI"));
    assert_ne!(a.user_id, b.user_id);

    // A refresh through the real (rotating) token endpoint keeps the redeemed token as fallback.
    let id = AccountId::new("contoso-1").unwrap();
    let before = store.load(&id).await.unwrap().unwrap();
    let mut expired = before.clone();
    expired.access_token = None;
    assert!(store.rotate(before.version, &expired).await.unwrap());
    let requests = customers.emulator.token_requests();
    client(&platform, "contoso-1")
        .await
        .who_am_i()
        .await
        .expect("WhoAmI after refresh");
    assert_eq!(
        customers.emulator.token_requests(),
        requests + 1,
        "one redemption"
    );
    let after = store.load(&id).await.unwrap().unwrap();
    assert_ne!(
        after.refresh_token.secret(),
        before.refresh_token.secret(),
        "rotated"
    );
    assert_eq!(
        after.previous_refresh_token.unwrap().secret(),
        before.refresh_token.secret()
    );
    assert_eq!(after.status, AccountStatus::Active);

    // The credential never gives Contoso's token for Fabrikam's org.
    let contoso_credential = platform.sign_in.client_for(&id).await.unwrap();
    let foreign = format!("{}/.default", customers.fabrikam_org());
    assert!(
        contoso_credential
            .get_token(&[&foreign], None)
            .await
            .is_err()
    );

    // A wrong org URL: AADSTS500011, naming the URL used and where to find the right one.
    let wrong = unreachable_org().await.unwrap();
    match platform.connect("typo-1", &wrong).await.unwrap() {
        CallbackOutcome::Failed(error @ ConnectorError::WrongResource { .. }) => {
            let text = error.to_string();
            assert!(text.contains(&wrong), "{text}");
            assert!(
                text.contains("Environment URL") && text.contains("globaldisco"),
                "{text}"
            );
        }
        other => panic!("expected AADSTS500011, got {other:?}"),
    }
    let ids: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["contoso-1", "fabrikam-1"],
        "failed sign-ins store nothing"
    );
    drop(platform);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_callback_state_is_accepted_once_and_forged_ones_never() {
    let customers = start_customers().await.expect("emulator");
    let platform = Platform::start(&customers, Arc::new(MemoryTokenStore::new()))
        .await
        .expect("platform");
    let started = platform
        .sign_in
        .begin(
            &AccountId::new("contoso-1").unwrap(),
            &customers.contoso_org(),
        )
        .await
        .unwrap();
    let q: std::collections::HashMap<_, _> =
        started.authorize_url.query_pairs().into_owned().collect();
    assert_eq!(
        q["scope"],
        format!(
            "{}/user_impersonation offline_access",
            customers.contoso_org()
        )
    );
    assert_eq!(q["code_challenge_method"], "S256");
    // No browser: a forged callback with another state is refused, and so is the real state
    // after its single use.
    let forged = platform
        .sign_in
        .complete("code=abc&state=forged", started.session_binding.secret())
        .await
        .unwrap_err();
    assert!(matches!(forged, ConnectorError::UnknownState), "{forged:?}");
    let denied = platform
        .sign_in
        .complete(
            &format!(
                "error=access_denied&error_description=AADSTS65004%3A+declined&state={}",
                q["state"]
            ),
            started.session_binding.secret(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(denied, ConnectorError::SignInDenied { .. }),
        "{denied:?}"
    );
    let replay = platform
        .sign_in
        .complete(
            &format!("code=abc&state={}", q["state"]),
            started.session_binding.secret(),
        )
        .await
        .unwrap_err();
    assert!(matches!(replay, ConnectorError::UnknownState), "{replay:?}");
    // Plain http to a non-loopback org is refused before any sign-in starts.
    let refused = platform
        .sign_in
        .begin(
            &AccountId::new("x").unwrap(),
            "http://contoso.crm.dynamics.com",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            ConnectorError::Invalid {
                what: "org URL",
                ..
            }
        ),
        "{refused:?}"
    );
}

/// Login fixation: Mallory starts a sign-in for her own connection and gets Alice to open the
/// authorize URL. Alice signs in, but her browser lacks Mallory's session binding, so her
/// tokens are not stored under Mallory's account. Nor can anyone start a sign-in without a
/// platform login.
#[tokio::test]
async fn a_sign_in_started_by_someone_else_is_refused() {
    let customers = start_customers().await.expect("emulator");
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let platform = Platform::start(&customers, store.clone())
        .await
        .expect("platform");
    let connect = platform.connect_url(&customers.contoso_org()).unwrap();

    let mallory = platform.log_in("mallory-1").unwrap();
    let authorize = mallory.redirect_of(connect.clone()).await.unwrap();
    let alice = platform.browser().unwrap();
    match alice.open(authorize).await.unwrap() {
        CallbackOutcome::Failed(ConnectorError::SessionMismatch) => {}
        other => panic!("expected SessionMismatch, got {other:?}"),
    }
    assert!(store.list().await.unwrap().is_empty(), "nothing stored");

    let anonymous = platform.browser().unwrap().open(connect).await.unwrap_err();
    assert!(anonymous.to_string().contains("HTTP 401"), "{anonymous}");
    // The rightful browser still completes its own sign-in.
    signed_in(
        platform
            .connect("contoso-1", &customers.contoso_org())
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn admin_consent_callbacks_need_a_state_the_platform_handed_out() {
    let customers = start_customers().await.expect("emulator");
    let platform = Platform::start(&customers, Arc::new(MemoryTokenStore::new()))
        .await
        .expect("platform");
    let browser = platform.browser().unwrap();
    for query in [
        "admin_consent=True&tenant=fabrikam.onmicrosoft.com",
        "admin_consent=True&tenant=fabrikam.onmicrosoft.com&state=guessed",
    ] {
        let forged = platform.base.join(&format!("callback?{query}")).unwrap();
        match browser.open(forged).await.unwrap() {
            CallbackOutcome::Rejected(reason) => assert!(reason.contains("state"), "{reason}"),
            other => panic!("{query}: expected a rejection, got {other:?}"),
        }
    }
    let link = match platform
        .connect("fabrikam-1", &customers.fabrikam_org())
        .await
        .unwrap()
    {
        CallbackOutcome::Failed(ConnectorError::ConsentRequired { admin_consent_url }) => {
            admin_consent_url
        }
        other => panic!("expected AADSTS65001, got {other:?}"),
    };
    let state = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("the link carries a state");
    match platform.open_admin_consent(&link).await.unwrap() {
        CallbackOutcome::AdminConsent { tenant } => assert_eq!(tenant, FABRIKAM_TENANT.to_string()),
        other => panic!("expected the admin-consent callback, got {other:?}"),
    }
    // Each state is accepted once.
    let replay = platform
        .base
        .join(&format!(
            "callback?admin_consent=True&tenant={FABRIKAM_TENANT}&state={state}"
        ))
        .unwrap();
    assert!(matches!(
        browser.open(replay).await.unwrap(),
        CallbackOutcome::Rejected(_)
    ));
}
