//! `Emulator::validate_access_token`, the helper later services use.

use std::time::Duration;

use dynamics_emulator::TokenRejection;

use crate::support::{DATAVERSE, start};

#[tokio::test]
async fn validates_signature_audience_and_expiry() {
    let env = start().await;
    let answer = env.alice().await;
    let token = answer.access_token();
    let claims = env
        .emu
        .validate_access_token(
            &format!("Bearer {token}"),
            "https://contoso.crm.dynamics.com/",
        )
        .expect("valid");
    assert_eq!(claims.aud, DATAVERSE);
    assert_eq!(claims.oid, env.emu.defaults().user.object_id);
    assert_eq!(claims.scopes(), ["user_impersonation"]);
    assert!(!claims.is_app_only());

    assert!(matches!(
        env.emu
            .validate_access_token(token, "https://service.powerapps.com"),
        Err(TokenRejection::WrongAudience { .. })
    ));
    let mut tampered = token.to_owned();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(env.emu.validate_access_token(&tampered, DATAVERSE).is_err());
    assert!(matches!(
        env.emu.validate_access_token("", DATAVERSE),
        Err(TokenRejection::Malformed(_))
    ));

    env.emu.advance_clock(Duration::from_secs(3601));
    assert!(matches!(
        env.emu.validate_access_token(token, DATAVERSE),
        Err(TokenRejection::Expired { .. })
    ));
}

#[tokio::test]
async fn tokens_from_another_emulator_are_rejected() {
    let one = start().await;
    let two = start().await;
    let token = one
        .client_credentials(&format!("{DATAVERSE}/.default"))
        .await;
    assert_eq!(
        two.emu
            .validate_access_token(token.access_token(), DATAVERSE),
        Err(TokenRejection::UnknownKey)
    );
    let claims = one
        .emu
        .validate_access_token(token.access_token(), DATAVERSE)
        .expect("valid");
    assert!(claims.is_app_only());
    assert_eq!(claims.roles, Some(Vec::new()));
}
